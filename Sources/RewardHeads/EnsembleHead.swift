import Foundation
import RewardCore
import RewardFeatures
import RewardTensor

/// How an ensemble turns its members' rewards into one.
public enum EnsembleAggregation: Sendable, Equatable {
  case mean
  /// The worst case: the most pessimistic member.
  case minimum
  /// mean − k·std: conservative against reward hacking (uncertain rewards are discounted).
  case conservative(k: Double)

  public var name: String {
    switch self {
    case .mean: "mean"
    case .minimum: "min"
    case .conservative: "conservative"
    }
  }

  public static func parse(_ name: String, k: Double) throws(ConfigurationError) -> EnsembleAggregation {
    switch name {
    case "mean": return .mean
    case "min": return .minimum
    case "conservative": return .conservative(k: k)
    default: throw ConfigurationError("aggregation '\(name)': expected mean, min or conservative")
    }
  }
}

/// M linear heads trained from different seeds and bootstrap resamples. The reward aggregates
/// them; its uncertainty is the members' standard deviation, and each member's reward is a
/// component (`member_0`, …), so the spread is visible to every consumer.
public struct EnsembleHead: RewardHead {
  public static let kind = "ensemble"
  public static let tensorName = "head.members"
  /// Member weight vectors, each of the featurizer's dimension.
  public let members: [[Float]]
  public let aggregation: EnsembleAggregation

  public init(members: [[Float]], aggregation: EnsembleAggregation) {
    precondition(!members.isEmpty && members.allSatisfy { $0.count == members[0].count })
    self.members = members
    self.aggregation = aggregation
  }

  public var dimension: Int { members[0].count }

  public var settings: JSONObject {
    var settings = JSONObject([("members", .int(Int64(members.count))), ("aggregation", .string(aggregation.name))])
    if case .conservative(let k) = aggregation { settings["k"] = .double(k) }
    return settings
  }

  public var tensors: [NamedTensor] {
    [NamedTensor(name: Self.tensorName, shape: [members.count, dimension], values: members.flatMap { $0 })]
  }

  public static func load(settings: RecordFields, dimension: Int, weights: SafeTensorsFile) throws -> EnsembleHead {
    let count = try settings.integer("members")
    guard count >= 1 else { throw settings.invalid("members", "expected an integer ≥ 1, found \(count)") }
    let name = try settings.string("aggregation")
    let values = try weights.floats(tensorName)
    let (expected, overflow) = count.multipliedReportingOverflow(by: dimension)
    guard !overflow, values.count == expected else {
      throw ConfigurationError(
        "\(weights.path): tensor '\(tensorName)' has \(values.count) values, expected \(count) × \(dimension)")
    }
    let members = (0..<count).map { Array(values[$0 * dimension..<($0 + 1) * dimension]) }
    return EnsembleHead(
      members: members, aggregation: try EnsembleAggregation.parse(name, k: settings.optionalNumber("k") ?? 1))
  }

  /// Each member's reward for each feature vector: [vector][member].
  public func memberRewards(_ features: [FeatureVector]) -> [[Double]] {
    features.map { vector in
      members.map { weights in weights.withUnsafeBufferPointer { Double(vector.dot($0)) } }
    }
  }

  public func rewards(_ features: [FeatureVector], prompts: [FeatureVector]) -> [Reward] {
    memberRewards(features).map { values in
      let (mean, std) = meanAndStandardDeviation(values)
      let value: Double
      switch aggregation {
      case .mean: value = mean
      case .minimum: value = values.min()!
      case .conservative(let k): value = mean - k * std
      }
      return Reward(
        value, components: values.enumerated().map { ("member_\($0.offset)", $0.element) }, uncertainty: std)
    }
  }
}

/// Mean and population standard deviation.
public func meanAndStandardDeviation(_ values: [Double]) -> (mean: Double, std: Double) {
  guard !values.isEmpty else { return (0, 0) }
  let mean = values.reduce(0, +) / Double(values.count)
  let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
  return (mean, variance.squareRoot())
}
