import RewardCore
import RewardData

/// One preference pair after scoring.
public struct ScoredPair: Sendable, Equatable {
  public var chosenReward: Double
  public var rejectedReward: Double
  /// The label: P(chosen ≻ rejected); 1 for hard labels.
  public var chosenProbability: Double
  public var subset: String?
  /// The data set (input file) the pair came from: each file is reported on its own.
  public var dataSet: String?
  /// Response lengths in words, for the length-bias diagnostics.
  public var chosenLength: Int
  public var rejectedLength: Int

  public init(
    chosenReward: Double, rejectedReward: Double, chosenProbability: Double = 1, subset: String? = nil,
    dataSet: String? = nil, chosenLength: Int = 0, rejectedLength: Int = 0
  ) {
    self.chosenReward = chosenReward
    self.rejectedReward = rejectedReward
    self.chosenProbability = chosenProbability
    self.subset = subset
    self.dataSet = dataSet
    self.chosenLength = chosenLength
    self.rejectedLength = rejectedLength
  }

  public var margin: Double { chosenReward - rejectedReward }
  /// Strict, as RewardBench: a tied score is wrong, and so is a pair with a non-finite reward,
  /// so a model cannot gain accuracy by failing.
  public var isCorrect: Bool { margin > 0 && isFinite }
  /// Both rewards are numbers (see `NonFiniteRewardPolicy.countAsInvalid`).
  public var isFinite: Bool { chosenReward.isFinite && rejectedReward.isFinite }
}

/// Accuracy of a model on one group of pairs.
public struct AccuracySummary: Sendable, Equatable {
  public var pairs: Int
  public var correct: Int
  /// Mean of r_chosen − r_rejected over pairs with finite rewards; nil for purely pairwise models.
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
      meanMargin: Statistics.mean(pairs.filter(\.isFinite).map(\.margin)),
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

/// Accuracy on one input file, and on its subsets.
public struct DataSetSummary: Sendable {
  /// A short name (the file name, or more of the path where two files share it).
  public var name: String
  /// The path as given.
  public var file: String
  public var overall: AccuracySummary
  public var subsets: [(name: String, summary: AccuracySummary)]
}

/// What `reward eval` reports for preference pairs.
public struct PairwiseReport: Sendable {
  public var model: String
  /// Pooled over every pair of every data set.
  public var overall: AccuracySummary
  /// Pooled by subset name over the data sets (RewardBench's section scores need these).
  public var subsets: [(name: String, summary: AccuracySummary)]
  /// One entry per input file, in the order given.
  public var dataSets: [DataSetSummary]
  /// Pairs with a NaN or infinite reward (counted wrong; left out of the diagnostics).
  public var nonFinitePairs: Int
  /// The unweighted mean of the data sets' accuracies (reward-bench's average over data sets);
  /// nil for a single data set, where it would equal `overall`.
  public var dataSetMean: Double? {
    guard dataSets.count > 1 else { return nil }
    return dataSets.map(\.overall.accuracy).reduce(0, +) / Double(dataSets.count)
  }
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
      pairs.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] },
      item: { describe(pairs[$0 / 2], $0 % 2 == 0 ? "chosen" : "rejected") }, progress: progress)
    let scored = pairs.indices.map { i in
      ScoredPair(
        chosenReward: rewards[2 * i], rejectedReward: rewards[2 * i + 1],
        chosenProbability: pairs[i].chosenProbability, subset: pairs[i].subset, dataSet: pairs[i].source.file,
        chosenLength: wordCount(pairs[i].chosen), rejectedLength: wordCount(pairs[i].rejected))
    }
    return report(model: model.name, scored: scored, skipped: skipped, options: options)
  }

  /// A pair's place for error messages: file:line, its id when it has one, and which response.
  static func describe(_ pair: PreferencePair, _ response: String) -> String {
    "\(pair.source)\(pair.id.map { " (id \($0))" } ?? "") (\(response) response)"
  }

  /// The report from already scored pairs (pure: what the tests check).
  public static func report(
    model: String, scored: [ScoredPair], skipped: [InputError] = [], options: EvaluationOptions = EvaluationOptions()
  ) -> PairwiseReport {
    let resamples = options.bootstrapResamples
    // Length, calibration and AUROC need numbers: pairs with a non-finite reward are left out of
    // them (their count is reported), while accuracy counts them wrong.
    let finite = scored.filter(\.isFinite)
    return PairwiseReport(
      model: model, overall: .of(scored, resamples: resamples, seed: options.seed),
      subsets: subsetSummaries(scored, options: options),
      dataSets: dataSetSummaries(scored, options: options), nonFinitePairs: scored.count - finite.count,
      lengthBias: LengthBias.measure(finite, bins: options.lengthBins, options: options),
      calibration: Calibration.measure(
        probabilities: finite.map { sigmoid($0.margin) }, labels: finite.map(\.chosenProbability),
        bins: options.calibrationBins),
      detection: finite.isEmpty
        ? nil
        : DetectionReport.measure(
          scores: finite.flatMap { [$0.chosenReward, $0.rejectedReward] },
          labels: finite.flatMap { _ in [true, false] }),
      skipped: skipped, scored: scored)
  }

  static func subsetSummaries(_ scored: [ScoredPair], options: EvaluationOptions) -> [(
    name: String, summary: AccuracySummary
  )] {
    var bySubset: [String: [ScoredPair]] = [:]
    for pair in scored {
      if let subset = pair.subset { bySubset[subset, default: []].append(pair) }
    }
    return bySubset.keys.sorted().map {
      ($0, .of(bySubset[$0]!, resamples: options.bootstrapResamples, seed: options.seed))
    }
  }

  /// One summary per data set, in order of first appearance; pairs without one form no data set.
  static func dataSetSummaries(_ scored: [ScoredPair], options: EvaluationOptions) -> [DataSetSummary] {
    var order: [String] = []
    var byFile: [String: [ScoredPair]] = [:]
    for pair in scored {
      guard let file = pair.dataSet else { continue }
      if byFile[file] == nil { order.append(file) }
      byFile[file, default: []].append(pair)
    }
    let names = DataSetNames.short(order)
    return zip(order, names).map { file, name in
      let pairs = byFile[file]!
      return DataSetSummary(
        name: name, file: file, overall: .of(pairs, resamples: options.bootstrapResamples, seed: options.seed),
        subsets: subsetSummaries(pairs, options: options))
    }
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

/// Short, distinct names for input files: the file name, or as many trailing path components as
/// it takes to tell two files apart.
public enum DataSetNames {
  public static func short(_ paths: [String]) -> [String] {
    let components = paths.map { $0.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }
    var depth = 1
    while true {
      let names = components.map { parts in parts.suffix(depth).joined(separator: "/") }
      let longest = components.map(\.count).max() ?? 0
      if Set(names).count == names.count || depth >= longest {
        return zip(names, paths).map { $0.isEmpty ? $1 : $0 }
      }
      depth += 1
    }
  }
}
