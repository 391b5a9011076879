/// What a scorer scores: a response to a conversation, with an optional reference answer (for
/// verifiable rewards), a group key (for group normalisation, e.g. GRPO) and free metadata.
public struct Candidate: Sendable, Equatable {
  public var prompt: Conversation
  public var response: String
  public var reference: String?
  public var group: String?
  public var metadata: JSONObject

  public init(
    prompt: Conversation, response: String, reference: String? = nil, group: String? = nil,
    metadata: JSONObject = JSONObject()
  ) {
    self.prompt = prompt
    self.response = response
    self.reference = reference
    self.group = group
    self.metadata = metadata
  }
}

/// A scorer's verdict on one candidate.
public struct Reward: Sendable, Equatable {
  /// The scalar reward.
  public var value: Double
  /// Named parts of the reward (per-objective scores, rule components, gate weights), in order.
  public var components: [(name: String, value: Double)]
  /// A standard deviation when the scorer knows how unsure it is (ensembles).
  public var uncertainty: Double?
  /// A judge's explanation, when there is one.
  public var rationale: String?
  /// Per-step scores with their character offsets, when the scorer is a process reward model;
  /// `value` is then their aggregate (see `StepAggregation`), so scalar consumers are unchanged.
  public var steps: [StepScore]?

  public init(
    _ value: Double, components: [(name: String, value: Double)] = [], uncertainty: Double? = nil,
    rationale: String? = nil, steps: [StepScore]? = nil
  ) {
    self.value = value
    self.components = components
    self.uncertainty = uncertainty
    self.rationale = rationale
    self.steps = steps
  }

  public static func == (lhs: Reward, rhs: Reward) -> Bool {
    lhs.value == rhs.value && lhs.uncertainty == rhs.uncertainty && lhs.rationale == rhs.rationale
      && lhs.steps == rhs.steps
      && lhs.components.count == rhs.components.count
      && zip(lhs.components, rhs.components).allSatisfy { $0.name == $1.name && $0.value == $1.value }
  }
}

/// Two candidates for the same prompt, to be compared.
public struct CandidatePair: Sendable, Equatable {
  public var first: Candidate
  public var second: Candidate

  public init(_ first: Candidate, _ second: Candidate) {
    self.first = first
    self.second = second
  }
}
