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
}

public enum PreferenceStrength {
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
      for offset in 0..<batch.count {
        let margins = zip(perMember[2 * offset], perMember[2 * offset + 1]).map { ($0 - $1) / model.temperature }
        let (mean, std) = meanAndStandardDeviation(margins)
        strengths.append(PairStrength(mean: mean, std: std))
      }
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
