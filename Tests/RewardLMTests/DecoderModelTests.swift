import Foundation
import RewardCore
import RewardTensor
import Testing

@testable import RewardLM

/// The committed fixtures of scripts/lm_reference.py (see Fixtures/README.md).
enum LMFixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
  static func path(_ relative: String) -> String { root + "/" + relative }
  static func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }
  static func json(_ relative: String) throws -> JSONValue {
    try JSONParser.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path(relative)))))
  }
  static let tinyModels = ["llama", "llama3-rope", "qwen2", "qwen3", "mistral"]
}

extension JSONValue {
  var floats: [Float] { (arrayValue ?? []).map { Float($0.doubleValue ?? .nan) } }
  var doubles: [Double] { (arrayValue ?? []).map { $0.doubleValue ?? .nan } }
  var tokenIDs: [TokenID] { (arrayValue ?? []).map { TokenID($0.doubleValue ?? -1) } }
  var rows: [[Float]] { (arrayValue ?? []).map(\.floats) }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
  precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
  return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Tiny random models of each family (transformers, float32): hidden states, logits,
/// log-probabilities and score-head outputs must match within 1e-4 (absolute; the values are O(1)).
@Suite struct TinyDecoderTests {
  static let tolerance: Float = 1e-4

  static func load(_ name: String) throws -> (DecoderModel, JSONObject)? {
    guard LMFixtures.exists("tiny/\(name)/expected.json") else {
      print("skipped: fixture tiny/\(name) not present")
      return nil
    }
    let model = try DecoderModel(directory: LMFixtures.path("tiny/\(name)"))
    return (model, try #require(try LMFixtures.json("tiny/\(name)/expected.json").objectValue))
  }

  @Test(arguments: LMFixtures.tinyModels)
  func hiddenStatesLogitsAndLogProbabilitiesMatchTransformers(_ name: String) throws {
    guard let (model, expected) = try Self.load(name) else { return }
    let sequences = try #require(expected["sequences"]?.arrayValue).map(\.tokenIDs)
    let references = try #require(expected["per_sequence"]?.arrayValue).compactMap(\.objectValue)
    // All sequences in one call: packing must give what each alone gives.
    let layers = Set(0...model.config.layerCount)
    let states = try model.hiddenStates(sequences, layers: layers)
    let logProbabilities = try model.tokenLogProbabilities(sequences)
    for (index, reference) in references.enumerated() {
      let hidden = try #require(reference["hidden_states"]?.arrayValue)
      #expect(hidden.count == model.config.layerCount + 1)
      for (layer, matrix) in hidden.enumerated() {
        let ours = try #require(states.layers[layer]?[index])
        let difference = maxAbsDifference(ours.values, matrix.rows.flatMap { $0 })
        #expect(difference < Self.tolerance, "\(name) sequence \(index) hidden_states[\(layer)]: \(difference)")
      }
      #expect(states.final[index] == states.layers[model.config.layerCount]![index])
      let logits = try model.logits(states.final[index])
      let logitDifference = maxAbsDifference(logits.values, try #require(reference["logits"]).rows.flatMap { $0 })
      #expect(logitDifference < Self.tolerance, "\(name) sequence \(index) logits: \(logitDifference)")
      let expectedLogProbabilities = try #require(reference["logprobs"]).doubles
      #expect(logProbabilities[index].count == expectedLogProbabilities.count)
      for (a, b) in zip(logProbabilities[index], expectedLogProbabilities) {
        #expect(abs(a - b) < 1e-4, "\(name) sequence \(index) log-probability \(a) vs \(b)")
      }
    }
  }

  @Test(arguments: LMFixtures.tinyModels)
  func sequenceClassifierScoresMatchTransformers(_ name: String) throws {
    guard let (_, expected) = try Self.load(name) else { return }
    let classifier = try DecoderModel(directory: LMFixtures.path("tiny/\(name)/seqcls"))
    let sequences = try #require(expected["sequences"]?.arrayValue).map(\.tokenIDs)
    let references = try #require(expected["per_sequence"]?.arrayValue).compactMap(\.objectValue)
    let scores = try classifier.sequenceScores(sequences)
    for (index, reference) in references.enumerated() {
      let wanted = try #require(reference["seqcls_logits"]).floats
      #expect(scores[index].count == wanted.count)
      let difference = maxAbsDifference(scores[index], wanted)
      #expect(difference < Self.tolerance, "\(name) sequence \(index) score: \(scores[index]) vs \(wanted)")
    }
  }

  @Test func scoredPositionIsTheLastNonPadToken() {
    #expect(DecoderModel.scoredPosition([5, 6, 7], padTokenID: nil) == 2)
    #expect(DecoderModel.scoredPosition([5, 6, 0, 0], padTokenID: 0) == 1)
    #expect(DecoderModel.scoredPosition([0, 0], padTokenID: 0) == 0)
  }
}

/// The runtime cuts work into blocks (attention by 128-query blocks over the keys they can see,
/// projections and MLP by row chunks, batches into passes of a bounded token count). None of it
/// may change a number: a pass with one block for everything is the reference.
@Suite struct BlockedPassTests {
  static func model(slidingWindow: Int?) throws -> DecoderModel? {
    let directory = LMFixtures.path("tiny/mistral")
    guard LMFixtures.exists("tiny/mistral/config.json") else { return nil }
    var config = try DecoderConfig(contentsOf: directory + "/config.json")
    config.slidingWindow = slidingWindow
    return try DecoderModel(
      config: config, store: TensorStore(directory: directory), names: .huggingFace(prefix: "model."))
  }

  static func randomSequences(_ lengths: [Int], vocabulary: Int) -> [[TokenID]] {
    var generator = SeededGenerator(seed: 7)
    return lengths.map { length in (0..<length).map { _ in TokenID(Int.random(in: 0..<vocabulary, using: &generator)) }
    }
  }

  @Test(arguments: [nil, 37, 200])
  func blocksAndChunksEqualOneProductOverEverything(slidingWindow: Int?) throws {
    guard let model = try Self.model(slidingWindow: slidingWindow) else { return }
    // One sequence longer than a chunk and several attention blocks, and two short ones.
    let sequences = Self.randomSequences([300, 5, 140], vocabulary: model.config.vocabularySize)
    let layers = Set(0...model.config.layerCount)
    let whole = model.runPass(sequences, capturing: layers, attentionBlock: 10_000, chunkRows: 10_000)
    let blocked = model.runPass(sequences, capturing: layers, attentionBlock: 128, chunkRows: 64)
    for index in sequences.indices {
      for layer in layers.sorted() {
        let difference = maxAbsDifference(blocked.layers[layer]![index].values, whole.layers[layer]![index].values)
        #expect(difference < 1e-5, "window \(String(describing: slidingWindow)) sequence \(index) layer \(layer)")
      }
    }
    // hiddenStates splits the batch into passes of at most DecoderPass.chunkRows tokens.
    let split = try model.hiddenStates(sequences)
    for index in sequences.indices {
      #expect(maxAbsDifference(split.final[index].values, whole.final[index].values) < 1e-5)
    }
  }

  @Test func passGroupsKeepOrderAndBoundTheTokens() {
    let limit = DecoderPass.chunkRows
    #expect(DecoderModel.passGroups([]) == [])
    #expect(DecoderModel.passGroups([limit + 10]) == [0..<1])
    #expect(DecoderModel.passGroups([limit / 2, limit / 2, 1, limit + 1, 3]) == [0..<2, 2..<3, 3..<4, 4..<5])
  }

  /// The LM head's log-softmax runs online over panels of the vocabulary: it must equal the
  /// direct log-softmax, in Float64, however the columns are cut and whatever the logits' scale.
  @Test func onlineLogSoftmaxEqualsTheDirectOne() {
    var generator = SeededGenerator(seed: 3)
    for scale in [1.0, 30.0, 80.0] as [Float] {
      let logits = (0..<1000).map { _ in Float.random(in: -scale...scale, using: &generator) }
      let maximum = Double(logits.max()!)
      let logSum = maximum + Foundation.log(logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - maximum) })
      for target in [0, 417, 999] {
        let direct = Double(logits[target]) - logSum
        for panel in [1000, 333, 64, 7] {
          var state = OnlineLogSoftmax(target: target)
          var scratch = logits
          scratch.withUnsafeMutableBufferPointer { buffer in
            for start in stride(from: 0, to: logits.count, by: panel) {
              let end = min(logits.count, start + panel)
              state.add(buffer.baseAddress! + start, columns: start..<end)
            }
          }
          #expect(abs(state.logProbability - direct) < 1e-5, "scale \(scale) target \(target) panel \(panel)")
        }
      }
    }
  }
}
