import RewardCore

/// One causal LM as the implicit reward uses it: the scorer of response log-probabilities, and,
/// when it is local, its tokenizer (to check that policy and reference tokenise alike).
public struct ScoringLanguageModel: Sendable {
  public var scorer: any ResponseLogProbabilityScorer
  public var tokenizer: (any TextTokenizer)?

  public init(scorer: any ResponseLogProbabilityScorer, tokenizer: (any TextTokenizer)? = nil) {
    self.scorer = scorer
    self.tokenizer = tokenizer
  }
}

/// What a DPO-trained policy implies as a reward (Rafailov et al. 2023): with a reference model,
/// r(x, y) = β·(log π(y|x) − log π_ref(y|x)) summed over the response's tokens; without one, the
/// response's summed or length-normalised mean log-probability under the policy (reward-bench's
/// reference-free mode, SimPO's length-normalised score).
///
/// The prompt x is the conversation rendered with the policy's chat template and
/// `add_generation_prompt: true`; the response y is the response's text. See
/// docs/LANGUAGE_MODELS.md for how this differs from reward-bench's text.
public struct ImplicitRewardModel: RewardModel {
  /// How log-probabilities over the response's tokens are reduced.
  public enum Normalization: String, Sendable, CaseIterable {
    /// Σ log p over the response's tokens (DPO's implicit reward).
    case sum
    /// Σ log p / token count (reward-bench's `avg` reference-free mode, SimPO).
    case mean
    /// −‖per-token log p‖₂ (reward-bench's `norm` reference-free mode); only without a reference.
    case norm
  }

  /// Which texts and tokens are scored.
  public enum TextRule: String, Sendable, CaseIterable {
    /// The prompt with the generation prompt, then the response's own text; no special tokens
    /// added; the native scorer's truncation (RewardKit's default, docs/LANGUAGE_MODELS.md).
    case response
    /// reward-bench's rule exactly (`RewardBenchDPORule`): the assistant header, response and
    /// end of turn scored after the template without the generation prompt, BOS before, EOS
    /// appended and scored, reward-bench's truncation. Local models only.
    case rewardBench = "reward-bench"
  }

  public let name: String
  public let policy: ScoringLanguageModel
  public let reference: ScoringLanguageModel?
  public let renderer: any ConversationRenderer
  public let beta: Double
  public let normalization: Normalization
  public let textRule: TextRule
  /// reward-bench's texts and tokens, when `textRule` is `.rewardBench`.
  let rewardBench: RewardBenchDPORule?

  /// Refuses a policy and reference whose tokenizers visibly differ (vocabulary size, or the ids of
  /// a probe text): their log-probabilities are over different token sequences and their
  /// difference means nothing. Refuses combinations reward-bench does not define: `norm` with a
  /// reference, reward-bench's rule with a reference and another reduction than `sum`, and
  /// reward-bench's rule on a scorer that cannot take token ids (an engine).
  public init(
    name: String, policy: ScoringLanguageModel, reference: ScoringLanguageModel? = nil,
    renderer: any ConversationRenderer, beta: Double = 1, normalization: Normalization = .sum,
    textRule: TextRule = .response
  ) throws {
    guard beta.isFinite, beta > 0 else {
      throw ConfigurationError("implicit reward: beta must be a positive number, found \(beta)")
    }
    if reference != nil, normalization == .norm {
      throw ConfigurationError(
        "implicit reward: normalize 'norm' is reward-bench's reference-free mode; with a reference use sum or mean")
    }
    if textRule == .rewardBench, reference != nil, normalization != .sum {
      throw ConfigurationError(
        "implicit reward: with a reference, text_rule reward-bench sums log-probabilities (Σ log π − Σ log π_ref): "
          + "use normalize: sum")
    }
    if let reference, let policyTokenizer = policy.tokenizer, let referenceTokenizer = reference.tokenizer {
      try Self.checkSameTokenizer(
        policyTokenizer, referenceTokenizer, policy: policy.scorer.name, reference: reference.scorer.name)
    }
    if textRule == .rewardBench {
      for model in [policy] + (reference.map { [$0] } ?? []) {
        guard model.scorer is any ResponseTokenScorer, model.tokenizer != nil else {
          throw ConfigurationError(
            "implicit reward: text_rule reward-bench adds BOS and EOS token ids, which \(model.scorer.name) cannot "
              + "take (an engine tokenises text itself): use a local model (a directory, a .gguf file or a known name)")
        }
      }
      rewardBench = try RewardBenchDPORule(renderer: renderer, tokenizer: policy.tokenizer!)
    } else {
      rewardBench = nil
    }
    self.name = name
    self.policy = policy
    self.reference = reference
    self.renderer = renderer
    self.beta = beta
    self.normalization = normalization
    self.textRule = textRule
  }

