/// A prompt and a response as token ids, split the way reward-bench (and TRL's DPO trainer) split them.
public struct ResponseTokens: Sendable, Equatable {
  public var prompt: [TokenID]
  public var response: [TokenID]

  public init(prompt: [TokenID], response: [TokenID]) {
    self.prompt = prompt
    self.response = response
  }

  public var all: [TokenID] { prompt + response }
}

/// reward-bench's tokenisation of a (prompt, response) pair, shared by every native LM reward.
public enum ResponseTokenization {
  /// Response tokens = tok(prompt + response) minus tok(prompt), both without special tokens
  /// (`build_tokenized_answer`): the whole text is encoded once, so the response's tokens are the
  /// ones the model reads in context. When the prompt's last token merges with the response's
  /// first (tok(prompt) is not a prefix of tok(prompt + response)), the split moves one token
  /// left and the merged token counts as the response's.
  public static func split(prompt: String, response: String, tokenizer: any TextTokenizer) throws -> ResponseTokens {
    let full = try tokenizer.encode(prompt + response, addSpecialTokens: false)
    let promptIDs = try tokenizer.encode(prompt, addSpecialTokens: false)
    var start = min(promptIDs.count, full.count)
    if Array(full.prefix(promptIDs.count)) != promptIDs { start = max(0, start - 1) }
    return ResponseTokens(prompt: Array(full[..<start]), response: Array(full[start...]))
  }

  /// Fits a pair into `maxTokens` (≥ 2): the response keeps its head, up to `maxTokens − 1`
  /// tokens; the prompt keeps its end (the tokens nearest the response) in what remains, so at
  /// least one prompt token conditions the first response token. Returns whether anything was cut.
  public static func fit(_ tokens: ResponseTokens, maxTokens: Int) -> (tokens: ResponseTokens, truncated: Bool) {
    precondition(maxTokens >= 2, "a token budget needs room for a prompt token and a response token")
    guard tokens.prompt.count + tokens.response.count > maxTokens else { return (tokens, false) }
    let response = Array(tokens.response.prefix(maxTokens - min(1, tokens.prompt.count)))
    let prompt = Array(tokens.prompt.suffix(maxTokens - response.count))
    return (ResponseTokens(prompt: prompt, response: response), true)
  }
}
