import Foundation
import RewardBackbones
import RewardCore
import RewardData
import RewardEval
import RewardHeads
import RewardLM
import RewardTestSupport
import Testing

/// `reward eval --model A --model B` with two heads trained on one LM backbone (issue 13
/// leftover): the checkpoints rebuild one shared featurizer, so the evaluation runs each distinct
/// text through the LM once, not once per model.
@Suite struct SharedBackboneEvalTests {
  /// The tiny Llama of the LM fixtures with a byte-level tokenizer (RewardTestSupport).
  static let model = try! TinyLanguageModel.directory()

  @Test func twoHeadsOnOneBackboneEncodeEachTextOnce() async throws {
    let root = NSTemporaryDirectory() + "rewardkit-shared-eval-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: root) }
    let store = BackboneStore(cacheDirectory: root)
    var data = try PreferenceReader.read([SharedData.path("data/preference/llmbar-natural.json")])
    data.pairs = Array(data.pairs.prefix(12))
    // Trained without the disk cache, so the evaluation below starts cold.
    let trainingFeaturizer = try LanguageModelLoader.featurizer(
      backbone: Self.model, tokenBudget: 96, store: store, cacheEmbeddings: false)
    var directories: [String] = []
    for seed in [1, 2] as [UInt64] {
      var configuration = TrainingConfiguration()
      configuration.epochs = 2
      configuration.seed = seed
      let trained = try await train(
        BradleyTerryFamily(), data: TrainingData(pairs: data), featurizer: trainingFeaturizer,
        configuration: configuration)
      let directory = root + "/head-\(seed)"
      try trained.checkpoint.save(to: directory)
      directories.append(directory)
    }
    // What `reward eval --model A --model B` does: load every model, then evaluate each.
    let models = try directories.map { try Checkpoint.load(from: $0).rewardModel(name: $0, store: store) }
    let featurizers = try models.map { try #require($0.featurizer as? DecoderFeaturizer) }
    #expect(featurizers[0].statistics === featurizers[1].statistics)
    var reports: [PairwiseReport] = []
    for model in models {
      reports.append(try await PairwiseEvaluation.evaluate(model, pairs: data.pairs))
    }
    let candidates = data.pairs.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] }
    let distinct = Set(try candidates.map { try featurizers[0].tokens(for: $0) }).count
    #expect(featurizers[0].statistics.encoded == distinct)
    #expect(featurizers[0].statistics.cacheHits == 2 * candidates.count - distinct)
    #expect(reports.allSatisfy { $0.overall.pairs == data.pairs.count })
    // Two heads with different seeds on the same vectors: different rewards from one encoding.
    #expect(reports[0].scored.map(\.chosenReward) != reports[1].scored.map(\.chosenReward))
  }
}
