import Foundation
import RewardCore
import RewardTensor
import Testing

@testable import RewardLM

private func bytes(hex: String) -> [UInt8] {
  var out: [UInt8] = []
  var index = hex.startIndex
  while index < hex.endIndex {
    let next = hex.index(index, offsetBy: 2)
    out.append(UInt8(hex[index..<next], radix: 16)!)
    index = next
  }
  return out
}

/// Quantised blocks widened natively against gguf-py's `dequantize` (Fixtures/gguf/quant_blocks.json).
@Suite struct DequantizationTests {
  @Test(arguments: ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"])
  func blocksMatchGGUFPy(_ typeName: String) throws {
    let fixture = try #require(try LMFixtures.json("gguf/quant_blocks.json").objectValue?["types"]?.objectValue)
    let entry = try #require(fixture[typeName]?.objectValue)
    let type = try #require(GGMLType.allCases.first { $0.name == typeName })
    #expect(entry["block_size"]?.doubleValue.map(Int.init) == type.blockSize)
    #expect(entry["type_size"]?.doubleValue.map(Int.init) == type.blockBytes)
    let blocks = try #require(entry["blocks"]?.arrayValue).compactMap(\.objectValue)
    #expect(!blocks.isEmpty)
    for (index, block) in blocks.enumerated() {
      let raw = bytes(hex: try #require(block["hex"]?.stringValue))
      let expected = try #require(block["dequantized"]).floats
      #expect(raw.count / type.blockBytes * type.blockSize == expected.count)
      var out = [Float](repeating: .nan, count: expected.count)
      raw.withUnsafeBytes { source in
        out.withUnsafeMutableBufferPointer {
          Dequantization.widen(type, source.baseAddress!, count: expected.count, into: $0.baseAddress!)
        }
      }
      // gguf-py computes in float32 too, in the same order: the values agree bit for bit or nearly.
      let difference = maxAbsDifference(out, expected)
      let scale = expected.map(abs).max() ?? 1
      #expect(difference <= 1e-6 * max(1, scale), "\(typeName) block set \(index): \(difference)")
    }
  }

  @Test func unsupportedTypesAreRefusedNamingTheTensor() throws {
    let q2 = GGUFBuilder.Tensor(
      name: "blk.0.attn_q.weight", dimensions: [256, 1], type: 10, data: [UInt8](repeating: 0, count: 84))
    let file = try openGGUF(GGUFBuilder.file(metadata: [], tensors: [q2]))
    let store = TensorStore(gguf: file)
    do {
      _ = try store.matrix("blk.0.attn_q.weight", rows: 1, columns: 256)
      Issue.record("expected an error")
    } catch {
      #expect(error.field == "blk.0.attn_q.weight")
      #expect(error.message.hasPrefix("unsupported tensor type Q2_K (supported: F32, F16, BF16, Q4_0"))
    }
  }
}

/// The tiny Llama written as GGUF (F16 embeddings, Q8_0 projections) against transformers loading
/// the same GGUF: reading the blocks and llama.cpp's interleaved Q/K rows gives its numbers.
@Suite struct TinyGGUFTests {
  @Test func tinyLlamaGGUFMatchesTransformers() throws {
    let model = try DecoderModel(path: LMFixtures.path("gguf/tiny-llama-q8_0.gguf"))
    #expect(model.config.ropeLayout == .interleaved)
    let expected = try #require(try LMFixtures.json("gguf/tiny-llama-q8_0.expected.json").objectValue)
    let sequences = try #require(expected["sequences"]?.arrayValue).map(\.tokenIDs)
    let references = try #require(expected["per_sequence"]?.arrayValue).compactMap(\.objectValue)
    let states = try model.hiddenStates(sequences)
    let logProbabilities = try model.tokenLogProbabilities(sequences)
    for (index, reference) in references.enumerated() {
      let hidden = maxAbsDifference(
        states.final[index].values, try #require(reference["final_hidden"]).rows.flatMap { $0 })
      #expect(hidden < 1e-4, "sequence \(index) final hidden: \(hidden)")
      let logits = maxAbsDifference(
        try model.logits(states.final[index]).values, try #require(reference["logits"]).rows.flatMap { $0 })
      #expect(logits < 1e-4, "sequence \(index) logits: \(logits)")
      let worst =
        zip(logProbabilities[index], try #require(reference["logprobs"]).doubles).map { abs($0 - $1) }.max() ?? 0
      #expect(worst < 1e-4)
    }
  }
}

/// Safetensors weights: half precision, shards, and the errors for a broken checkpoint.
@Suite struct SafetensorsWeightTests {
  /// Copies the tiny Llama to a temporary directory, rewriting its weights with `rewrite`.
  static func tinyLlamaCopy(
    rewrite: (inout [(name: String, dtype: String, shape: [Int], bytes: [UInt8])]) -> Void,
    shards: Int = 1
  ) throws -> String {
    let source = LMFixtures.path("tiny/llama")
    let directory = NSTemporaryDirectory() + "rewardlm-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: source + "/config.json", toPath: directory + "/config.json")
    let file = try SafeTensorsFile(path: source + "/model.safetensors")
    var tensors = try file.tensors.map { info in
      (
        name: info.name, dtype: "F32", shape: info.shape,
        bytes: try file.floats(info.name).flatMap { value in
          withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        }
      )
    }
    rewrite(&tensors)
    if shards == 1 {
      try writeSafetensors(tensors, to: directory + "/model.safetensors")
    } else {
      var map: [(String, JSONValue)] = []
      for shard in 0..<shards {
        let name = "model-0000\(shard + 1)-of-0000\(shards).safetensors"
        let part = tensors.enumerated().filter { $0.offset % shards == shard }.map(\.element)
        try writeSafetensors(part, to: directory + "/" + name)
        map += part.map { ($0.name, .string(name)) }
      }
      let index: JSONValue = ["metadata": [:], "weight_map": .object(JSONObject(map))]
      try index.jsonText.write(toFile: directory + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
    }
    return directory
  }

  static func writeSafetensors(
    _ tensors: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])], to path: String
  )
    throws
  {
    var header = JSONObject()
    var offset = 0
    for tensor in tensors {
      header[tensor.name] = [
        "dtype": .string(tensor.dtype), "shape": .array(tensor.shape.map { .int(Int64($0)) }),
        "data_offsets": [.int(Int64(offset)), .int(Int64(offset + tensor.bytes.count))],
      ]
      offset += tensor.bytes.count
    }
    var headerBytes = Array(JSONValue.object(header).jsonText.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(32) }
    var out = withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) } + headerBytes
    for tensor in tensors { out += tensor.bytes }
    try Data(out).write(to: URL(fileURLWithPath: path))
  }

  static func reference() throws -> (sequences: [[TokenID]], logits: [[Float]]) {
    let expected = try #require(try LMFixtures.json("tiny/llama/expected.json").objectValue)
    let sequences = try #require(expected["sequences"]?.arrayValue).map(\.tokenIDs)
    let logits = try #require(expected["per_sequence"]?.arrayValue).map {
      try #require($0.objectValue?["logits"]).rows.flatMap { $0 }
    }
    return (sequences, logits)
  }

