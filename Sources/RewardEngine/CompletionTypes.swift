import RewardCore

// Raw-prompt completions (`/v1/completions`: implicit rewards from log-probabilities, base
// models without a chat template) and embeddings (`/v1/embeddings`: remote backbones). Same
// engine client, same limits and retries as chat.

/// A raw-text completion request. `sampling.topLogprobs` asks for that many alternatives per
/// token (the legacy API's integer `logprobs`).
public struct CompletionRequest: Sendable, Hashable {
  public var prompt: String
  public var sampling: SamplingParameters
  /// Also return the prompt's tokens (with log-probabilities when asked): vLLM and OpenAI's
  /// `echo`; with `maxTokens: 0` this scores a given text in one prefill.
  public var echo: Bool

  public init(prompt: String, sampling: SamplingParameters = SamplingParameters(), echo: Bool = false) {
    self.prompt = prompt
    self.sampling = sampling
    self.echo = echo
  }
}

public struct CompletionResponse: Sendable, Hashable {
  public var text: String
  public var finishReason: String?
  public var logprobs: [TokenLogprob]?
  /// Where each token of `logprobs` starts in `text`, in Unicode scalars (the legacy API's
  /// `text_offset`, which vLLM and OpenAI send); nil when the engine sent none (llama-server).
  public var textOffsets: [Int]?
  public var usage: TokenUsage

  public init(
    text: String, finishReason: String? = nil, logprobs: [TokenLogprob]? = nil, textOffsets: [Int]? = nil,
    usage: TokenUsage = TokenUsage()
  ) {
    self.text = text
    self.finishReason = finishReason
    self.logprobs = logprobs
    self.textOffsets = textOffsets
    self.usage = usage
  }
}

/// Anything that completes raw text (the HTTP client; scripted engines in tests).
public protocol CompletionEngine: Sendable {
  var modelName: String { get }
  func complete(_ request: CompletionRequest) async throws -> CompletionResponse
}

/// Anything that embeds texts: one vector per text, in order.
public protocol EmbeddingEngine: Sendable {
  var modelName: String { get }
  func embed(_ texts: [String]) async throws -> [[Float]]
}
