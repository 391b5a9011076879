import RewardCore
import RewardRules

/// One scoring part of a spec. Rules are evaluated per candidate; learned models (a checkpoint)
/// score the whole batch at once, which is why the interface is a batch.
public protocol SpecComponent: Sendable {
  func evaluate(_ candidates: [Candidate]) async throws -> [RuleVerdict]
}

/// A rule as a component.
public struct RuleComponent: SpecComponent {
  public let rule: any RewardRule

  public init(_ rule: any RewardRule) {
    self.rule = rule
  }

  public func evaluate(_ candidates: [Candidate]) async throws -> [RuleVerdict] {
    candidates.map(rule.evaluate)
  }
}

/// Any `RewardModel` (a trained checkpoint, a remote model, another spec) as a component: its
/// `value` is the component's score, and it always applies.
public struct ModelComponent: SpecComponent {
  public let model: any RewardModel

  public init(_ model: any RewardModel) {
    self.model = model
  }

  public func evaluate(_ candidates: [Candidate]) async throws -> [RuleVerdict] {
    let rewards = try await model.score(candidates)
    guard rewards.count == candidates.count else {
      throw ConfigurationError("\(model.name) returned \(rewards.count) rewards for \(candidates.count) candidates")
    }
    return rewards.map { .score($0.value) }
  }
}
