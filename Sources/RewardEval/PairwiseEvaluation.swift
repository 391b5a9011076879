import RewardCore
import RewardData

/// One preference pair after scoring.
public struct ScoredPair: Sendable, Equatable {
  public var chosenReward: Double
  public var rejectedReward: Double
  /// The label: P(chosen ≻ rejected); 1 for hard labels.
  public var chosenProbability: Double
  public var subset: String?
  /// Response lengths in words, for the length-bias diagnostics.
  public var chosenLength: Int
  public var rejectedLength: Int

  public init(
    chosenReward: Double, rejectedReward: Double, chosenProbability: Double = 1, subset: String? = nil,
    chosenLength: Int = 0, rejectedLength: Int = 0
  ) {
    self.chosenReward = chosenReward
    self.rejectedReward = rejectedReward
    self.chosenProbability = chosenProbability
    self.subset = subset
    self.chosenLength = chosenLength
    self.rejectedLength = rejectedLength
  }

  public var margin: Double { chosenReward - rejectedReward }
  /// Strict, as RewardBench: a tied score is wrong.
  public var isCorrect: Bool { margin > 0 }
}

/// Accuracy of a model on one group of pairs.
public struct AccuracySummary: Sendable, Equatable {
  public var pairs: Int
  public var correct: Int
  /// Mean of r_chosen − r_rejected; nil for purely pairwise models.
  public var meanMargin: Double?
  /// Bootstrap 95% interval of the accuracy (nil when not computed or no pairs).
  public var interval: Interval?

  public init(pairs: Int, correct: Int, meanMargin: Double? = nil, interval: Interval? = nil) {
    self.pairs = pairs
    self.correct = correct
    self.meanMargin = meanMargin
    self.interval = interval
  }

  public var accuracy: Double { pairs == 0 ? 0 : Double(correct) / Double(pairs) }

  /// Summary of `pairs` with a seeded bootstrap interval (`resamples` 0 leaves it out).
  public static func of(_ pairs: [ScoredPair], resamples: Int, seed: UInt64) -> AccuracySummary {
    let outcomes = pairs.map { $0.isCorrect ? 1.0 : 0.0 }
    return AccuracySummary(
      pairs: pairs.count, correct: pairs.count(where: \.isCorrect),
      meanMargin: Statistics.mean(pairs.map(\.margin)),
      interval: resamples > 0 ? Statistics.bootstrapMean(outcomes, resamples: resamples, seed: seed) : nil)
  }
}

/// Settings shared by the metrics.
public struct EvaluationOptions: Sendable {
  /// Bootstrap resamples for confidence intervals (0: none).
  public var bootstrapResamples: Int
  public var seed: UInt64
  public var calibrationBins: Int
  public var lengthBins: Int

  public init(bootstrapResamples: Int = 1_000, seed: UInt64 = 0, calibrationBins: Int = 10, lengthBins: Int = 10) {
    self.bootstrapResamples = bootstrapResamples
    self.seed = seed
    self.calibrationBins = calibrationBins
    self.lengthBins = lengthBins
  }
}

/// What `reward eval` reports for preference pairs.
public struct PairwiseReport: Sendable {
  public var model: String
  public var overall: AccuracySummary
  public var subsets: [(name: String, summary: AccuracySummary)]
  public var lengthBias: LengthBias?
  public var calibration: Calibration?
  /// AUROC of rewards with chosen responses as positives (pooled over pairs).
  public var detection: DetectionReport?
  public var skipped: [InputError]
  /// Every scored pair, in input order (for agreement between models and the charts).
  public var scored: [ScoredPair]
}

/// Strict pairwise accuracy as RewardBench counts it: a pair is right only when the chosen
/// response scores strictly higher, so a tied score counts as wrong.
public enum PairwiseEvaluation {
  public static let batchSize = 256

  public static func evaluate(
    _ model: any RewardModel, pairs: [PreferencePair], skipped: [InputError] = [],
    options: EvaluationOptions = EvaluationOptions(), scorer: BatchScorer? = nil,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) async throws -> PairwiseReport {
    let scorer = scorer ?? BatchScorer(model: model, batchSize: batchSize)
    let rewards = try await scorer.score(
      pairs.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] }, progress: progress)
    let scored = pairs.indices.map { i in
      ScoredPair(
        chosenReward: rewards[2 * i], rejectedReward: rewards[2 * i + 1],
        chosenProbability: pairs[i].chosenProbability, subset: pairs[i].subset,
        chosenLength: wordCount(pairs[i].chosen), rejectedLength: wordCount(pairs[i].rejected))
    }
    return report(model: model.name, scored: scored, skipped: skipped, options: options)
  }

  /// The report from already scored pairs (pure: what the tests check).
  public static func report(
    model: String, scored: [ScoredPair], skipped: [InputError] = [], options: EvaluationOptions = EvaluationOptions()
  ) -> PairwiseReport {
    var bySubset: [String: [ScoredPair]] = [:]
    for pair in scored {
      if let subset = pair.subset { bySubset[subset, default: []].append(pair) }
    }
    let resamples = options.bootstrapResamples
    return PairwiseReport(
      model: model, overall: .of(scored, resamples: resamples, seed: options.seed),
      subsets: bySubset.keys.sorted().map { ($0, .of(bySubset[$0]!, resamples: resamples, seed: options.seed)) },
      lengthBias: LengthBias.measure(scored, bins: options.lengthBins, options: options),
      calibration: Calibration.measure(
        probabilities: scored.map { sigmoid($0.margin) }, labels: scored.map(\.chosenProbability),
        bins: options.calibrationBins),
      detection: scored.isEmpty
        ? nil
        : DetectionReport.measure(
          scores: scored.flatMap { [$0.chosenReward, $0.rejectedReward] },
          labels: scored.flatMap { _ in [true, false] }),
      skipped: skipped, scored: scored)
  }

  /// Whitespace-separated words, counted on UTF-8 bytes (grapheme iteration is far slower).
  static func wordCount(_ text: String) -> Int {
    var text = text
    return text.withUTF8 { bytes in
      var count = 0
      var inWord = false
      for byte in bytes {
        let space = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
        if !space && !inWord { count += 1 }
        inWord = !space
      }
      return count
    }
  }
}
