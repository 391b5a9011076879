import RewardCore
import RewardFeatures
import RewardTensor

/// What every trained head has: a kind, settings and weights a checkpoint stores. Each kind is
/// one type; `HeadRegistry` maps the kind stored in a checkpoint back to its loader, so a new
/// head is one file and one registry line.
public protocol CheckpointHead: Sendable {
  static var kind: String { get }
  /// Length of the feature vectors the head reads.
  var dimension: Int { get }
  /// Head settings saved in config.json under "head" (beside "kind" and "dimension").
  var settings: JSONObject { get }
  /// Weights saved in model.safetensors.
  var tensors: [NamedTensor] { get }
  /// Whether the head also reads the prompt's own features (gates, routers).
  var usesPromptFeatures: Bool { get }
  /// Rebuilds the head from what `settings` and `tensors` saved.
  static func load(settings: RecordFields, dimension: Int, weights: SafeTensorsFile) throws -> Self
}

extension CheckpointHead {
  public var usesPromptFeatures: Bool { false }
}

/// A head that gives each response a scalar reward.
public protocol RewardHead: CheckpointHead {
  /// One reward per feature vector (with components and uncertainty where the head has them);
  /// `prompts` holds the prompt features when `usesPromptFeatures`, else it is empty.
  func rewards(_ features: [FeatureVector], prompts: [FeatureVector]) -> [Reward]
}

extension RewardHead {
  public func rewards(_ features: [FeatureVector]) -> [Reward] { rewards(features, prompts: []) }
}

/// A head that only compares: P(a ≻ b) for pairs (preference-embedding models).
public protocol PairwiseHead: CheckpointHead {
  func probabilities(_ pairs: [FeaturePair]) -> [Double]
}

/// The one place that knows every head kind: adding a head is one file and one line here.
public enum HeadRegistry {
  public static let kinds = [
    LinearHead.kind, EnsembleHead.kind, PreferenceEmbeddingHead.kind, MixtureHead.kind, RegressionHead.kind,
    ArmoHead.kind,
  ]

  public static func load(
    kind: String, settings: RecordFields, dimension: Int, weights: SafeTensorsFile
  ) throws -> any CheckpointHead {
    switch kind {
    case LinearHead.kind: return try LinearHead.load(settings: settings, dimension: dimension, weights: weights)
    case EnsembleHead.kind: return try EnsembleHead.load(settings: settings, dimension: dimension, weights: weights)
    case PreferenceEmbeddingHead.kind:
      return try PreferenceEmbeddingHead.load(settings: settings, dimension: dimension, weights: weights)
    case MixtureHead.kind: return try MixtureHead.load(settings: settings, dimension: dimension, weights: weights)
    case RegressionHead.kind: return try RegressionHead.load(settings: settings, dimension: dimension, weights: weights)
    case ArmoHead.kind: return try ArmoHead.load(settings: settings, dimension: dimension, weights: weights)
    default:
      throw ConfigurationError("head.kind: unknown head '\(kind)'; expected one of \(kinds.joined(separator: ", "))")
    }
  }
}

/// r = ⟨w, φ(x)⟩: the Bradley–Terry head. There is no bias because the Bradley–Terry objective
/// cannot see a constant shift.
public struct LinearHead: RewardHead {
  public static let kind = "bradley-terry-linear"
  public static let tensorName = "head.weight"
  public let weights: [Float]

  public init(weights: [Float]) { self.weights = weights }

  public var dimension: Int { weights.count }
  public var settings: JSONObject { JSONObject() }
  public var tensors: [NamedTensor] { [NamedTensor(name: Self.tensorName, shape: [weights.count], values: weights)] }

  public static func load(settings: RecordFields, dimension: Int, weights: SafeTensorsFile) throws -> LinearHead {
    let values = try weights.floats(tensorName)
    guard values.count == dimension else {
      throw ConfigurationError(
        "\(weights.path): tensor '\(tensorName)' has \(values.count) values, config.json says \(dimension)")
    }
    return LinearHead(weights: values)
  }

  public func rewards(_ features: [FeatureVector], prompts: [FeatureVector]) -> [Reward] {
    weights.withUnsafeBufferPointer { w in features.map { Reward(Double($0.dot(w))) } }
  }
}

/// A featurizer and a head, with an optional calibration temperature: the learned model as a
/// `RewardModel` (rewards are divided by the temperature, so σ(r_a − r_b) is calibrated).
public struct HeadRewardModel: RewardModel {
  public let name: String
  public let featurizer: any Featurizer
  public let head: any RewardHead
  public let temperature: Double

  public init(name: String, featurizer: any Featurizer, head: any RewardHead, temperature: Double = 1)
    throws(ConfigurationError)
  {
    guard head.dimension == featurizer.dimension else {
      throw ConfigurationError(
        "head reads \(head.dimension)-dimensional features but the featurizer makes \(featurizer.dimension)")
    }
    guard temperature > 0 && temperature.isFinite else { throw ConfigurationError("temperature must be > 0") }
    self.name = name
    self.featurizer = featurizer
    self.head = head
    self.temperature = temperature
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    let features = try await featurizer.features(for: candidates)
    let prompts = head.usesPromptFeatures ? try await featurizer.promptFeatures(for: candidates.map(\.prompt)) : []
    let rewards = head.rewards(features, prompts: prompts)
    guard temperature != 1 else { return rewards }
    return rewards.map { reward in
      var scaled = reward
      scaled.value /= temperature
      scaled.uncertainty = reward.uncertainty.map { $0 / temperature }
      scaled.components = reward.components.map { ($0.name, $0.value / temperature) }
      return scaled
    }
  }
}

/// A pairwise-only head with its featurizer, as a `PreferenceModel`.
public struct HeadPreferenceModel: PreferenceModel {
  public let name: String
  public let featurizer: any Featurizer
  public let head: any PairwiseHead

  public init(name: String, featurizer: any Featurizer, head: any PairwiseHead) throws(ConfigurationError) {
    guard head.dimension == featurizer.dimension else {
      throw ConfigurationError(
        "head reads \(head.dimension)-dimensional features but the featurizer makes \(featurizer.dimension)")
    }
    self.name = name
    self.featurizer = featurizer
    self.head = head
  }

  public func preferenceProbabilities(_ pairs: [CandidatePair]) async throws -> [Double] {
    let features = try await featurizer.features(for: pairs.flatMap { [$0.first, $0.second] })
    let prompts = head.usesPromptFeatures ? try await featurizer.promptFeatures(for: pairs.map(\.first.prompt)) : []
    return head.probabilities(
      pairs.indices.map { i in
        FeaturePair(chosen: features[2 * i], rejected: features[2 * i + 1], prompt: prompts.isEmpty ? nil : prompts[i])
      })
  }
}

extension Featurizer {
  /// Features of a prompt alone (an empty response): what gates and routers read.
  public func promptFeatures(for prompts: [Conversation]) async throws -> [FeatureVector] {
    try await features(for: prompts.map { Candidate(prompt: $0, response: "") })
  }
}
