import RewardCore
import RewardData
import RewardFeatures

/// How strongly a model (or each member of an ensemble) prefers chosen over rejected: the mean
/// and standard deviation over members of r_c − r_r (Wang et al. 2024, "Secrets of RLHF II").
/// Strongly negative strength flags a likely mislabelled pair; a high std, a pair the members
/// disagree on.
public struct PairStrength: Sendable, Equatable {
  public var mean: Double
  public var std: Double
  /// Share of members whose margin has the sign of `mean` (1 for a single model).
  public var agreement: Double

  public init(mean: Double, std: Double, agreement: Double = 1) {
    self.mean = mean
    self.std = std
    self.agreement = agreement
  }

  /// The members' margins as a strength.
  public init(margins: [Double]) {
    let (mean, std) = meanAndStandardDeviation(margins)
    let agreeing = margins.count(where: { mean != 0 && ($0 > 0) == (mean > 0) && $0 != 0 })
    self.init(mean: mean, std: std, agreement: margins.isEmpty ? 0 : Double(agreeing) / Double(margins.count))
  }

  /// One strength per pair from per-candidate member rewards laid out chosen, rejected, chosen, …
  /// (as `EnsembleHead.memberRewards` of the pairs' texts gives them), margins divided by
  /// `temperature`.
  public static func pairs(memberRewards: [[Double]], temperature: Double = 1) -> [PairStrength] {
    stride(from: 0, to: memberRewards.count - 1, by: 2).map { i in
      PairStrength(margins: zip(memberRewards[i], memberRewards[i + 1]).map { ($0 - $1) / temperature })
    }
  }

  /// The ensemble's confidence in the direction of the preference: |mean| / std, how many of the
  /// members' standard deviations the mean strength lies from zero (a z-score; Φ of it is the
  /// share of a normal fitted to the members on the predicted side). Scale-free, unlike the std,
  /// which for linear heads on frozen features grows with the size of the margin. +∞ when the
  /// members agree exactly (and for a single model); 0 when the mean is 0.
  public var confidence: Double {
    guard mean != 0 else { return 0 }
    return std > 0 ? abs(mean) / std : .infinity
  }
}

/// How pairs are ordered from most to least confident.
public enum ConfidenceMeasure: String, Sendable, CaseIterable {
  /// |mean| / std of the members' margins (ties, such as a single model's +∞, by |mean|).
  case signalToNoise = "mean/std"
  /// The members' standard deviation alone, smallest first (the reward's uncertainty).
  case standardDeviation = "std"
  /// |mean|: the size of the predicted preference, ignoring the members' spread.
  case margin = "|mean|"

  /// Pair indices from most to least confident (stable: equal pairs keep their order).
  public func order(_ strengths: [PairStrength]) -> [Int] {
    strengths.indices.sorted { a, b in
      let (x, y) = (strengths[a], strengths[b])
      switch self {
      case .signalToNoise:
        if x.confidence != y.confidence { return x.confidence > y.confidence }
        if abs(x.mean) != abs(y.mean) { return abs(x.mean) > abs(y.mean) }
      case .standardDeviation:
        if x.std != y.std { return x.std < y.std }
      case .margin:
        if abs(x.mean) != abs(y.mean) { return abs(x.mean) > abs(y.mean) }
      }
      return a < b
    }
  }
}

/// Accuracy on the third of pairs a model is most confident about and on the third it is least
/// confident about: whether its uncertainty is informative (issue 7).
public struct ConfidenceThirds: Sendable, Equatable {
  public var measure: ConfidenceMeasure
  /// Pairs in each third (a third of the pairs with a strict label, rounded down).
  public var pairsPerThird: Int
  public var mostConfidentAccuracy: Double
  public var leastConfidentAccuracy: Double

