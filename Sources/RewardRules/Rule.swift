import RewardCore

/// What one rule says about one candidate: a score, or that the rule does not apply to it (for
/// example a math rule on an item without a reference). How "not applicable" enters a weighted sum
/// is the composer's decision (see `docs/REWARD_SPEC.md`), so rules report it instead of guessing 0.
public enum RuleVerdict: Sendable, Equatable {
  case score(Double)
  case notApplicable(String)

  /// The score, or nil when the rule does not apply.
  public var value: Double? {
    if case .score(let value) = self { return value }
    return nil
  }
}

/// A deterministic, rule-based reward on one candidate. Rules are synchronous and pure: the same
/// candidate always gets the same verdict, so they can run on any thread and in any order.
public protocol RewardRule: Sendable {
  func evaluate(_ candidate: Candidate) -> RuleVerdict
}

/// Any rule as a `RewardModel`: "not applicable" scores as `notApplicableValue` (0 by default) and
/// is explained in the rationale.
public struct RuleRewardModel: RewardModel {
  public let name: String
  public let rule: any RewardRule
  public let notApplicableValue: Double

  public init(name: String, rule: any RewardRule, notApplicableValue: Double = 0) {
    self.name = name
    self.rule = rule
    self.notApplicableValue = notApplicableValue
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    candidates.map { candidate in
      switch rule.evaluate(candidate) {
      case .score(let value): Reward(value, components: [(name, value)])
      case .notApplicable(let reason): Reward(notApplicableValue, rationale: "\(name): not applicable: \(reason)")
      }
    }
  }
}