  /// A short text with spaces, digits, punctuation and non-ASCII letters: tokenizers that agree
  /// on it almost surely share a vocabulary and merges.
  static let tokenizerProbe = "Policy and reference: 12 tokens, naïve café, 東京 — ok?\n"

  static func checkSameTokenizer(
    _ policy: any TextTokenizer, _ reference: any TextTokenizer, policy policyName: String,
    reference referenceName: String
  ) throws {
    guard policy.vocabularySize == reference.vocabularySize else {
      throw ConfigurationError(
        "implicit reward: the policy \(policyName) has a vocabulary of \(policy.vocabularySize) tokens but the "
          + "reference \(referenceName) has \(reference.vocabularySize): the two must share a tokenizer")
    }
    let policyIDs = try policy.encode(tokenizerProbe, addSpecialTokens: false)
    let referenceIDs = try reference.encode(tokenizerProbe, addSpecialTokens: false)
    guard policyIDs == referenceIDs else {
      throw ConfigurationError(
        "implicit reward: the policy \(policyName) and the reference \(referenceName) tokenise the same text "
          + "differently (\(policyIDs.count) vs \(referenceIDs.count) tokens): the two must share a tokenizer")
    }
  }

  /// The prompt and response texts the LM scores for a candidate.
  public func texts(for candidate: Candidate, index: Int) throws -> (prompt: String, response: String) {
    try Self.texts(for: candidate, renderer: renderer, index: index)
  }

  /// The prompt is the conversation rendered with the generation prompt; the response is the
  /// response's own text, scored as the assistant's continuation of it (the template's
  /// end-of-turn marker is not part of it, as in the transformers reference of the fixtures).
  public static func texts(for candidate: Candidate, renderer: any ConversationRenderer, index: Int) throws
    -> (prompt: String, response: String)
  {
    guard !candidate.prompt.isEmpty else {
      throw ConfigurationError("implicit reward: item \(index) has no prompt (the response is scored given one)")
    }
    return (try renderer.render(candidate.prompt, addGenerationPrompt: true), candidate.response)
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    guard !candidates.isEmpty else { return [] }
    let policyValues: [ResponseLogProbability]
    let referenceScores: [ResponseLogProbability]?
    if let rewardBench {
      let tokens = try candidates.enumerated().map { index, candidate in
        try rewardBench.tokens(for: candidate, index: index)
      }
      // The initializer checked that both scorers take token ids.
      async let policyScores = (policy.scorer as! any ResponseTokenScorer).responseLogProbabilities(tokens: tokens)
      referenceScores = try await (reference?.scorer as? any ResponseTokenScorer)?.responseLogProbabilities(
        tokens: tokens)
      policyValues = try await policyScores
    } else {
      let pairs = try candidates.enumerated().map { index, candidate in try texts(for: candidate, index: index) }
      async let policyScores = policy.scorer.responseLogProbabilities(pairs)
      referenceScores = try await reference?.scorer.responseLogProbabilities(pairs)
      policyValues = try await policyScores
    }
    try check(policyValues, count: candidates.count, from: policy.scorer.name)
    if let referenceScores { try check(referenceScores, count: candidates.count, from: reference!.scorer.name) }
    return try policyValues.indices.map { index in
      let chosen = try reduce(policyValues[index], from: policy.scorer.name)
      var components: [(name: String, value: Double)] = [("policy_logp", policyValues[index].sum)]
      guard let referenceScores else { return Reward(beta * chosen, components: components) }
      let base = referenceScores[index]
      guard base.tokenCount == policyValues[index].tokenCount else {
        throw ConfigurationError(
          "implicit reward: item \(index): the policy \(policy.scorer.name) scored \(policyValues[index].tokenCount) "
            + "response tokens but the reference \(reference!.scorer.name) scored \(base.tokenCount): the two do not "
            + "share a tokenizer")
      }
      components.append(("reference_logp", base.sum))
      return Reward(beta * (chosen - (try reduce(base, from: reference!.scorer.name))), components: components)
    }
  }

  private func reduce(_ value: ResponseLogProbability, from name: String) throws -> Double {
    switch normalization {
    case .sum: return value.sum
    case .mean: return value.mean
    case .norm:
      guard let norm = value.norm else {
        throw ConfigurationError(
          "implicit reward: \(name) does not report per-token log-probabilities, which normalize 'norm' needs")
      }
      return norm
    }
  }

  private func check(_ values: [ResponseLogProbability], count: Int, from name: String) throws {
    guard values.count == count else {
      throw ConfigurationError("implicit reward: \(name) returned \(values.count) log-probabilities for \(count) items")
    }
    if let bad = values.firstIndex(where: { !$0.sum.isFinite || $0.sum > 1e-6 }) {
      throw ConfigurationError(
        "implicit reward: \(name) returned log-probability \(values[bad].sum) for item \(bad) (expected a finite "
          + "number ≤ 0)")
    }
  }
}
