import RewardCore

/// A preference between two responses to the same prompt. `chosen` is the response the label
/// favours; `chosenProbability` is P(chosen ≻ rejected): 1 for a hard label, in (0.5, 1) for a
/// soft label (AlpacaEval's continuous preference, annotator votes), exactly 0.5 for a tie.
public struct PreferencePair: Sendable, Equatable {
  public var prompt: Conversation
  public var chosen: String
  public var rejected: String
  public var chosenProbability: Double
  /// TRL's `margin`: how much better chosen must score (loss −log σ(r_c − r_r − margin)).
  public var margin: Double?
  public var subset: String?
  public var id: String?
  /// Who labelled the pair, when the data says (for per-annotator models).
  public var annotator: String?
  public var source: SourceLocation

  public init(
    prompt: Conversation, chosen: String, rejected: String, chosenProbability: Double = 1, margin: Double? = nil,
    subset: String? = nil, id: String? = nil, annotator: String? = nil, source: SourceLocation
  ) {
    self.prompt = prompt
    self.chosen = chosen
    self.rejected = rejected
    self.chosenProbability = chosenProbability
    self.margin = margin
    self.subset = subset
    self.id = id
    self.annotator = annotator
    self.source = source
  }

  public var isTie: Bool { Self.isTie(chosenProbability) }
  /// Whether P(chosen ≻ rejected) = `chosenProbability` is a tie: the one test for labels that
  /// no longer sit in a `PreferencePair` (feature pairs, validation labels).
  public static func isTie(_ chosenProbability: Double) -> Bool { chosenProbability == 0.5 }
  public var isSoft: Bool { chosenProbability > 0.5 && chosenProbability < 1 }

  public var chosenCandidate: Candidate { Candidate(prompt: prompt, response: chosen) }

  /// Feeds the pair's texts (prompt turns with roles, chosen, rejected) to a stable hash, in one
  /// fixed order: what "the same pair" means for duplicates and data hashes.
  public func combineTexts(into hasher: inout StableHasher) {
    for message in prompt {
      hasher.combine(message.role.rawValue)
      hasher.combine(message.content)
    }
    hasher.combine(chosen)
    hasher.combine(rejected)
  }
  public var rejectedCandidate: Candidate { Candidate(prompt: prompt, response: rejected) }
}

/// Several chosen and rejected responses to one prompt (RewardBench 2: one chosen, three
/// rejected; its Ties subset has several chosen).
public struct ResponseGroup: Sendable, Equatable {
  public var prompt: Conversation
  public var chosen: [String]
  public var rejected: [String]
  public var subset: String?
  public var id: String?
  public var source: SourceLocation

  public init(
    prompt: Conversation, chosen: [String], rejected: [String], subset: String? = nil, id: String? = nil,
    source: SourceLocation
  ) {
    self.prompt = prompt
    self.chosen = chosen
    self.rejected = rejected
    self.subset = subset
    self.id = id
    self.source = source
  }

  /// Every chosen × rejected combination as a hard-labelled pair.
  public var pairs: [PreferencePair] {
    chosen.flatMap { c in
      rejected.map { r in PreferencePair(prompt: prompt, chosen: c, rejected: r, subset: subset, id: id, source: source)
      }
    }
  }
}

/// What was read from one or more preference files.
public struct PreferenceDataset: Sendable {
  /// The format of each file read, in order.
  public var files: [(path: String, format: PreferenceFormat)]
  public var pairs: [PreferencePair]
  public var groups: [ResponseGroup]
  /// Records left out under `--skip-invalid`, with the reason for each.
  public var skipped: [InputError]

  public init(
    files: [(path: String, format: PreferenceFormat)] = [], pairs: [PreferencePair] = [], groups: [ResponseGroup] = [],
    skipped: [InputError] = []
  ) {
    self.files = files
    self.pairs = pairs
    self.groups = groups
    self.skipped = skipped
  }

  public mutating func append(_ other: PreferenceDataset) {
    files += other.files
    pairs += other.pairs
    groups += other.groups
    skipped += other.skipped
  }

  /// Pairs plus every pair a group implies; what pairwise training and accuracy use.
  public var allPairs: [PreferencePair] { pairs + groups.flatMap(\.pairs) }

  /// Pairs with a definite winner, for strict accuracy. A tie is an error naming its record, or is
  /// skipped (and reported) when `skipInvalid` is set. Soft labels count by their majority direction.
  public func strictPairs(skipInvalid: Bool) throws(InputError) -> (pairs: [PreferencePair], skipped: [InputError]) {
    var strict: [PreferencePair] = []
    var skipped: [InputError] = []
    for pair in allPairs {
      if pair.isTie {
        let error = InputError(
          .tie, at: pair.source, "the label is a tie, but a strict preference (one response better) is required here")
        guard skipInvalid else { throw error }
        skipped.append(error)
      } else {
        strict.append(pair)
      }
    }
    return (strict, skipped)
  }

  /// Counts of skipped records by reason, for reports ("22 × empty response").
  public var skippedSummary: [(kind: InputError.Kind, count: Int)] {
    InputError.Kind.allCases.compactMap { kind in
      let count = skipped.count(where: { $0.kind == kind })
      return count > 0 ? (kind, count) : nil
    }
  }
}