  static func toHalf(_ bytes: [UInt8], bf16: Bool) -> [UInt8] {
    stride(from: 0, to: bytes.count, by: 4).flatMap { i -> [UInt8] in
      let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
      let value = Float(bitPattern: bits)
      let half: UInt16 = bf16 ? UInt16(bits >> 16) : Float16(value).bitPattern
      return [UInt8(half & 0xFF), UInt8(half >> 8)]
    }
  }

  @Test(arguments: ["F16", "BF16"])
  func halfPrecisionWeightsGiveNearlyTheFloatLogits(_ dtype: String) throws {
    let directory = try Self.tinyLlamaCopy { tensors in
      for i in tensors.indices where tensors[i].shape.count == 2 {
        tensors[i].bytes = Self.toHalf(tensors[i].bytes, bf16: dtype == "BF16")
        tensors[i].dtype = dtype
      }
    }
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let model = try DecoderModel(directory: directory)
    #expect(model.embedding.type == (dtype == "BF16" ? .bf16 : .f16))
    let (sequences, expected) = try Self.reference()
    let states = try model.hiddenStates(sequences)
    for (index, logits) in expected.enumerated() {
      let difference = maxAbsDifference(try model.logits(states.final[index]).values, logits)
      // Rounding the weights to 8 (BF16) or 11 (F16) bits moves logits of magnitude ~17 a little.
      #expect(difference < (dtype == "BF16" ? 0.5 : 0.05), "\(dtype) sequence \(index): \(difference)")
      #expect(difference > 0, "the weights were not rounded")
    }
  }

