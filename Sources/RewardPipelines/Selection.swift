import RewardCore

/// Rejection sampling / best-of-N: which responses of a scored group to keep for fine-tuning.
public enum SelectionRule: Sendable, Equatable {
  /// The k highest rewards (ties broken by sampling order, earlier first).
  case topK(Int)
  /// Every response whose reward is at least the threshold.
  case threshold(Double)
  /// Every response at or above the group's q-quantile (q in [0, 1]; 0.75 keeps the top quarter).
  case quantile(Double)

  /// Indices of the kept responses, best first.
  public func select(_ rewards: [Double]) -> [Int] {
    let ranked = rewards.indices.sorted { rewards[$0] > rewards[$1] || (rewards[$0] == rewards[$1] && $0 < $1) }
    switch self {
    case .topK(let k): return Array(ranked.prefix(max(0, k)))
    case .threshold(let minimum): return ranked.filter { rewards[$0] >= minimum }
    case .quantile(let q):
      guard !rewards.isEmpty else { return [] }
      let cut = Self.quantileValue(rewards, q)
      return ranked.filter { rewards[$0] >= cut }
    }
  }

  /// The q-quantile with linear interpolation between order statistics (NumPy's default).
  static func quantileValue(_ values: [Double], _ q: Double) -> Double {
    let sorted = values.sorted()
    let position = min(max(q, 0), 1) * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
  }
}

/// How selected responses are written for supervised fine-tuning (TRL's SFT data formats).
public enum SFTFormat: String, Sendable, CaseIterable {
  /// `{"messages": [...prompt, {"role": "assistant", "content": response}]}`
  case messages
  /// `{"prompt": [...], "completion": [{"role": "assistant", ...}]}` (conversational prompt-completion).
  case promptCompletion = "prompt-completion"
}

public enum SFTRecord {
  /// One SFT record; `reward`, `rank` and the group's id and other fields ride along.
  public static func make(_ group: ScoredGroup, index: Int, rank: Int, format: SFTFormat) -> JSONObject {
    var object = JSONObject()
    let completion = Message.assistant(group.responses[index])
    switch format {
    case .messages: object["messages"] = PipelineJSON.messages(group.prompt + [completion])
    case .promptCompletion:
      object["prompt"] = PipelineJSON.messages(group.prompt)
      object["completion"] = PipelineJSON.messages([completion])
    }
    if let id = group.id { object["id"] = .string(id) }
    if let reward = group.rewards?[index] { object["reward"] = .double(reward) }
    object["rank"] = .int(Int64(rank))
    if let reference = group.reference { object["reference"] = .string(reference) }
    for entry in group.extra.entries where object[entry.key] == nil { object[entry.key] = entry.value }
    return object
  }
}
