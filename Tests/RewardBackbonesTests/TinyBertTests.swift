import Foundation
import RewardBackbones
import RewardCore
import RewardTensor
import Testing

/// A tiny random BERT against an independent numpy computation (Fixtures/make_tiny_bert.py).
@Suite struct TinyBertTests {
  static let directory = TestPaths.fixtures.appendingPathComponent("tiny-bert").path

  struct Expected {
    var encoding: Encoding
    var hidden: [[Float]]
    var mean: [Float]
    var cls: [Float]
    var last: [Float]
  }

  static func expected() throws -> [Expected] {
    let text = try String(contentsOfFile: directory + "/expected.json", encoding: .utf8)
    let sequences = try #require(try JSONParser.parse(text).objectValue?["sequences"]?.arrayValue)
    func floats(_ value: JSONValue?) throws -> [Float] {
      try #require(value?.arrayValue).map { Float($0.doubleValue ?? .nan) }
    }
    func ints(_ value: JSONValue?) throws -> [Int32] {
      try #require(value?.arrayValue).map { Int32($0.doubleValue ?? -1) }
    }
    return try sequences.map { item in
      let object = try #require(item.objectValue)
      return Expected(
        encoding: Encoding(ids: try ints(object["ids"]), typeIDs: try ints(object["types"])),
        hidden: try #require(object["hidden"]?.arrayValue).map { try floats($0) },
        mean: try floats(object["mean"]), cls: try floats(object["cls"]), last: try floats(object["last"]))
    }
  }

  static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }

  @Test func hiddenStatesMatchNumpyInAPaddedBatch() throws {
    let model = try BertModel(directory: Self.directory)
    let expected = try Self.expected()
    let batch = TokenBatch(expected.map(\.encoding))
    let hidden = model(batch)
    #expect(batch.sequenceLength == 9 && hidden.columns == 8)
    for (i, item) in expected.enumerated() {
      for (position, row) in item.hidden.enumerated() {
        let difference = Self.maxDifference(hidden.row(i * batch.sequenceLength + position), row)
        #expect(difference < 1e-4, "sequence \(i), token \(position): differs by \(difference)")
      }
    }
  }

  @Test func poolingModesMatchNumpy() throws {
    let model = try BertModel(directory: Self.directory)
    let tokenizer = try WordPieceTokenizer(contentsOf: Self.directory + "/tokenizer.json")
    let expected = try Self.expected()
    for (pooling, reference) in [(Pooling.mean, \Expected.mean), (.cls, \.cls), (.lastToken, \.last)] {
      var encoder = SentenceEncoder(model: model, tokenizer: tokenizer, pooling: pooling, normalize: false)
      encoder.batchSize = 3  // batches of mixed lengths, so padding is exercised
      let vectors = encoder.embed(encodings: expected.map(\.encoding))
      for (vector, item) in zip(vectors, expected) {
        #expect(Self.maxDifference(vector, item[keyPath: reference]) < 1e-4, "\(pooling)")
      }
    }
  }

  @Test func normalisationGivesUnitVectorsAndOrderIsKept() throws {
    var encoder = try SentenceEncoder(directory: Self.directory, pooling: .mean, normalize: true)
    encoder.batchSize = 2
    let texts = ["hello world", "the cat sat on the mat.", "hello world", "a big red dog ran!", ""]
    let vectors = encoder.embed(texts)
    for vector in vectors { #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5) }
    #expect(vectors[0] == vectors[2])
    #expect(vectors[0] != vectors[1])
    // One at a time gives the same vectors as batched with longer texts (padding is masked).
    encoder.batchSize = 1
    encoder.threadCount = 1
    for (text, vector) in zip(texts, vectors) {
      #expect(Self.maxDifference(encoder.embed([text])[0], vector) < 1e-5)
    }
  }

  @Test func encodingsLongerThanThePositionTableKeepHeadAndClosingToken() throws {
    let encoder = try SentenceEncoder(directory: Self.directory, pooling: .mean)
    let long = Encoding(ids: [2] + [Int32](repeating: 6, count: 18) + [3], typeIDs: [Int32](repeating: 0, count: 20))
    let cut = Encoding(ids: [2] + [Int32](repeating: 6, count: 10) + [3], typeIDs: [Int32](repeating: 0, count: 12))
    #expect(encoder.embed(encodings: [long]) == encoder.embed(encodings: [cut]))
    #expect(encoder.embed(["the cat " + String(repeating: "sat ", count: 40)])[0].count == 8)
  }

  @Test func tokenizerFromTheFixtureUsesWordPieces() throws {
    let tokenizer = try WordPieceTokenizer(contentsOf: Self.directory + "/tokenizer.json")
    #expect(tokenizer.encode("The cats sat, on a MAT!").ids == [2, 5, 6, 15, 7, 17, 8, 12, 9, 19, 3])
  }
}

