import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// One training pair in feature space.
public struct FeaturePair: Sendable {
  public var chosen: FeatureVector
  public var rejected: FeatureVector
  /// P(chosen ≻ rejected) from the label: 1 for hard labels, (0.5, 1) for soft, 0.5 for a tie.
  public var chosenProbability: Double
  public var margin: Double
  /// Features of the prompt alone, for heads that condition on it (gates, routers).
  public var prompt: FeatureVector?
  /// Index of the annotator who labelled the pair, for per-annotator adaptation.
  public var annotator: Int?

  public init(
    chosen: FeatureVector, rejected: FeatureVector, chosenProbability: Double = 1, margin: Double = 0,
    prompt: FeatureVector? = nil, annotator: Int? = nil
  ) {
    self.chosen = chosen
    self.rejected = rejected
    self.chosenProbability = chosenProbability
    self.margin = margin
    self.prompt = prompt
    self.annotator = annotator
  }

  public var isTie: Bool { PreferencePair.isTie(chosenProbability) }
}

/// The Bradley–Terry objective as TRL's RewardTrainer computes it, generalised to soft labels
/// and label smoothing:
///
///   z = r_c − r_r − margin,  t = p·(1 − ε) + (1 − p)·ε
///   loss = −t·log σ(z) − (1 − t)·log σ(−z)  [+ c·(r_c + r_r)² when centring rewards]
///
/// With p = 1 and ε = 0 this is exactly TRL's −log σ(r_c − r_r − margin); the centring term is
/// TRL's `center_rewards_coefficient`. Loss and gradient are means over the batch.
public struct BradleyTerryLoss: Sendable {
  public var labelSmoothing: Double
  public var centerRewardsCoefficient: Double

  public init(labelSmoothing: Double = 0, centerRewardsCoefficient: Double = 0) {
    self.labelSmoothing = labelSmoothing
    self.centerRewardsCoefficient = centerRewardsCoefficient
  }

  /// Per-pair loss and dLoss/dz, dLoss/d(r_c + r_r) from the two rewards.
  @inlinable
  public func terms(
    chosenReward: Double, rejectedReward: Double, pair: FeaturePair
  ) -> (loss: Double, dZ: Double, dSum: Double) {
    let z = chosenReward - rejectedReward - pair.margin
    let target = pair.chosenProbability * (1 - labelSmoothing) + (1 - pair.chosenProbability) * labelSmoothing
    var loss = -target * logSigmoid(z) - (1 - target) * logSigmoid(-z)
    let sum = chosenReward + rejectedReward
    loss += centerRewardsCoefficient * sum * sum
    return (loss, sigmoid(z) - target, 2 * centerRewardsCoefficient * sum)
  }

  /// Mean loss over `batch` for a linear head, adding the mean gradient into `gradient`.
  public func lossAndGradient(
    weights: [Float], batch: ArraySlice<FeaturePair>, gradient: inout [Float]
  ) -> Double {
    guard !batch.isEmpty else { return 0 }
    let scale = 1 / Double(batch.count)
    var total = 0.0
    weights.withUnsafeBufferPointer { w in
      gradient.withUnsafeMutableBufferPointer { g in
        for pair in batch {
          let chosen = Double(pair.chosen.dot(w))
          let rejected = Double(pair.rejected.dot(w))
          let (loss, dZ, dSum) = terms(chosenReward: chosen, rejectedReward: rejected, pair: pair)
          total += loss
          // d z / d w = x_c − x_r;  d (r_c + r_r) / d w = x_c + x_r.
          pair.chosen.add(scaledBy: Float((dZ + dSum) * scale), into: g)
          pair.rejected.add(scaledBy: Float((-dZ + dSum) * scale), into: g)
        }
      }
    }
    return total * scale
  }
}
