import RewardCore

/// How chosen/rejected pairs are built from one scored group.
public enum PairingRule: Sendable, Equatable {
  /// The best response against the worst (the RLHF Workflow recipe for iterative DPO).
  case bestVersusWorst
  /// The best response against one other drawn at random (seeded per group, so reruns agree).
  case bestVersusRandom(seed: UInt64)
  /// Every pair whose reward gap is above the margin (the minimum gap), better one chosen.
  case allPairs
}

/// A chosen/rejected pair as indices into a group, with the reward gap.
public struct IndexPair: Sendable, Equatable {
  public var chosen: Int
  public var rejected: Int
  public var margin: Double
  public init(chosen: Int, rejected: Int, margin: Double) {
    self.chosen = chosen
    self.rejected = rejected
    self.margin = margin
  }
}

/// What pairing one group produced: the pairs and how many candidate pairs were dropped as
/// ties or near-ties (a reward gap at or below the minimum margin).
public struct PairingOutcome: Sendable, Equatable {
  public var pairs: [IndexPair]
  public var droppedTies: Int
}

public struct PairBuilder: Sendable {
  public var rule: PairingRule
  /// Pairs whose reward gap is at most this are ties or near-ties and are dropped (0: only exact ties).
  public var minimumMargin: Double

  public init(rule: PairingRule, minimumMargin: Double = 0) {
    self.rule = rule
    self.minimumMargin = minimumMargin
  }

  /// Pairs for one group. `groupKey` seeds the random rule so each group draws independently
  /// but reproducibly.
  public func pairs(_ rewards: [Double], groupKey: String = "") -> PairingOutcome {
    guard rewards.count >= 2 else { return PairingOutcome(pairs: [], droppedTies: 0) }
    // Best = highest reward, earliest on ties; worst = lowest reward, latest on ties.
    let best = rewards.indices.max { rewards[$0] < rewards[$1] || (rewards[$0] == rewards[$1] && $0 > $1) }!
    let worst = rewards.indices.min { rewards[$0] < rewards[$1] || (rewards[$0] == rewards[$1] && $0 > $1) }!
    var candidates: [(Int, Int)] = []
    switch rule {
    case .bestVersusWorst: candidates = [(best, worst)]
    case .bestVersusRandom(let seed):
      var generator = SplitMix(seed: seed ^ StableHash.fnv1a(groupKey))
      let others = rewards.indices.filter { $0 != best }
      candidates = [(best, others[Int(generator.next() % UInt64(others.count))])]
    case .allPairs:
      for i in rewards.indices {
        for j in rewards.indices where i < j {
          candidates.append(rewards[i] >= rewards[j] ? (i, j) : (j, i))
        }
      }
    }
    var kept: [IndexPair] = []
    var dropped = 0
    for (chosen, rejected) in candidates {
      let gap = rewards[chosen] - rewards[rejected]
      if gap <= minimumMargin {
        dropped += 1
      } else {
        kept.append(IndexPair(chosen: chosen, rejected: rejected, margin: gap))
      }
    }
    return PairingOutcome(pairs: kept, droppedTies: dropped)
  }
}

/// TRL's preference layouts: the prompt apart (explicit) or inside chosen/rejected (implicit);
/// messages (conversational) or plain text (standard).
public struct PreferenceLayout: Sendable, Equatable {
  public var explicitPrompt: Bool
  public var conversational: Bool
  public init(explicitPrompt: Bool = true, conversational: Bool = true) {
    self.explicitPrompt = explicitPrompt
    self.conversational = conversational
  }

  public func record(_ group: ScoredGroup, _ pair: IndexPair) -> JSONObject {
    var object = JSONObject()
    let chosen = group.responses[pair.chosen]
    let rejected = group.responses[pair.rejected]
    if conversational {
      if explicitPrompt {
        object["prompt"] = PipelineJSON.messages(group.prompt)
        object["chosen"] = PipelineJSON.messages([.assistant(chosen)])
        object["rejected"] = PipelineJSON.messages([.assistant(rejected)])
      } else {
        object["chosen"] = PipelineJSON.messages(group.prompt + [.assistant(chosen)])
        object["rejected"] = PipelineJSON.messages(group.prompt + [.assistant(rejected)])
      }
    } else {
      // Standard (text) format: the prompt is the conversation's text turns joined.
      let promptText = group.prompt.map(\.content).joined(separator: "\n\n")
      if explicitPrompt {
        object["prompt"] = .string(promptText)
        object["chosen"] = .string(chosen)
        object["rejected"] = .string(rejected)
      } else {
        object["chosen"] = .string(promptText.isEmpty ? chosen : promptText + "\n\n" + chosen)
        object["rejected"] = .string(promptText.isEmpty ? rejected : promptText + "\n\n" + rejected)
      }
    }
    object["margin"] = .double(pair.margin)
    if let id = group.id { object["id"] = .string(id) }
    if let rewards = group.rewards {
      object["chosen_reward"] = .double(rewards[pair.chosen])
      object["rejected_reward"] = .double(rewards[pair.rejected])
    }
    return object
  }
}

/// A small seeded generator (SplitMix64) so random pairing is reproducible across platforms.
struct SplitMix {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

enum StableHash {
  static func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
  }
}
