import Foundation
import RewardCore
import Testing

@testable import RewardLM

/// The real SmolLM2 GGUF that scripts/test.sh installs (scripts/llama-server.sh fetches it).
enum SmolLM2File {
  static var path: String {
    CacheRoot.folder("models") + "/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"
  }
  static var isPresent: Bool { FileManager.default.fileExists(atPath: path) }
  static var skipReason: String {
    "SmolLM2 GGUF not found at \(path) (scripts/llama-server.sh --fetch-only installs it)"
  }
}

@Suite struct GGUFFileTests {
  static let sampleMetadata: [(String, GGUFBuilder.Value)] = [
    ("general.architecture", .string("llama")),
    ("llama.block_count", .u32(2)),
    ("llama.rope.freq_base", .f32(10000)),
    ("tokenizer.ggml.add_bos_token", .bool(true)),
    ("tokenizer.ggml.tokens", .strings(["<s>", "a", "ü"])),
    ("tokenizer.ggml.token_type", .i32s([3, 1, 1])),
    ("general.size", .u64(1 << 40)),
  ]

  static var sampleTensors: [GGUFBuilder.Tensor] {
    [
      .init(name: "a", dimensions: [2, 3], type: 0, data: GGUFBuilder.f32Data([1, 2, 3, 4, 5, 6])),
      .init(name: "b", dimensions: [4], type: 0, data: GGUFBuilder.f32Data([7, 8, 9, 10])),
    ]
  }

  @Test func readsMetadataOfEveryKindAndTensorInfos() throws {
    let file = try openGGUF(GGUFBuilder.file(metadata: Self.sampleMetadata, tensors: Self.sampleTensors))
    #expect(file.version == 3)
    #expect(file.metadataKeys.first == "general.architecture")
    #expect(try file.string("general.architecture") == "llama")
    #expect(try file.integer("llama.block_count") == 2)
    #expect(try file.float("llama.rope.freq_base") == 10000)
    #expect(try file.bool("tokenizer.ggml.add_bos_token") == true)
    #expect(try file.strings("tokenizer.ggml.tokens") == ["<s>", "a", "ü"])
    #expect(try file.integers("tokenizer.ggml.token_type") == [3, 1, 1])
    #expect(try file.integer("general.size") == 1 << 40)
    #expect(try file.string("absent") == nil)
    #expect(file.tensors.map(\.name) == ["a", "b"])
    let a = try #require(file.tensor("a"))
    #expect(a.dimensions == [2, 3] && a.shape == [3, 2] && a.type == .f32 && a.byteCount == 24)
    let b = try #require(file.tensor("b"))
    #expect(b.offset == 32)  // each tensor starts aligned to 32
    let values = (0..<4).map { file.data(of: b).loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
    #expect(values == [7, 8, 9, 10])
  }

  @Test func wrongTypeAndMissingKeysNameTheKey() throws {
    let file = try openGGUF(GGUFBuilder.file(metadata: Self.sampleMetadata, tensors: []))
    #expect(throws: LanguageModelError.self) { try file.integer("general.architecture") }
    do {
      _ = try file.strings("llama.block_count")
      Issue.record("expected an error")
    } catch {
      #expect(error.field == "llama.block_count")
      #expect(error.message == "expected an array of strings, found uint32")
    }
    do {
      _ = try file.required("llama.context_length", file.integer)
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasSuffix("'llama.context_length': missing metadata key"))
    }
  }

  @Test func honoursGeneralAlignment() throws {
    let bytes = GGUFBuilder.file(
      metadata: [("general.alignment", .u32(64))], tensors: Self.sampleTensors)
    let file = try openGGUF(bytes)
    #expect(file.alignment == 64)
    #expect(file.dataOffset % 64 == 0)
    #expect(file.tensor("b")?.offset == 64)
    let b = try #require(file.tensor("b"))
    #expect(file.data(of: b).loadUnaligned(as: Float.self) == 7)
  }

  @Test func rejectsBadMagicAndVersion() throws {
    var bytes = GGUFBuilder.file(metadata: [], tensors: [])
    bytes[0] = UInt8(ascii: "X")
    #expect(try ggufError(bytes)?.message.contains("not a GGUF file") == true)
    var old = GGUFBuilder.file(metadata: [], tensors: [])
    old[4] = 1
    #expect(try ggufError(old)?.message == "unsupported GGUF version 1 (supported: 2, 3)")
    #expect(try ggufError([])?.message.contains("truncated") == true)
  }