  @Test func shardedCheckpointsLoadAsOne() throws {
    let directory = try Self.tinyLlamaCopy(rewrite: { _ in }, shards: 3)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect(!FileManager.default.fileExists(atPath: directory + "/model.safetensors"))
    let model = try DecoderModel(directory: directory)
    let (sequences, expected) = try Self.reference()
    let states = try model.hiddenStates(sequences)
    for (index, logits) in expected.enumerated() {
      #expect(maxAbsDifference(try model.logits(states.final[index]).values, logits) < 1e-4)
    }
  }

  static func loadError(_ rewrite: (inout [(name: String, dtype: String, shape: [Int], bytes: [UInt8])]) -> Void)
    throws -> LanguageModelError?
  {
    let directory = try tinyLlamaCopy(rewrite: rewrite)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    do {
      _ = try DecoderModel(directory: directory)
      return nil
    } catch {
      return error
    }
  }

  @Test func missingTensorIsNamed() throws {
    let error = try #require(try Self.loadError { $0.removeAll { $0.name == "model.layers.1.mlp.up_proj.weight" } })
    #expect(error.field == "model.layers.1.mlp.up_proj.weight")
    #expect(error.message == "tensor missing (expected shape [96, 64])" || error.message.hasPrefix("tensor missing"))
  }

  @Test func wrongShapeIsNamed() throws {
    let error = try #require(
      try Self.loadError { tensors in
        let i = tensors.firstIndex { $0.name == "model.layers.0.self_attn.k_proj.weight" }!
        tensors[i].shape = [tensors[i].shape[1], tensors[i].shape[0]]
      })
    #expect(error.field == "model.layers.0.self_attn.k_proj.weight")
    #expect(error.message.contains("does not match the configuration"))
  }

  @Test func integerWeightsAreRefused() throws {
    let error = try #require(
      try Self.loadError { tensors in
        let i = tensors.firstIndex { $0.name == "model.norm.weight" }!
        tensors[i].dtype = "I32"
      })
    #expect(error.field == "model.norm.weight")
    #expect(error.message.contains("unsupported dtype I32"))
  }

  @Test func shardIndexListingATensorItsShardLacksIsAnError() throws {
    let directory = try Self.tinyLlamaCopy(rewrite: { _ in }, shards: 2)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // Point one tensor at the shard that does not hold it.
    let indexPath = directory + "/model.safetensors.index.json"
    let index = try JSONParser.parse(String(contentsOfFile: indexPath, encoding: .utf8))
    var map = try #require(index.objectValue?["weight_map"]?.objectValue)
    let shard = try #require(map["model.norm.weight"]?.stringValue)
    map["model.norm.weight"] = .string(
      shard.hasPrefix("model-00001") ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors")
    let rewritten: JSONValue = ["weight_map": .object(map)]
    try rewritten.jsonText.write(toFile: indexPath, atomically: true, encoding: .utf8)
    do {
      _ = try DecoderModel(directory: directory)
      Issue.record("expected an error")
    } catch {
      #expect(error.field == "model.norm.weight")
      #expect(error.message.contains("lists this tensor in this shard"))
    }
  }

  @Test func unsupportedArchitectureAndOutOfVocabularyTokensAreErrors() throws {
    let directory = try Self.tinyLlamaCopy(rewrite: { _ in })
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let model = try DecoderModel(directory: directory)
    #expect(throws: LanguageModelError.self) { try model.hiddenStates([[1, 400]]) }
    #expect(throws: LanguageModelError.self) { try model.hiddenStates([[]]) }
    var config = try String(contentsOfFile: directory + "/config.json", encoding: .utf8)
    config = config.replacingOccurrences(of: "\"llama\"", with: "\"gpt2\"")
    try config.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
    do {
      _ = try DecoderModel(directory: directory)
      Issue.record("expected an error")
    } catch {
      #expect(error.field == "model_type" && error.message.contains("unsupported architecture 'gpt2'"))
    }
  }
}