/// Clear errors for directories RewardKit cannot run.
@Suite struct ModelDirectoryErrorTests {
  /// A copy of the tiny model directory to break.
  static func copyOfTinyModel() throws -> URL {
    let directory = try TestPaths.temporaryDirectory().appendingPathComponent("model")
    try FileManager.default.copyItem(atPath: TinyBertTests.directory, toPath: directory.path)
    return directory
  }

  static func editConfig(_ directory: URL, _ edit: (inout JSONObject) -> Void) throws {
    let path = directory.appendingPathComponent("config.json").path
    var config = try #require(try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8)).objectValue)
    edit(&config)
    try JSONValue.object(config).jsonText.write(toFile: path, atomically: true, encoding: .utf8)
  }

  static func error(_ body: () throws -> Void) -> BackboneError? {
    do {
      try body()
      return nil
    } catch {
      return error as? BackboneError
    }
  }

  @Test func unsupportedArchitectureNamesConfigAndField() throws {
    let directory = try Self.copyOfTinyModel()
    try Self.editConfig(directory) { $0["model_type"] = "gpt2" }
    let error = try #require(Self.error { _ = try SentenceEncoder(directory: directory.path) })
    #expect(error.file == directory.appendingPathComponent("config.json").path)
    #expect(error.field == "model_type")
    #expect(error.description.contains("unsupported architecture 'gpt2'"))
  }

  @Test func missingTokenizerIsNamed() throws {
    let directory = try Self.copyOfTinyModel()
    try FileManager.default.removeItem(at: directory.appendingPathComponent("tokenizer.json"))
    let error = try #require(Self.error { _ = try SentenceEncoder(directory: directory.path) })
    #expect(error.file.hasSuffix("model/tokenizer.json"))
    #expect(error.description.contains("tokenizer file not found"))
    let resolveError = try #require(Self.error { _ = try BackboneStore().resolve(directory.path) })
    #expect(resolveError.file.hasSuffix("tokenizer.json"))
  }

  @Test func mismatchedShapesNameTheTensor() throws {
    let directory = try Self.copyOfTinyModel()
    try Self.editConfig(directory) { $0["intermediate_size"] = 32 }
    let error = try #require(Self.error { _ = try BertModel(directory: directory.path) })
    #expect(error.file.hasSuffix("model.safetensors"))
    #expect(error.field == "encoder.layer.0.intermediate.dense.weight")
    #expect(error.description.contains("shape [16, 8] does not match the config, which implies [32, 8]"))
  }

  @Test func missingTensorAndBadFieldsAreNamed() throws {
    let directory = try Self.copyOfTinyModel()
    try Self.editConfig(directory) { $0["num_hidden_layers"] = 3 }
    let missing = try #require(Self.error { _ = try BertModel(directory: directory.path) })
    #expect(
      missing.field == "encoder.layer.2.attention.self.query.weight" && missing.message.contains("tensor missing"))
    try Self.editConfig(directory) { $0["hidden_size"] = "eight" }
    let badField = try #require(Self.error { _ = try BertModel(directory: directory.path) })
    #expect(badField.field == "hidden_size" && badField.message.contains("positive integer"))
    try Self.editConfig(directory) {
      $0["hidden_size"] = 8
      $0["num_attention_heads"] = 3
    }
    #expect(Self.error { _ = try BertModel(directory: directory.path) }?.field == "num_attention_heads")
  }

  @Test func unknownBackboneNameOrDirectory() throws {
    let error = try #require(Self.error { _ = try BackboneStore().resolve("/no/such/model") })
    #expect(error.description.contains("not a known backbone name (minilm, smollm2) nor a model directory"))
  }
}
