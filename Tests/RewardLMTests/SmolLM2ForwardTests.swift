import Foundation
import RewardCore
import Testing

@testable import RewardLM

/// SmolLM2-135M-Instruct from the real Q4_1/Q8_0 GGUF against transformers' float32
/// dequantisation of the same file (Fixtures/smollm2/forward.json): RewardKit reads the blocks
/// natively and keeps llama.cpp's interleaved Q/K layout, transformers un-permutes them, so
/// equal hidden states also show the RoPE layouts agree.
@Suite struct SmolLM2ForwardTests {
  /// Absolute, on hidden states of magnitude up to ~10 after 30 layers (float32 sums in another
  /// order); log-probabilities are compared to 2e-3.
  static let hiddenTolerance: Float = 2e-3

  @Test func finalHiddenStatesAndLogProbabilitiesMatchTransformers() throws {
    guard SmolLM2File.isPresent else {
      print("skipped: \(SmolLM2File.skipReason)")
      return
    }
    guard LMFixtures.exists("smollm2/forward.json") else {
      print("skipped: fixture smollm2/forward.json not present")
      return
    }
    let model = try DecoderModel(path: SmolLM2File.path)
    #expect(model.config.layerCount == 30 && model.config.ropeLayout == .interleaved)
    let texts = try #require(try LMFixtures.json("smollm2/forward.json").objectValue?["texts"]?.arrayValue)
      .compactMap(\.objectValue)
    let sequences = texts.map { $0["ids"]!.tokenIDs }
    let states = try model.hiddenStates(sequences, layers: Set(0...30))
    let logProbabilities = try model.tokenLogProbabilities(sequences)
    let pooled = try model.pooledHiddenStates(sequences, layer: 30, pooling: .mean)
    for (index, text) in texts.enumerated() {
      let final = states.final[index]
      let last = final.row(final.rows - 1)
      let lastDifference = maxAbsDifference(last, try #require(text["final_last"]).floats)
      #expect(lastDifference < Self.hiddenTolerance, "text \(index) final_last: \(lastDifference)")
      let meanDifference = maxAbsDifference(pooled[index], try #require(text["final_mean"]).floats)
      #expect(meanDifference < Self.hiddenTolerance, "text \(index) final_mean: \(meanDifference)")
      let layers = try #require(text["layers_last_first8"]?.arrayValue)
      for (layer, expected) in layers.enumerated() {
        let matrix = try #require(states.layers[layer]?[index])
        let ours = Array(matrix.row(matrix.rows - 1).prefix(8))
        let difference = maxAbsDifference(ours, expected.floats)
        #expect(difference < Self.hiddenTolerance, "text \(index) hidden_states[\(layer)]: \(difference)")
      }
      let expected = try #require(text["logprobs"]).doubles
      #expect(logProbabilities[index].count == expected.count)
      let worst = zip(logProbabilities[index], expected).map { abs($0 - $1) }.max() ?? 0
      #expect(worst < 2e-3, "text \(index) log-probabilities differ by up to \(worst)")
    }
  }
}