  /// `labels` are P(chosen ≻ rejected) as the data gives them; ties (0.5) are left out, and a
  /// pair counts as right when its mean strength has the label's direction (0 is wrong).
  public init(measure: ConfidenceMeasure, strengths: [PairStrength], labels: [Double]) {
    precondition(strengths.count == labels.count)
    let strict = strengths.indices.filter { !PreferencePair.isTie(labels[$0]) }
    let kept = strict.map { strengths[$0] }
    let order = measure.order(kept).map { strict[$0] }
    let third = order.count / 3
    func accuracy(_ indices: ArraySlice<Int>) -> Double {
      guard !indices.isEmpty else { return 0 }
      let right = indices.count(where: { (strengths[$0].mean > 0) == (labels[$0] > 0.5) && strengths[$0].mean != 0 })
      return Double(right) / Double(indices.count)
    }
    self.measure = measure
    self.pairsPerThird = third
    self.mostConfidentAccuracy = accuracy(order.prefix(third))
    self.leastConfidentAccuracy = accuracy(order.suffix(third))
  }
}

public enum PreferenceStrength {
  /// Each pair's strength under the model: over an ensemble's members, or the one margin of a
  /// single head (std 0). Margins are divided by the model's calibration temperature.
  public static func estimate(
    _ model: HeadRewardModel, pairs: [PreferencePair], batchSize: Int = 1024
  ) async throws -> [PairStrength] {
    var strengths: [PairStrength] = []
    strengths.reserveCapacity(pairs.count)
    for start in stride(from: 0, to: pairs.count, by: batchSize) {
      let batch = pairs[start..<min(pairs.count, start + batchSize)]
      let features = try await model.featurizer.features(
        for: batch.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] })
      let perMember: [[Double]]
      if let ensemble = model.head as? EnsembleHead {
        perMember = ensemble.memberRewards(features)
      } else {
        perMember = model.head.rewards(features).map { [$0.value] }
      }
      strengths += PairStrength.pairs(memberRewards: perMember, temperature: model.temperature)
    }
    return strengths
  }
}

/// What to do with pairs a model thinks are mislabelled, and how to reweight the rest: the data
/// tools of the "Secrets of RLHF II" recipe.
public struct StrengthPolicy: Sendable {
  public enum Action: String, Sendable, CaseIterable {
    /// Keep the pair, only mark it (`suspect: true`).
    case flag
    /// Swap chosen and rejected.
    case flip
    /// Leave the pair out.
    case drop
  }

  /// Pairs whose mean strength is below this are suspects.
  public var suspectBelow: Double
  public var action: Action
  /// When set, every kept pair gets margin = scale × max(strength, 0) (an adaptive margin).
  public var adaptiveMarginScale: Double?
  /// When set, pairs with mean strength in [suspectBelow, smoothBelow) get a soft label 1 − ε.
  public var smoothBelow: Double?
  public var smoothing: Double

  public init(
    suspectBelow: Double = -1, action: Action = .flag, adaptiveMarginScale: Double? = nil, smoothBelow: Double? = nil,
    smoothing: Double = 0.1
  ) {
    self.suspectBelow = suspectBelow
    self.action = action
    self.adaptiveMarginScale = adaptiveMarginScale
    self.smoothBelow = smoothBelow
    self.smoothing = smoothing
  }

  public struct Outcome: Sendable {
    public var pairs: [(pair: PreferencePair, strength: PairStrength, suspect: Bool)]
    public var suspects: Int
    public var flipped: Int
    public var dropped: Int
    public var smoothed: Int
  }

  public func apply(_ pairs: [PreferencePair], strengths: [PairStrength]) -> Outcome {
    var outcome = Outcome(pairs: [], suspects: 0, flipped: 0, dropped: 0, smoothed: 0)
    for (original, strength) in zip(pairs, strengths) {
      var pair = original
      var strength = strength
      let suspect = strength.mean < suspectBelow
      if suspect {
        outcome.suspects += 1
        switch action {
        case .flag: break
        case .drop:
          outcome.dropped += 1
          continue
        case .flip:
          outcome.flipped += 1
          swap(&pair.chosen, &pair.rejected)
          strength.mean = -strength.mean
        }
      } else if let smoothBelow, strength.mean < smoothBelow, pair.chosenProbability > 1 - smoothing {
        pair.chosenProbability = 1 - smoothing
        outcome.smoothed += 1
      }
      if let scale = adaptiveMarginScale { pair.margin = scale * max(strength.mean, 0) }
      outcome.pairs.append((pair, strength, suspect))
    }
    return outcome
  }
}
