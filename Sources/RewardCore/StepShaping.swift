/// Turns a PRM's step rewards r_1…r_K into per-step RL rewards. The transforms come from the
/// literature on PRM rewards at training time; each is defined by a property its tests check:
///
/// - `clip`: min(r_k − η, 0). Never positive, so a policy cannot gain by adding steps.
/// - `delta`: r_k − r_{k+1} for k < K and 0 for the last step. Telescoping: the undiscounted
///   return from step k is r_k − r_K, so the whole return is r_1 − r_K whatever the length.
/// - `minForm`: rewards whose return from step k is min_{j ≥ k} r_j (credit by the weakest
///   future step instead of the sum, as in "Stop Summation"/PURE).
/// - `mix`: α·(process reward) at each step plus the outcome reward added on the last step.
///
/// Each takes one response's step rewards in order and returns as many rewards.
public enum StepShaping {
  public static func clip(_ rewards: [Double], eta: Double) -> [Double] {
    rewards.map { Swift.min($0 - eta, 0) }
  }

  public static func delta(_ rewards: [Double]) -> [Double] {
    rewards.indices.map { k in k + 1 < rewards.count ? rewards[k] - rewards[k + 1] : 0 }
  }

  /// g_k = min_{j ≥ k} r_j, and the reward at k is g_k − g_{k+1} (g_{K+1} = 0).
  public static func minForm(_ rewards: [Double]) -> [Double] {
    var suffixMinimum = [Double](repeating: 0, count: rewards.count)
    var running = Double.infinity
    for k in rewards.indices.reversed() {
      running = Swift.min(running, rewards[k])
      suffixMinimum[k] = running
    }
    return rewards.indices.map { k in suffixMinimum[k] - (k + 1 < rewards.count ? suffixMinimum[k + 1] : 0) }
  }

  public static func mix(_ rewards: [Double], outcome: Double, processWeight: Double) -> [Double] {
    rewards.indices.map { k in processWeight * rewards[k] + (k == rewards.count - 1 ? outcome : 0) }
  }

  /// The undiscounted return from each step: the sum of this and every later reward.
  public static func returns(_ rewards: [Double]) -> [Double] {
    var total = 0.0
    var result = [Double](repeating: 0, count: rewards.count)
    for k in rewards.indices.reversed() {
      total += rewards[k]
      result[k] = total
    }
    return result
  }
}

/// A shaping transform chosen by name (`none`, `clip:η`, `delta`, `min-form`), for command lines.
public enum StepShapingKind: Sendable, Equatable, CustomStringConvertible {
  case none
  case clip(eta: Double)
  case delta
  case minForm

  public static func parse(_ text: String) throws(ConfigurationError) -> StepShapingKind {
    switch text {
    case "none": return .none
    case "delta": return .delta
    case "min-form", "min_form", "minform": return .minForm
    case "clip": return .clip(eta: 0.5)
    default:
      if text.hasPrefix("clip:"), let eta = Double(text.dropFirst(5)), eta.isFinite { return .clip(eta: eta) }
      throw ConfigurationError("unknown step shaping '\(text)'; expected none, clip[:eta], delta or min-form")
    }
  }

  public func apply(_ rewards: [Double]) -> [Double] {
    switch self {
    case .none: rewards
    case .clip(let eta): StepShaping.clip(rewards, eta: eta)
    case .delta: StepShaping.delta(rewards)
    case .minForm: StepShaping.minForm(rewards)
    }
  }

  public var description: String {
    switch self {
    case .none: "none"
    case .clip(let eta): "clip:\(eta)"
    case .delta: "delta"
    case .minForm: "min-form"
    }
  }
}

/// Step rewards as every front-end writes them (`reward prm score`, the server), so the same
/// reward gives the same numbers everywhere: `[{index, start, end, reward}]`, offsets in Unicode
/// scalars (`end` exclusive), `reward` after shaping and the optional outcome mix.
public enum StepRewardOutput {
  /// The step rewards of `reward`, shaped; nil when the model gave no steps. With `outcome`, the
  /// outcome is added on the last step after shaping (α = `processWeight` on the process part).
  public static func shaped(
    _ reward: Reward, shaping: StepShapingKind, outcome: Double? = nil, processWeight: Double = 1
  ) -> [StepScore]? {
    guard var steps = reward.steps else { return nil }
    var values = shaping.apply(steps.map(\.score))
    if let outcome { values = StepShaping.mix(values, outcome: outcome, processWeight: processWeight) }
    for k in steps.indices { steps[k].score = values[k] }
    return steps
  }

  /// The JSON list; `offset` is added to every start and end (the server's `/get_reward` gives
  /// offsets into the whole query, whose response starts after the prompt).
  public static func json(_ steps: [StepScore], offset: Int = 0) -> JSONValue {
    .array(
      steps.map { step in
        .object(
          JSONObject([
            ("index", .int(Int64(step.index))), ("start", .int(Int64(step.start + offset))),
            ("end", .int(Int64(step.end + offset))), ("reward", .double(step.score)),
          ]))
      })
  }
}
