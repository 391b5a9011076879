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
