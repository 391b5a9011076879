import RewardCore
import RewardRules

/// A reward spec as a `RewardModel`: what `reward score --spec`, `eval` and the server use.
/// Each reward's `components` holds every applicable component's unweighted score by name (plus
/// `raw`, the total before group normalisation, when that is on); not-applicable components and
/// failed gates are explained in `rationale`.
public struct SpecRewardModel: RewardModel {
  public let spec: RewardSpec
  public var name: String { spec.name }

  public init(spec: RewardSpec) {
    self.spec = spec
  }

  /// A spec of rules alone gains nothing from waiting for other requests' items.
  public var benefitsFromBatching: Bool { spec.components.contains { $0.scorer.benefitsFromBatching } }

  public var normalizesWithinGroups: Bool { spec.groupNormalization != nil }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    var verdicts: [[RuleVerdict]] = []
    for component in spec.components {
      let scored = try await component.scorer.evaluate(candidates)
      guard scored.count == candidates.count else {
        throw ConfigurationError(
          "component \(component.name) returned \(scored.count) verdicts for \(candidates.count)")
      }
      verdicts.append(scored)
    }
    var rewards = candidates.indices.map { index in combine(verdicts.map { $0[index] }) }
    if let normalization = spec.groupNormalization {
      normalize(&rewards, groups: candidates.map(\.group), normalization)
    }
    return rewards
  }

  /// One candidate's total from its component verdicts (weights, not-applicable policy, gates, clip).
  func combine(_ verdicts: [RuleVerdict]) -> Reward {
    var components: [(name: String, value: Double)] = []
    var notes: [String] = []
    var weighted = 0.0
    var allWeight = 0.0
    var applicableWeight = 0.0
    for (component, verdict) in zip(spec.components, verdicts) {
      allWeight += abs(component.weight)
      switch verdict {
      case .score(let value):
        components.append((component.name, value))
        weighted += component.weight * value
        applicableWeight += abs(component.weight)
      case .notApplicable(let reason):
        notes.append("\(component.name): not applicable (\(reason))")
        if spec.notApplicable == .zero { applicableWeight += abs(component.weight) }
      }
    }
    var total: Double
    if applicableWeight == 0 {
      total = 0
      if !spec.components.isEmpty { notes.append("no component applies; total is 0") }
    } else {
      total = spec.notApplicable == .renormalize ? weighted * (allWeight / applicableWeight) : weighted
    }
    for gate in spec.gates {
      guard let index = spec.components.firstIndex(where: { $0.name == gate.component }),
        let value = verdicts[index].value
      else { continue }  // A gate on a not-applicable component does not close.
      if value < gate.minimum {
        total = gate.otherwise
        notes.append("gate \(gate.component) closed (\(value) < \(gate.minimum))")
      }
    }
    if let clip = spec.clip { total = min(max(total, clip.lowerBound), clip.upperBound) }
    return Reward(total, components: components, rationale: notes.isEmpty ? nil : notes.joined(separator: "; "))
  }

  func normalize(_ rewards: inout [Reward], groups: [String?], _ normalization: RewardSpec.GroupNormalization) {
    var members: [String: [Int]] = [:]
    for (index, group) in groups.enumerated() {
      if let group { members[group, default: []].append(index) }
    }
    for indices in members.values where indices.count > 1 {
      let values = indices.map { rewards[$0].value }
      let mean = values.reduce(0, +) / Double(values.count)
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
      let std = variance.squareRoot()
      for index in indices {
        let raw = rewards[index].value
        rewards[index].components.append(("raw", raw))
        rewards[index].value = normalization.scale ? (raw - mean) / (std + normalization.epsilon) : raw - mean
      }
    }
  }
}
