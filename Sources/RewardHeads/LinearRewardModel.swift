import RewardCore
import RewardFeatures

/// A learned reward model: a featurizer and a linear head, r = ⟨w, φ(x)⟩. The Bradley–Terry
/// objective is invariant to a constant shift, so there is no bias.
public struct LinearRewardModel: RewardModel {
  public let name: String
  public let featurizer: any Featurizer
  public let weights: [Float]

  public init(name: String, featurizer: any Featurizer, weights: [Float]) throws(ConfigurationError) {
    guard weights.count == featurizer.dimension else {
      throw ConfigurationError(
        "head has \(weights.count) weights but the featurizer makes \(featurizer.dimension)-dimensional vectors")
    }
    self.name = name
    self.featurizer = featurizer
    self.weights = weights
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    let vectors = try await featurizer.features(for: candidates)
    return weights.withUnsafeBufferPointer { w in vectors.map { Reward(Double($0.dot(w))) } }
  }
}
