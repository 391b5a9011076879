import RewardCore
import RewardEngine

/// What can go wrong scoring a response's log-probabilities on an engine. Each names the engine
/// and, where it is about one item, the item.
public enum EngineLogProbabilityError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The engine answered without echoing the prompt's tokens (llama-server ignores `echo`).
  case noEcho(engine: String, detail: String)
  /// The engine sent no log-probabilities, or not for every token.
  case missingLogprobs(engine: String, item: Int, detail: String)
  /// The echoed tokens do not line up with the text that was sent.
  case misaligned(engine: String, item: Int, detail: String)
  /// One engine token covers the end of the prompt and the start of the response: the engine's
  /// tokenisation of prompt + response does not split where the prompt ends.
  case boundaryInsideToken(engine: String, item: Int, character: Int, token: String)

  public var description: String {
    switch self {
    case .noEcho(let engine, let detail):
      "engine \(engine) did not echo the prompt's tokens with log-probabilities (\(detail)); prompt "
        + "log-probabilities need `echo` on /v1/completions (vLLM, OpenAI-compatible servers that implement it); "
        + "llama-server has no echo: use a native model (a GGUF or model directory) for it"
    case .missingLogprobs(let engine, let item, let detail):
      "engine \(engine), item \(item): no log-probabilities for the response's tokens (\(detail))"
    case .misaligned(let engine, let item, let detail):
      "engine \(engine), item \(item): the echoed tokens do not line up with the text sent (\(detail))"
    case .boundaryInsideToken(let engine, let item, let character, let token):
      "engine \(engine), item \(item): the prompt ends at character \(character), inside the engine's token "
        + "\(JSONValue.string(token).jsonText): its tokenisation of prompt + response does not split at the "
        + "prompt's end, so the response's tokens are not defined (tokenisation disagreement)"
    }
  }
}

/// Response log-probabilities from an OpenAI-compatible engine: each prompt + response is sent to
/// `/v1/completions` with `echo: true`, `logprobs: 1`, `max_tokens: 1`, `temperature: 0`; the
/// echoed tokens (legacy shape, with `text_offset`) are located in the text, the tokens from the
/// prompt's end to the response's end are the response's, and their log-probabilities are summed.
/// The prompt must end on one of the engine's token boundaries (else a clear error naming the
/// item), and an engine that does not echo (llama-server) is refused with a message saying so.
public struct EngineLogProbabilityScorer: ResponseLogProbabilityScorer {
  public let engine: any CompletionEngine

  public init(engine: any CompletionEngine) {
    self.engine = engine
  }

  public var name: String { "engine model \(engine.modelName)" }

  public func responseLogProbabilities(_ pairs: [(prompt: String, response: String)]) async throws
    -> [ResponseLogProbability]
  {
    let engine = self.engine
    let name = self.name
    // The engine client bounds the requests in flight; every item is one request.
    return try await withThrowingTaskGroup(of: (Int, ResponseLogProbability).self) { group in
      for (index, pair) in pairs.enumerated() {
        group.addTask {
          let request = CompletionRequest(
            prompt: pair.prompt + pair.response,
            sampling: SamplingParameters(temperature: 0, maxTokens: 1, topLogprobs: 1), echo: true)
          let completion = try await engine.complete(request)
          return (
            index,
            try Self.responseLogProbability(
              completion, prompt: pair.prompt, response: pair.response, item: index, engine: name)
          )
        }
      }
      var results = [ResponseLogProbability](
        repeating: ResponseLogProbability(sum: 0, tokenCount: 0), count: pairs.count)
      for try await (index, value) in group { results[index] = value }
      return results
    }
  }

  /// Reads one echoed completion; see the type's documentation.
  static func responseLogProbability(
    _ completion: CompletionResponse, prompt: String, response: String, item: Int, engine: String
  ) throws(EngineLogProbabilityError) -> ResponseLogProbability {
    let sent = Array((prompt + response).unicodeScalars)
    let text = Array(completion.text.unicodeScalars)
    guard let logprobs = completion.logprobs, !logprobs.isEmpty else {
      throw .noEcho(engine: engine, detail: "the answer has no logprobs")
    }
    guard text.starts(with: sent), let offsets = completion.textOffsets else {
      throw .noEcho(
        engine: engine,
        detail: completion.textOffsets == nil
          ? "the answer has no text_offset" : "the answer's text does not start with the prompt")
    }
    let tokens = logprobs.map { Array($0.token.unicodeScalars) }
    // Special tokens the engine adds before the text (BOS) have text of their own that is not in
    // the prompt; vLLM still counts it in text_offset, so later offsets are shifted by it.
    var first = 0
    var shift = 0
    while first < min(2, tokens.count), offsets[first] - shift == 0, !tokens[first].isEmpty,
      !text.starts(with: tokens[first])
    {
      shift += tokens[first].count
      first += 1
    }
    var previous = 0
    for index in first..<tokens.count {
      let start = offsets[index] - shift
      guard start >= previous, start <= text.count else {
        throw .misaligned(
          engine: engine, item: item,
          detail: "token \(index) starts at character \(start), after \(previous) and within 0...\(text.count) expected"
        )
      }
      previous = start
      let token = tokens[index]
      let checkable = !token.isEmpty && !token.contains("\u{FFFD}")
      if checkable, start + token.count > text.count || Array(text[start..<(start + token.count)]) != token {
        throw .misaligned(
          engine: engine, item: item,
          detail: "token \(index) \(JSONValue.string(logprobs[index].token).jsonText) is not the text at character "
            + "\(start)")
      }
    }
    let promptEnd = prompt.unicodeScalars.count
    let responseEnd = sent.count
    let starts = offsets.map { $0 - shift }
    guard let boundary = (first..<tokens.count).first(where: { starts[$0] >= promptEnd }) else {
      if responseEnd == promptEnd { return ResponseLogProbability(sum: 0, tokenCount: 0, sumOfSquares: 0) }
      throw .boundaryInsideToken(engine: engine, item: item, character: promptEnd, token: logprobs.last!.token)
    }
    if starts[boundary] != promptEnd && responseEnd > promptEnd {
      let spanning = boundary > first ? logprobs[boundary - 1].token : logprobs[boundary].token
      throw .boundaryInsideToken(engine: engine, item: item, character: promptEnd, token: spanning)
    }
    guard boundary > 0 || responseEnd == promptEnd else {
      throw .missingLogprobs(
        engine: engine, item: item, detail: "the response starts at the first token, which has no log-probability")
    }
    var sum = 0.0
    var squares = 0.0
    var count = 0
    for index in boundary..<tokens.count where starts[index] < responseEnd {
      let value = logprobs[index].logprob
      guard value.isFinite else {
        throw .missingLogprobs(engine: engine, item: item, detail: "token \(index) has log-probability \(value)")
      }
      sum += value
      squares += value * value
      count += 1
    }
    return ResponseLogProbability(sum: sum, tokenCount: count, sumOfSquares: squares)
  }
}
