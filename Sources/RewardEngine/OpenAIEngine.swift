import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewardCore
import Synchronization

/// The engine client: OpenAI-compatible `/v1/chat/completions`, `/v1/completions` and
/// `/v1/embeddings` over HTTP, for vLLM, SGLang, llama-server, TGI and hosted APIs. Every call
/// goes through the same limits (requests in flight, requests and tokens per minute), the same
/// per-attempt deadline and the same retries; a failure that survives them is an `EngineError`
/// naming the endpoint. Copies share their limits and counters.
public struct OpenAIEngine: ChatEngine, CompletionEngine, EmbeddingEngine {
  public let settings: OpenAIEngineSettings
  /// This client's calls, retries and tokens (shared with a cache in front of it).
  public let usage: EngineUsage
  private let pool: EndpointPool
  private let limiter: RateLimiter
  private let client: HTTPClient

  public var modelName: String { settings.model }

  public init(settings: OpenAIEngineSettings, usage: EngineUsage = EngineUsage()) throws {
    var settings = settings
    guard !settings.baseURLs.isEmpty else { throw ConfigurationError("engine: no base URL") }
    settings.baseURLs = try settings.baseURLs.map(OpenAIEngineSettings.normalizedBaseURL)
    guard !settings.model.isEmpty else { throw ConfigurationError("engine: the model name is empty") }
    guard settings.maxInFlight > 0 else { throw ConfigurationError("engine: max in flight must be positive") }
    for (name, value) in [("requests", settings.requestsPerMinute), ("tokens", settings.tokensPerMinute)] {
      if let value, value <= 0 { throw ConfigurationError("engine: \(name) per minute must be positive") }
    }
    guard settings.timeout > .zero else { throw ConfigurationError("engine: the timeout must be positive") }
    guard settings.retry.maxRetries >= 0 else { throw ConfigurationError("engine: max retries must be ≥ 0") }
    self.settings = settings
    self.usage = usage
    pool = EndpointPool(endpoints: settings.baseURLs, capacity: settings.maxInFlight)
    limiter = RateLimiter(requestsPerMinute: settings.requestsPerMinute, tokensPerMinute: settings.tokensPerMinute)
    client = EngineHTTPClients.client(connectionsPerHost: settings.maxInFlight)
  }

  // MARK: The three calls

  public func chat(_ request: ChatRequest) async throws -> ChatResponse {
    let body = OpenAIWire.chatBody(request, model: settings.model)
    let estimate = Self.estimateTokens(request)
    let (json, endpoint) = try await post("/chat/completions", body: body, estimatedTokens: estimate)
    let response = try parsed(endpoint) { try OpenAIWire.chatResponse(json, endpoint: endpoint) }
    await account(response.usage, estimate: estimate)
    return response
  }

  public func complete(_ request: CompletionRequest) async throws -> CompletionResponse {
    let body = OpenAIWire.completionBody(request, model: settings.model)
    let estimate = request.prompt.utf8.count / 4 + (request.sampling.maxTokens ?? 256)
    let (json, endpoint) = try await post("/completions", body: body, estimatedTokens: estimate)
    let response = try parsed(endpoint) { try OpenAIWire.completionResponse(json, endpoint: endpoint) }
    await account(response.usage, estimate: estimate)
    return response
  }

  public func embed(_ texts: [String]) async throws -> [[Float]] {
    guard !texts.isEmpty else { return [] }
    let estimate = texts.reduce(0) { $0 + $1.utf8.count / 4 + 1 }
    let (json, endpoint) = try await post(
      "/embeddings", body: OpenAIWire.embeddingBody(texts, model: settings.model), estimatedTokens: estimate)
    let vectors = try parsed(endpoint) {
      try OpenAIWire.embeddingResponse(json, count: texts.count, endpoint: endpoint)
    }
    let prompt = (try? OpenAIWire.Reader(endpoint: endpoint).usage(json))?.promptTokens ?? 0
    await account(TokenUsage(promptTokens: prompt), estimate: estimate)
    return vectors
  }

