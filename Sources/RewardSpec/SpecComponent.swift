import Foundation
import RewardCore
import RewardRules

/// One scoring part of a spec. Rules are evaluated per candidate; learned models (a checkpoint)
/// score the whole batch at once, which is why the interface is a batch.
public protocol SpecComponent: Sendable {
  func evaluate(_ candidates: [Candidate]) async throws -> [RuleVerdict]
  /// As `RewardModel.benefitsFromBatching`: true unless the component scores item by item.
  var benefitsFromBatching: Bool { get }
}

extension SpecComponent {
  public var benefitsFromBatching: Bool { true }
}

/// A rule as a component. Large batches are split across child tasks (one per core), so a server
/// scoring a GRPO batch uses every core; rules are pure, so the split cannot change a verdict.
public struct RuleComponent: SpecComponent {
  public let rule: any RewardRule
  /// A response or reference longer than this (UTF-8 bytes) is not given to the rule: the
  /// component answers "not applicable" instead of spending seconds and gigabytes on one item.
  public let maximumInputBytes: Int
  /// Batches smaller than this run on the calling task: splitting costs more than it saves.
  public static let parallelThreshold = 64
  /// 1 MiB: hundreds of times a long reasoning trace (32k tokens are about 128 KB).
  public static let defaultMaximumInputBytes = 1 << 20

  public init(_ rule: any RewardRule, maximumInputBytes: Int = RuleComponent.defaultMaximumInputBytes) {
    self.rule = rule
    self.maximumInputBytes = maximumInputBytes
  }

  public var benefitsFromBatching: Bool { false }

  public func evaluate(_ candidates: [Candidate]) async throws -> [RuleVerdict] {
    let workers = min(ProcessInfo.processInfo.activeProcessorCount, candidates.count / Self.parallelThreshold)
    let rule = BoundedInputRule(rule: self.rule, maximumBytes: maximumInputBytes)
    guard workers > 1 else { return candidates.map(rule.evaluate) }
    let chunk = (candidates.count + workers - 1) / workers
    return await withTaskGroup(of: (Int, [RuleVerdict]).self) { group in
      for start in stride(from: 0, to: candidates.count, by: chunk) {
        let slice = Array(candidates[start..<min(candidates.count, start + chunk)])
        group.addTask { (start, slice.map(rule.evaluate)) }
      }
      var verdicts = [RuleVerdict](repeating: .notApplicable(""), count: candidates.count)
      for await (start, part) in group {
        verdicts.replaceSubrange(start..<(start + part.count), with: part)
      }
      return verdicts
    }
  }
}

/// Any `RewardModel` (a trained checkpoint, a remote model, another spec) as a component: its
/// `value` is the component's score, and it always applies.
public struct ModelComponent: SpecComponent {
  public let model: any RewardModel

  public init(_ model: any RewardModel) {
    self.model = model
  }

  public var benefitsFromBatching: Bool { model.benefitsFromBatching }

  public func evaluate(_ candidates: [Candidate]) async throws -> [RuleVerdict] {
    let rewards = try await model.score(candidates)
    guard rewards.count == candidates.count else {
      throw ConfigurationError("\(model.name) returned \(rewards.count) rewards for \(candidates.count) candidates")
    }
    return rewards.map { .score($0.value) }
  }
}

/// A rule behind the input-size limit of `RuleComponent`.
struct BoundedInputRule: RewardRule {
  let rule: any RewardRule
  let maximumBytes: Int

  func evaluate(_ candidate: Candidate) -> RuleVerdict {
    for (field, text) in [("response", candidate.response), ("reference", candidate.reference ?? "")]
    where text.utf8.count > maximumBytes {
      return .notApplicable("the \(field) is \(text.utf8.count) bytes, over the \(maximumBytes)-byte limit for rules")
    }
    return rule.evaluate(candidate)
  }
}
