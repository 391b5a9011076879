import RewardCore

// The contract between the engine client (OpenAI-compatible HTTP: vLLM, SGLang, llama-server,
// TGI, hosted APIs) and everything that needs a language model to write: judges, samplers,
// generative process rewards. Judges and samplers depend on `ChatEngine` only, so tests can use a
// scripted engine and users can point the same spec at any server.

/// One chat message as OpenAI-compatible servers take it.
public struct ChatMessage: Sendable, Hashable {
  public var role: String
  public var content: String
  /// Tool calls the assistant asked for (assistant messages only).
  public var toolCalls: [ToolCall]
  /// The call this message answers (tool messages only).
  public var toolCallID: String?

  public init(role: String, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
    self.role = role
    self.content = content
    self.toolCalls = toolCalls
    self.toolCallID = toolCallID
  }

  public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
  public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
  public static func assistant(_ content: String) -> ChatMessage {
    ChatMessage(role: "assistant", content: content)
  }
}

/// A function call requested by the model through the engine's tool calling.
public struct ToolCall: Sendable, Hashable {
  public var id: String
  public var name: String
  /// The arguments as the model wrote them (a JSON object in text; may be malformed).
  public var arguments: String

  public init(id: String, name: String, arguments: String) {
    self.id = id
    self.name = name
    self.arguments = arguments
  }
}

/// Sampling settings, passed through to the engine as the OpenAI API names them. `nil` leaves
/// the engine's default. `n > 1` is not portable (llama-server refuses it): k samples are k
/// requests with seeds `seed + i`.
public struct SamplingParameters: Sendable, Hashable {
  public var temperature: Double?
  public var topP: Double?
  public var maxTokens: Int?
  public var seed: Int?
  public var stop: [String]
  /// Ask for log-probabilities of the sampled tokens and this many alternatives per position.
  public var topLogprobs: Int?
  /// OpenAI `response_format` (e.g. a JSON schema), passed as written.
  public var responseFormat: JSONValue?
  /// llama.cpp's GBNF `grammar`, passed as written.
  public var grammar: String?

  public init(
    temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil, seed: Int? = nil,
    stop: [String] = [], topLogprobs: Int? = nil, responseFormat: JSONValue? = nil, grammar: String? = nil
  ) {
    self.temperature = temperature
    self.topP = topP
    self.maxTokens = maxTokens
    self.seed = seed
    self.stop = stop
    self.topLogprobs = topLogprobs
    self.responseFormat = responseFormat
    self.grammar = grammar
  }
}

/// A tool the model may call: name, description and a JSON-schema for its parameters.
public struct ToolDefinition: Sendable, Hashable {
  public var name: String
  public var description: String
  public var parameters: JSONValue

  public init(name: String, description: String, parameters: JSONValue) {
    self.name = name
    self.description = description
    self.parameters = parameters
  }
}

public struct ChatRequest: Sendable, Hashable {
  public var messages: [ChatMessage]
  public var sampling: SamplingParameters
  public var tools: [ToolDefinition]
  /// OpenAI `tool_choice` when tools are given: "auto" (the engine's default), "none" or
  /// "required" (llama-server needs `--jinja` for tool calling).
  public var toolChoice: String?
  /// Which of k samples this request is, for callers that sample k times without distinct seeds:
  /// part of the cache key (so k samples are k cache entries), never sent to the engine.
  public var sampleIndex: Int?

  public init(
    messages: [ChatMessage], sampling: SamplingParameters = SamplingParameters(), tools: [ToolDefinition] = [],
    toolChoice: String? = nil, sampleIndex: Int? = nil
  ) {
    self.messages = messages
    self.sampling = sampling
    self.tools = tools
    self.toolChoice = toolChoice
    self.sampleIndex = sampleIndex
  }
}

/// Log-probability of one generated token and of the engine's top alternatives at that position.
public struct TokenLogprob: Sendable, Hashable {
  public var token: String
  public var logprob: Double
  public var top: [Alternative]

  public struct Alternative: Sendable, Hashable {
    public var token: String
    public var logprob: Double
    public init(token: String, logprob: Double) {
      self.token = token
      self.logprob = logprob
    }
  }

  public init(token: String, logprob: Double, top: [Alternative] = []) {
    self.token = token
    self.logprob = logprob
    self.top = top
  }
}

public struct TokenUsage: Sendable, Hashable {
  public var promptTokens: Int
  public var completionTokens: Int
  public init(promptTokens: Int = 0, completionTokens: Int = 0) {
    self.promptTokens = promptTokens
    self.completionTokens = completionTokens
  }
  public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
    TokenUsage(promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens)
  }
}

public struct ChatResponse: Sendable, Hashable {
  /// The assistant's text (`message.content`; empty when it only called tools).
  public var text: String
  public var toolCalls: [ToolCall]
  /// `finish_reason` as the engine wrote it ("stop", "length", "tool_calls", …).
  public var finishReason: String?
  /// Per-token log-probabilities when they were asked for and the engine gave them.
  public var logprobs: [TokenLogprob]?
  public var usage: TokenUsage
  /// True when this answer came from the request cache (no engine call was made).
  public var cached: Bool

  public init(
    text: String, toolCalls: [ToolCall] = [], finishReason: String? = nil, logprobs: [TokenLogprob]? = nil,
    usage: TokenUsage = TokenUsage(), cached: Bool = false
  ) {
    self.text = text
    self.toolCalls = toolCalls
    self.finishReason = finishReason
    self.logprobs = logprobs
    self.usage = usage
    self.cached = cached
  }
}

/// Anything that completes a chat: the HTTP engine client, a cache in front of it, a scripted
/// engine in tests. Errors are `EngineError`s (below) that say which endpoint and what went wrong.
public protocol ChatEngine: Sendable {
  /// A name for reports and cache keys (e.g. the engine's model name).
  var modelName: String { get }
  func chat(_ request: ChatRequest) async throws -> ChatResponse
}

/// What can go wrong talking to an engine. A judge turns these into per-item errors, never into
/// a silent score.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Could not connect, or the deadline passed (the message names the endpoint).
  case unreachable(endpoint: String, reason: String)
  /// The engine answered with an HTTP error after the retries ran out.
  case http(endpoint: String, status: Int, body: String)
  /// The engine answered 200 with something that is not a chat completion.
  case malformedResponse(endpoint: String, reason: String)
  /// Rate or token budget exhausted and the caller asked not to wait.
  case budgetExhausted(String)

  /// The engine refused the request because the prompt (plus the tokens asked for) does not fit
  /// its context window: llama-server's `exceed_context_size_error`, vLLM's "maximum context
  /// length", OpenAI's `context_length_exceeded`. Judges count these apart from other errors, so
  /// a small-context engine reports how many items it could not see instead of scoring them.
  public var isContextOverflow: Bool {
    guard case .http(_, let status, let body) = self, status == 400 || status == 413 else { return false }
    let text = body.lowercased()
    return [
      "exceed_context_size", "exceeds the available context", "maximum context length", "context_length_exceeded",
    ]
    .contains { text.contains($0) }
  }

  public var description: String {
    switch self {
    case .unreachable(let endpoint, let reason): "engine \(endpoint) unreachable: \(reason)"
    case .http(let endpoint, let status, let body): "engine \(endpoint) answered HTTP \(status): \(body)"
    case .malformedResponse(let endpoint, let reason): "engine \(endpoint) sent a malformed response: \(reason)"
    case .budgetExhausted(let what): "engine budget exhausted: \(what)"
    }
  }
}