  /// A quick check that every endpoint answers (`GET /v1/models`, else `/health` at the root),
  /// without retries: for a clear message at load time instead of a failure on the first item.
  /// Returns the model ids the first endpoint serves (empty when it only has `/health`).
  @discardableResult
  public func checkReachable(timeout: Duration = .seconds(5)) async throws -> [String] {
    var served: [String] = []
    for (position, base) in settings.baseURLs.enumerated() {
      let shown = OpenAIEngineSettings.redactingCredentials(base)
      let models = try await get(base + "/models", timeout: timeout)
      if models.status == 200 {
        if position == 0 {
          served =
            (try? JSONParser.parse(bytes: Array(models.body.readableBytesView)))
            .flatMap { try? OpenAIWire.modelIDs($0, endpoint: shown) } ?? []
        }
        continue
      }
      let root = base.hasSuffix("/v1") ? String(base.dropLast(3)) : base
      let health = try await get(root + "/health", timeout: timeout)
      guard health.status == 200 else {
        throw EngineError.unreachable(
          endpoint: shown, reason: "GET /models answered HTTP \(models.status) and GET /health HTTP \(health.status)")
      }
    }
    return served
  }

  // MARK: HTTP with limits, deadline and retries

  private func post(_ path: String, body: JSONValue, estimatedTokens: Int) async throws -> (JSONValue, String) {
    let bytes = ByteBuffer(string: body.jsonText)
    var attempt = 0
    var failedEndpoint: Int?
    while true {
      let wait = await limiter.reserve(estimatedTokens: estimatedTokens)
      if wait > .zero {
        usage.update { $0.rateLimitWaitSeconds += wait.seconds }
        try await Task.sleep(for: wait)
      }
      let index = await pool.acquire(avoiding: failedEndpoint)
      let url = settings.baseURLs[index] + path
      usage.update { $0.requests += 1 }
      let outcome = await send(url: url, body: bytes)
      await pool.release(index)
      switch outcome {
      case .success(let json):
        usage.update { $0.responses += 1 }
        return (json, OpenAIEngineSettings.redactingCredentials(url))
      case .failure(let failure):
        if Task.isCancelled { throw CancellationError() }
        guard failure.retryable, attempt < settings.retry.maxRetries else {
          usage.update { $0.failures += 1 }
          throw failure.error
        }
        usage.update { $0.retries += 1 }
        try await Task.sleep(for: settings.retry.delay(attempt: attempt, retryAfter: failure.retryAfter))
        attempt += 1
        failedEndpoint = index
      }
    }
  }

  private struct Failure: Error {
    var error: EngineError
    var retryable: Bool
    var retryAfter: Duration?
  }

