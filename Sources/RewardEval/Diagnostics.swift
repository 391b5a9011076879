import RewardCore

/// Does the model prefer longer answers? Accuracy split by which response is longer, and how
/// reward follows length (in words) over every scored response.
public struct LengthBias: Sendable, Equatable {
  public var chosenLonger: AccuracySummary
  public var chosenShorter: AccuracySummary
  public var sameLength: Int
  public var rewardLengthPearson: Double?
  public var rewardLengthSpearman: Double?
  /// Responses binned by length quantile: mean length, mean reward, count (the length-bias plot).
  public var bins: [(meanLength: Double, meanReward: Double, count: Int)]

  public static func == (lhs: LengthBias, rhs: LengthBias) -> Bool {
    lhs.chosenLonger == rhs.chosenLonger && lhs.chosenShorter == rhs.chosenShorter && lhs.sameLength == rhs.sameLength
      && lhs.rewardLengthPearson == rhs.rewardLengthPearson && lhs.rewardLengthSpearman == rhs.rewardLengthSpearman
      && lhs.bins.elementsEqual(rhs.bins) { $0 == $1 }
  }

  public static func measure(_ pairs: [ScoredPair], bins: Int, options: EvaluationOptions) -> LengthBias? {
    guard !pairs.isEmpty else { return nil }
    let longer = pairs.filter { $0.chosenLength > $0.rejectedLength }
    let shorter = pairs.filter { $0.chosenLength < $0.rejectedLength }
    let lengths = pairs.flatMap { [Double($0.chosenLength), Double($0.rejectedLength)] }
    let rewards = pairs.flatMap { [$0.chosenReward, $0.rejectedReward] }
    return LengthBias(
      chosenLonger: .of(longer, resamples: options.bootstrapResamples, seed: options.seed),
      chosenShorter: .of(shorter, resamples: options.bootstrapResamples, seed: options.seed),
      sameLength: pairs.count - longer.count - shorter.count,
      rewardLengthPearson: Statistics.pearson(lengths, rewards),
      rewardLengthSpearman: Statistics.spearman(lengths, rewards),
      bins: quantileBins(lengths: lengths, rewards: rewards, count: bins))
  }

  /// Equal-count bins by length (sorted, then cut into `count` consecutive slices).
  static func quantileBins(lengths: [Double], rewards: [Double], count: Int) -> [(Double, Double, Int)] {
    let order = lengths.indices.sorted { lengths[$0] < lengths[$1] }
    let binCount = max(1, min(count, order.count))
    return (0..<binCount).compactMap { bin in
      let slice = order[(bin * order.count / binCount)..<((bin + 1) * order.count / binCount)]
      guard !slice.isEmpty else { return nil }
      let n = Double(slice.count)
      return (slice.map { lengths[$0] }.reduce(0, +) / n, slice.map { rewards[$0] }.reduce(0, +) / n, slice.count)
    }
  }
}

/// How well σ(r_c − r_r) works as a probability. Each pair counts in both orders — (p, y) and
/// (1 − p, 1 − y), y being the label's P(chosen ≻ rejected) — so the diagram does not depend on
/// which response a file lists first, and soft labels count as they are.
public struct Calibration: Sendable, Equatable {
  public struct Bin: Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    public var meanPredicted: Double
    public var observed: Double
  }

  public var bins: [Bin]
  /// Σ_bins (count / n) · |observed − meanPredicted|, equal-width bins on [0, 1].
  public var expectedCalibrationError: Double
  /// Mean (p − y)² over pairs (the same in either order).
  public var brierScore: Double

  /// Pairs whose probability or label is not a finite number are left out (a NaN has no bin).
  public static func measure(probabilities: [Double], labels: [Double], bins binCount: Int) -> Calibration? {
    guard probabilities.count == labels.count else { return nil }
    let kept = probabilities.indices.filter { probabilities[$0].isFinite && labels[$0].isFinite }
    let probabilities = kept.map { probabilities[$0] }
    let labels = kept.map { labels[$0] }
    guard !probabilities.isEmpty, binCount > 0 else { return nil }
    var sums = [(count: Int, predicted: Double, observed: Double)](repeating: (0, 0, 0), count: binCount)
    func add(_ p: Double, _ y: Double) {
      let bin = min(binCount - 1, max(0, Int(p * Double(binCount))))
      sums[bin].count += 1
      sums[bin].predicted += p
      sums[bin].observed += y
    }
    var brier = 0.0
    for (p, y) in zip(probabilities, labels) {
      add(p, y)
      add(1 - p, 1 - y)
      brier += (p - y) * (p - y)
    }
    let total = Double(2 * probabilities.count)
    var ece = 0.0
    var bins: [Bin] = []
    for (index, sum) in sums.enumerated() where sum.count > 0 {
      let n = Double(sum.count)
      let bin = Bin(
        lower: Double(index) / Double(binCount), upper: Double(index + 1) / Double(binCount), count: sum.count,
        meanPredicted: sum.predicted / n, observed: sum.observed / n)
      ece += n / total * abs(bin.observed - bin.meanPredicted)
      bins.append(bin)
    }
    return Calibration(
      bins: bins, expectedCalibrationError: ece, brierScore: brier / Double(probabilities.count))
  }
}

/// How often two models pick the same response of each pair, and Cohen's κ (agreement beyond
/// what their individual rates of picking the labelled-chosen response would give by chance).
public struct Agreement: Sendable, Equatable {
  public var first: String
  public var second: String
  public var pairs: Int
  public var rate: Double
  public var cohensKappa: Double?

  /// `firstPicks[i]`: the first model prefers pair i's chosen response (strictly); same for second.
  public static func measure(first: String, second: String, firstPicks: [Bool], secondPicks: [Bool]) -> Agreement? {
    guard !firstPicks.isEmpty, firstPicks.count == secondPicks.count else { return nil }
    let n = Double(firstPicks.count)
    let agree = Double(zip(firstPicks, secondPicks).count(where: { $0 == $1 }))
    let a = Double(firstPicks.count(where: { $0 })) / n
    let b = Double(secondPicks.count(where: { $0 })) / n
    let chance = a * b + (1 - a) * (1 - b)
    let observed = agree / n
    return Agreement(
      first: first, second: second, pairs: firstPicks.count, rate: observed,
      cohensKappa: chance < 1 ? (observed - chance) / (1 - chance) : nil)
  }
}

/// AUROC for a detection task: how well rewards separate positives (e.g. human-written text) from
/// negatives. On preference pairs, chosen responses are the positives: a pooled measure of how
/// well rewards alone (not pairs) tell preferred from dispreferred answers.
public struct DetectionReport: Sendable, Equatable {
  public var positives: Int
  public var negatives: Int
  public var auroc: Double?

  public static func measure(scores: [Double], labels: [Bool]) -> DetectionReport {
    DetectionReport(
      positives: labels.count(where: { $0 }), negatives: labels.count(where: { !$0 }),
      auroc: Statistics.auroc(scores: scores, labels: labels))
  }
}
