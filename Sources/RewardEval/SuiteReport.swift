import RewardCore

/// Everything measured for one model.
public struct ModelEvaluation: Sendable {
  public var model: String
  public var pairwise: PairwiseReport?
  public var rewardBench: RewardBench.Scores?
  public var rewardBench2: RewardBench2.Report?
  public var rmBench: RMBench.Report?
  public var bestOfN: BestOfN.Curve?
  /// AUROC of rewards for labelled items: correct vs incorrect best-of-N responses, or a detection file.
  public var detection: DetectionReport?
  public var positionCheck: PositionCheck?
  /// A generative judge scored by RewardBench's rules (ties and errors get partial credit), with
  /// its parse failures, order statistics and token usage.
  public var generative: GenerativeEvaluation?
  /// Candidates that got a NaN or infinite reward (only with `NonFiniteRewardPolicy.countAsInvalid`;
  /// otherwise evaluation stops at the first).
  public var nonFiniteRewards: Int?
  /// Wall-clock seconds spent scoring and measuring.
  public var seconds: Double?
  /// Of which inside the model's `score` (the rest is the harness: reading caches, metrics, bootstrap).
  public var scoringSeconds: Double?
  /// Candidates the model scored (after de-duplication and the cache).
  public var candidatesScored: Int?
  /// Seconds to score every candidate of the inputs with plain `model.score` batches (no cache, no
  /// de-duplication, no metrics): the baseline of the harness-overhead benchmark.
  public var rawScoringSeconds: Double?

  public init(model: String) { self.model = model }
}

/// Several models on the same data, side by side, with their pairwise agreement.
public struct SuiteReport: Sendable {
  public var title: String
  public var dataFiles: [String]
  public var models: [ModelEvaluation]
  public var agreements: [Agreement]

  public init(title: String, dataFiles: [String], models: [ModelEvaluation]) {
    self.title = title
    self.dataFiles = dataFiles
    self.models = models
    agreements = []
    for i in models.indices {
      for j in models.indices where j > i {
        guard let a = models[i].pairwise?.scored, let b = models[j].pairwise?.scored, a.count == b.count,
          let agreement = Agreement.measure(
            first: models[i].model, second: models[j].model, firstPicks: a.map(\.isCorrect),
            secondPicks: b.map(\.isCorrect))
        else { continue }
        agreements.append(agreement)
      }
    }
  }
}