  private func send(url: String, body: ByteBuffer) async -> Result<JSONValue, Failure> {
    let shown = OpenAIEngineSettings.redactingCredentials(url)
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "Accept", value: "application/json")
    if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key.value)") }
    request.body = .bytes(body)
    let reply: Exchange
    do {
      reply = try await exchange(request, timeout: settings.timeout)
    } catch is DeadlineExceeded {
      let reason = "no complete answer within \(secondsText(settings.timeout)) s"
      return .failure(Failure(error: .unreachable(endpoint: shown, reason: reason), retryable: true))
    } catch {
      return .failure(Failure(error: .unreachable(endpoint: shown, reason: "\(error)"), retryable: true))
    }
    guard (200..<300).contains(reply.status) else {
      let snippet = String(String(buffer: reply.body).prefix(300))
      return .failure(
        Failure(
          error: .http(endpoint: shown, status: Int(reply.status), body: snippet),
          retryable: RetryPolicy.isTransient(status: Int(reply.status)),
          retryAfter: RetryPolicy.parseRetryAfter(reply.headers.first(name: "Retry-After"))))
    }
    if let type = reply.headers.first(name: "Content-Type"), !type.lowercased().contains("json") {
      let reason = "Content-Type '\(type)', expected application/json"
      return .failure(Failure(error: .malformedResponse(endpoint: shown, reason: reason), retryable: false))
    }
    do {
      return .success(try JSONParser.parse(bytes: Array(reply.body.readableBytesView)))
    } catch {
      let reason = "not JSON (line \(error.line), column \(error.column): \(error.message))"
      return .failure(Failure(error: .malformedResponse(endpoint: shown, reason: reason), retryable: false))
    }
  }

  private struct Exchange: Sendable {
    var status: UInt
    var headers: HTTPHeaders
    var body: ByteBuffer
  }

  private struct DeadlineExceeded: Error {}

  /// One HTTP exchange — connect, send, headers and the whole body — under one deadline.
  private func exchange(_ request: HTTPClientRequest, timeout: Duration) async throws -> Exchange {
    let client = self.client
    let limit = settings.maxResponseBytes
    return try await withThrowingTaskGroup(of: Exchange?.self) { group in
      group.addTask {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.seconds * 1e9) + 1_000_000_000)
        let response = try await client.execute(request, deadline: deadline)
        let body = try await response.body.collect(upTo: limit)
        return Exchange(status: response.status.code, headers: response.headers, body: body)
      }
      group.addTask {
        try await Task.sleep(for: timeout)
        return nil
      }
      defer { group.cancelAll() }
      guard let first = try await group.next(), let exchange = first else { throw DeadlineExceeded() }
      return exchange
    }
  }

  private func get(_ url: String, timeout: Duration) async throws -> Exchange {
    var request = HTTPClientRequest(url: url)
    if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key.value)") }
    do {
      return try await exchange(request, timeout: timeout)
    } catch is DeadlineExceeded {
      throw EngineError.unreachable(
        endpoint: OpenAIEngineSettings.redactingCredentials(url),
        reason: "no answer within \(secondsText(timeout)) s")
    } catch {
      throw EngineError.unreachable(endpoint: OpenAIEngineSettings.redactingCredentials(url), reason: "\(error)")
    }
  }

  /// Parse failures count as failed calls (they reach the caller as per-item errors).
  private func parsed<T>(_ endpoint: String, _ parse: () throws -> T) throws -> T {
    do {
      return try parse()
    } catch {
      usage.update {
        $0.responses -= 1
        $0.failures += 1
      }
      throw error
    }
  }

  private func account(_ tokens: TokenUsage, estimate: Int) async {
    usage.update { $0.tokens = $0.tokens + tokens }
    let actual = tokens.promptTokens + tokens.completionTokens
    if actual > 0 { await limiter.settle(estimatedTokens: estimate, actualTokens: actual) }
  }

  /// A rough prompt size (4 bytes a token, a few tokens of chat template per message) plus the
  /// completion budget; the tokens-per-minute bucket is corrected once usage comes back.
  static func estimateTokens(_ request: ChatRequest) -> Int {
    let text = request.messages.reduce(0) { $0 + $1.content.utf8.count + 16 }
    let tools = request.tools.reduce(0) { $0 + $1.description.utf8.count + $1.parameters.jsonText.utf8.count }
    return (text + tools) / 4 + (request.sampling.maxTokens ?? 512)
  }
}

func secondsText(_ duration: Duration) -> String {
  let seconds = duration.seconds
  return seconds == seconds.rounded() ? String(Int64(seconds)) : String(format: "%.3g", seconds)
}

/// HTTP clients live for the whole process (like `HTTPClient.shared`), one per connection limit:
/// engines come and go with judge files and specs, and a client must never be dropped without an
/// orderly shutdown.
enum EngineHTTPClients {
  private static let clients = Mutex<[Int: HTTPClient]>([:])

  static func client(connectionsPerHost: Int) -> HTTPClient {
    clients.withLock { clients in
      if let client = clients[connectionsPerHost] { return client }
      var configuration = HTTPClient.Configuration()
      configuration.connectionPool = .init(
        idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
      configuration.timeout.connect = .seconds(10)
      // A refused connection fails the attempt at once: our retries back off and move to
      // another replica, instead of AHC retrying the dead one until the connect timeout.
      configuration.connectionPool.retryConnectionEstablishment = false
      let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
      clients[connectionsPerHost] = client
      return client
    }
  }
}
