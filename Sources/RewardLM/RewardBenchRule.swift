import RewardCore

/// A response log-probability scorer that also takes token ids chosen by the caller (a native
/// model): what rules that add special tokens, such as reward-bench's, need.
public protocol ResponseTokenScorer: ResponseLogProbabilityScorer {
  func responseLogProbabilities(tokens: [ResponseTokens]) async throws -> [ResponseLogProbability]
}

extension NativeResponseScorer: ResponseTokenScorer {}

/// reward-bench's DPO text and token rules, reproduced so that `text_rule: reward-bench` gives
/// reward-bench's numbers (rewardbench 0.1.4: `utils.prepare_dialogue_from_tokenizer`,
/// `dpo.DPOInference.tokenize_row` and `build_tokenized_answer`; docs/LANGUAGE_MODELS.md):
///
/// 1. The prompt's turns are user/assistant alternately, user first and last (reward-bench assigns
///    roles by position; other prompts are refused here rather than silently relabelled).
///    Prompt text = the template without the generation prompt; answer text = the templated
///    conversation with the response, with every occurrence of the prompt text removed.
/// 2. Tokens: tok(prompt + answer) split after tok(prompt) (one token earlier when they merged),
///    no special tokens; then BOS (EOS when there is none) before the prompt and EOS after the
///    answer, which is scored.
/// 3. Truncation: when prompt + answer passes 2,048 tokens the prompt keeps its last 128; when it
///    still does, the answer keeps its first 1,920. reward-bench measures the pair's longer
///    answer here; a reward model scores each response alone, so this uses the response's own
///    (the same unless a pair passes 2,048 tokens).
public struct RewardBenchDPORule: Sendable {
  public static let maxLength = 2048
  public static let maxPromptLength = 128

  public let renderer: any ConversationRenderer
  public let tokenizer: any TextTokenizer
  public let bosTokenID: TokenID
  public let eosTokenID: TokenID

  public init(renderer: any ConversationRenderer, tokenizer: any TextTokenizer) throws {
    guard let eos = tokenizer.eosTokenID else {
      throw ConfigurationError(
        "text_rule reward-bench: the tokenizer has no EOS token, which reward-bench appends to every response")
    }
    self.renderer = renderer
    self.tokenizer = tokenizer
    eosTokenID = eos
    // rewardbench.py: "if no BOS token, set as pad token" (the EOS), e.g. Qwen models.
    bosTokenID = tokenizer.bosTokenID ?? eos
  }

  /// The prompt's turns as reward-bench takes them: user, assistant, …, user.
  public static func checkTurns(_ prompt: Conversation, index: Int) throws {
    guard !prompt.isEmpty else {
      throw ConfigurationError("implicit reward: item \(index) has no prompt (the response is scored given one)")
    }
    for (turn, message) in prompt.enumerated() {
      let expected: Role = turn % 2 == 0 ? .user : .assistant
      guard message.role == expected else {
        throw ConfigurationError(
          "implicit reward: item \(index): turn \(turn) is '\(message.role.rawValue)', but text_rule reward-bench "
            + "takes turns alternating user/assistant, starting and ending with a user turn (reward-bench relabels "
            + "turns by position)")
      }
    }
    guard prompt.count % 2 == 1 else {
      throw ConfigurationError(
        "implicit reward: item \(index): the prompt ends with an assistant turn; text_rule reward-bench needs it to "
          + "end with the user's")
    }
  }

  /// reward-bench's prompt text and answer text for a candidate.
  public func texts(for candidate: Candidate, index: Int) throws -> (prompt: String, answer: String) {
    try Self.checkTurns(candidate.prompt, index: index)
    let prompt = try renderer.render(candidate.prompt, addGenerationPrompt: false)
    let full = try renderer.render(candidate.prompt + [.assistant(candidate.response)], addGenerationPrompt: false)
    return (prompt, Self.removingOccurrences(of: prompt, in: full))
  }

  /// The prompt and answer token ids reward-bench scores, truncated by the answer's own length.
  public func tokens(for candidate: Candidate, index: Int) throws -> ResponseTokens {
    let (prompt, answer) = try texts(for: candidate, index: index)
    let split = try ResponseTokenization.split(prompt: prompt, response: answer, tokenizer: tokenizer)
    let framed = ResponseTokens(prompt: [bosTokenID] + split.prompt, response: split.response + [eosTokenID])
    return Self.truncate(framed, longerAnswer: framed.response.count)
  }

  /// `tokenize_row`'s truncation (`keep_end`) with the longer answer of the pair.
  public static func truncate(_ tokens: ResponseTokens, longerAnswer: Int) -> ResponseTokens {
    var result = tokens
    if result.prompt.count + longerAnswer > maxLength { result.prompt = Array(result.prompt.suffix(maxPromptLength)) }
    if result.prompt.count + longerAnswer > maxLength {
      result.response = Array(result.response.prefix(maxLength - maxPromptLength))
    }
    return result
  }

  /// Python's `text.replace(target, "")`: every non-overlapping occurrence, left to right,
  /// compared as Unicode code points (UTF-8 bytes), not as Swift's canonically equivalent Characters.
  static func removingOccurrences(of target: String, in text: String) -> String {
    let needle = Array(target.utf8)
    guard !needle.isEmpty else { return text }
    let bytes = Array(text.utf8)
    var kept: [UInt8] = []
    kept.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      if bytes[index] == needle[0], index + needle.count <= bytes.count,
        bytes[index..<index + needle.count].elementsEqual(needle)
      {
        index += needle.count
      } else {
        kept.append(bytes[index])
        index += 1
      }
    }
    return String(decoding: kept, as: UTF8.self)
  }
}