  /// Every prefix of a valid file is a clear error (never a crash, never a silent success).
  @Test func everyTruncationIsAnError() throws {
    let bytes = GGUFBuilder.file(metadata: Self.sampleMetadata, tensors: Self.sampleTensors)
    let (directory, path) = try temporaryFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let full = try GGUFFile(path: path)
    #expect(full.tensors.count == 2)
    for length in 0..<(bytes.count - 16) {  // the last 16 bytes are padding after the data
      let cut = Array(bytes.prefix(length))
      let error = try #require(try ggufError(cut), "prefix of \(length) bytes opened")
      #expect(
        error.message.contains("truncated") || error.message.contains("impossible")
          || error.message.contains("beyond") || error.message.contains("not a GGUF"), "\(error)")
    }
  }

  @Test func truncatedTensorDataNamesTheTensor() throws {
    let bytes = GGUFBuilder.file(metadata: [], tensors: Self.sampleTensors)
    let error = try #require(try ggufError(Array(bytes.dropLast(20))))
    #expect(error.field == "b")
    #expect(error.message.contains("goes beyond the end of the file"))
  }

  @Test func rejectsAbsurdCountsAndLengths() throws {
    var b = GGUFBuilder()
    b.bytes += Array("GGUF".utf8)
    b.u32(3)
    b.u64(0)
    b.u64(UInt64.max)
    #expect(try ggufError(b.bytes)?.message.contains("metadata count") == true)

    var s = GGUFBuilder()
    s.bytes += Array("GGUF".utf8)
    s.u32(3)
    s.u64(0)
    s.u64(1)
    s.string("general.name")
    s.u32(8)
    s.u64(1 << 62)
    s.bytes += [UInt8](repeating: 65, count: 16)
    let error = try #require(try ggufError(s.bytes))
    #expect(error.field == "general.name")
    #expect(error.message.contains("string length 4611686018427387904 goes beyond the end of the file"))

    var a = GGUFBuilder()
    a.bytes += Array("GGUF".utf8)
    a.u32(3)
    a.u64(0)
    a.u64(1)
    a.string("tokenizer.ggml.tokens")
    a.u32(9)
    a.u32(8)
    a.u64(1 << 40)
    a.bytes += [UInt8](repeating: 0, count: 64)
    let arrayError = try #require(try ggufError(a.bytes))
    #expect(arrayError.field == "tokenizer.ggml.tokens")
    #expect(arrayError.message.contains("cannot fit"))
  }

  @Test func rejectsUnknownTypesAndBadOffsets() throws {
    var tensors = Self.sampleTensors
    tensors[1].type = 99
    let unknown = try #require(try ggufError(GGUFBuilder.file(metadata: [], tensors: tensors)))
    #expect(unknown.field == "b" && unknown.message == "unknown tensor type 99")

    // A Q4_0 tensor must have a first dimension that is a multiple of its 32-element block.
    let partial = try #require(
      try ggufError(
        GGUFBuilder.file(
          metadata: [],
          tensors: [.init(name: "w", dimensions: [16, 2], type: 2, data: [UInt8](repeating: 0, count: 36))])
      ))
    #expect(partial.field == "w" && partial.message.contains("not a multiple of Q4_0's block of 32"))

    var bytes = GGUFBuilder.file(metadata: [], tensors: Self.sampleTensors)
    let offsetPosition = try #require(findOffsetField(in: bytes, tensorName: "b"))
    bytes.replaceSubrange(offsetPosition..<offsetPosition + 8, with: withUnsafeBytes(of: UInt64(1 << 30)) { Array($0) })
    let far = try #require(try ggufError(bytes))
    #expect(far.field == "b" && far.message.contains("beyond the file's end"))
    bytes.replaceSubrange(offsetPosition..<offsetPosition + 8, with: withUnsafeBytes(of: UInt64(33)) { Array($0) })
    #expect(try ggufError(bytes)?.message == "data offset 33 is not aligned to 32")
  }

  @Test func rejectsInvalidUTF8AndDuplicateKeys() throws {
    var bytes = GGUFBuilder.file(metadata: [("general.name", .string("xy"))], tensors: [])
    let position = try #require(bytes.firstIndex(of: UInt8(ascii: "x")))
    bytes[position] = 0xFF
    let error = try #require(try ggufError(bytes))
    #expect(error.field == "general.name" && error.message.contains("not valid UTF-8"))
    let duplicate = try #require(
      try ggufError(GGUFBuilder.file(metadata: [("k", .u32(1)), ("k", .u32(2))], tensors: [])))
    #expect(duplicate.field == "k" && duplicate.message == "duplicate metadata key")
  }

  @Test func readsTheRealSmolLM2File() throws {
    guard SmolLM2File.isPresent else {
      print("skipped: \(SmolLM2File.skipReason)")
      return
    }
    let file = try GGUFFile(path: SmolLM2File.path)
    #expect(try file.string("general.architecture") == "llama")
    #expect(try file.integer("llama.block_count") == 30)
    #expect(try file.integer("llama.attention.head_count_kv") == 3)
    #expect(try file.float("llama.rope.freq_base") == 100000)
    #expect(try file.strings("tokenizer.ggml.tokens")?.count == 49152)
    #expect(try file.strings("tokenizer.ggml.merges")?.count == 48900)
    #expect(file.tensors.count == 272)
    let embedding = try #require(file.tensor("token_embd.weight"))
    #expect(embedding.type == .q8_0 && embedding.shape == [49152, 576])
    #expect(file.tensor("blk.0.attn_q.weight")?.type == .q4_1)
  }
}

/// The byte position of a tensor info's offset field (after name, n_dims, dims, type).
private func findOffsetField(in bytes: [UInt8], tensorName: String) -> Int? {
  var key = withUnsafeBytes(of: UInt64(tensorName.utf8.count).littleEndian) { Array($0) }
  key += Array(tensorName.utf8)
  guard key.count <= bytes.count else { return nil }
  for start in 0...(bytes.count - key.count) where Array(bytes[start..<start + key.count]) == key {
    let dims = Int(bytes[start + key.count])
    return start + key.count + 4 + 8 * dims + 4
  }
  return nil
}
