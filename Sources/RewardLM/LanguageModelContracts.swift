import RewardCore

// The contracts between the parts of the decoder-LM runtime (issue 13). Each part — tokenizer,
// chat template, native model, engine-backed model — implements one of these, and the reward
// models on top (sequence classification, DPO implicit reward, LM features) depend only on them,
// so a reward computed natively and one computed on an engine go through the same code.

/// A token id as the model's tokenizer gives it.
public typealias TokenID = Int32

/// Text ↔ token ids, with ids identical to Hugging Face `tokenizers`.
public protocol TextTokenizer: Sendable {
  /// `tokenizer(text, add_special_tokens:)`: with special tokens, the BOS (and anything else the
  /// tokenizer's post-processor adds) is included.
  func encode(_ text: String, addSpecialTokens: Bool) throws -> [TokenID]
  func decode(_ ids: [TokenID]) -> String
  var vocabularySize: Int { get }
  var bosTokenID: TokenID? { get }
  var eosTokenID: TokenID? { get }
  var padTokenID: TokenID? { get }
}

/// A model's chat template: conversations → the exact prompt text `apply_chat_template` makes.
public protocol ConversationRenderer: Sendable {
  func render(_ messages: [Message], addGenerationPrompt: Bool) throws -> String
}

/// How one vector is taken from a sequence's hidden states.
public enum HiddenStatePooling: String, Sendable, CaseIterable {
  /// The last non-padding token (what sequence-classification heads read).
  case lastToken = "last"
  /// The mean over non-padding tokens.
  case mean
}

/// The log-probabilities of a response's tokens given its prompt.
public struct ResponseLogProbability: Sendable, Equatable {
  /// Σ log p(token | everything before it), over the response's tokens.
  public var sum: Double
  /// How many response tokens were scored.
  public var tokenCount: Int
  /// Σ (log p)² over the same tokens, for reward-bench's `norm` mode; nil when a scorer does not
  /// report it.
  public var sumOfSquares: Double?

  public init(sum: Double, tokenCount: Int, sumOfSquares: Double? = nil) {
    self.sum = sum
    self.tokenCount = tokenCount
    self.sumOfSquares = sumOfSquares
  }

  /// The length-normalised mean (SimPO, reward-bench's reference-free mode); 0 for no tokens.
  public var mean: Double { tokenCount == 0 ? 0 : sum / Double(tokenCount) }

  /// −‖per-token log p‖₂ (reward-bench's `norm` reference-free mode); nil without `sumOfSquares`.
  public var norm: Double? { sumOfSquares.map { -$0.squareRoot() } }
}

/// A causal LM that scores a response given a prompt, natively or on an engine. `prompt` is the
/// already chat-templated prompt text; the implementation owns tokenisation (reward-bench's rule:
/// response tokens are tok(prompt + response) minus tok(prompt)).
public protocol ResponseLogProbabilityScorer: Sendable {
  /// A name for reports and errors (model path or engine model).
  var name: String { get }
  func responseLogProbabilities(_ pairs: [(prompt: String, response: String)]) async throws
    -> [ResponseLogProbability]
}
