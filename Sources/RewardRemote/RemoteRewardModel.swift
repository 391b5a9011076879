import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import RewardCore

/// A reward model served elsewhere, over HTTP: an OpenRLHF-style `/get_reward` server (RewardKit's
/// own server included) or a vLLM `/classify` endpoint (a reward model on GPUs). Candidates are
/// sent in batches of `batchSize`, a few batches at a time; a failed batch is retried with
/// exponential backoff when the failure is transient (connection errors, 408, 429, 5xx).
/// Each attempt has an overall deadline (`CallDeadline`: connect, head and body); retries follow
/// `RetryPolicy`, so a server's `Retry-After` is obeyed only up to a cap.
public struct RemoteRewardModel: RewardModel {
  public let name: String
  public let settings: RemoteSettings
  private let client: HTTPClient

  /// AsyncHTTPClient's shared client retries a refused connection with backoff until the request's
  /// deadline, so a server that is down took the whole timeout on every attempt. This one fails
  /// the attempt at once; `RetryPolicy` decides what happens next.
  public static let failFastClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout.connect = .seconds(10)
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
  }()

  public init(name: String? = nil, settings: RemoteSettings, client: HTTPClient = failFastClient) {
    self.name = name ?? settings.url
    self.settings = settings
    self.client = client
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    let batches = stride(from: 0, to: candidates.count, by: settings.batchSize).map {
      Array(candidates[$0..<min(candidates.count, $0 + settings.batchSize)])
    }
    var results = [[Reward]](repeating: [], count: batches.count)
    try await withThrowingTaskGroup(of: (Int, [Reward]).self) { group in
      var next = 0
      func startNext() {
        guard next < batches.count else { return }
        let index = next
        next += 1
        group.addTask { (index, try await scoreBatch(batches[index])) }
      }
      for _ in 0..<settings.maxConcurrentBatches { startNext() }
      while let (index, rewards) = try await group.next() {
        results[index] = rewards
        startNext()
      }
    }
    return results.flatMap { $0 }
  }

  func scoreBatch(_ batch: [Candidate]) async throws -> [Reward] {
    let body = settings.wireProtocol.requestBody(batch, settings: settings)
    let response = try await post(body)
    return try settings.wireProtocol.rewards(from: response, count: batch.count, settings: settings)
  }

  /// POSTs `body`, retrying transient failures as `settings.retry` says.
  func post(_ body: JSONValue) async throws -> JSONValue {
    var attempt = 0
    while true {
      let outcome = await attemptPost(body)
      switch outcome {
      case .success(let value): return value
      case .failure(let failure):
        guard failure.retryable, settings.retry.allowsRetry(after: attempt) else { throw failure.error }
        try await Task.sleep(for: settings.retry.delay(after: attempt, retryAfter: failure.retryAfter))
        attempt += 1
      }
    }
  }

  struct Failure: Error {
    var error: RemoteRewardError
    var retryable: Bool
    var retryAfter: Duration?
  }

  private func attemptPost(_ body: JSONValue) async -> Result<JSONValue, Failure> {
    var request = HTTPClientRequest(url: settings.url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    if let apiKey = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
    request.body = .bytes(ByteBuffer(string: body.jsonText))
    let (client, maxResponseBytes, prepared) = (client, settings.maxResponseBytes, request)
    let reply: Reply
    do {
      reply = try await CallDeadline(settings.timeout).run {
        let response = try await client.execute(prepared, timeout: .hours(24))  // The deadline bounds it.
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }.map { Duration.seconds($0) }
        let bytes = try await response.body.collect(upTo: maxResponseBytes)
        return Reply(status: response.status.code, retryAfter: retryAfter, bytes: bytes)
      }
    } catch {
      return .failure(Failure(error: RemoteRewardError(settings.url, Self.describe(error)), retryable: true))
    }
    guard (200..<300).contains(reply.status) else {
      let snippet = String(buffer: reply.bytes).prefix(300)
      let transient = reply.status == 408 || reply.status == 429 || reply.status >= 500
      return .failure(
        Failure(
          error: RemoteRewardError(settings.url, "HTTP \(reply.status): \(snippet)"), retryable: transient,
          retryAfter: reply.retryAfter))
    }
    do {
      return .success(try JSONParser.parse(bytes: Array(reply.bytes.readableBytesView)))
    } catch {
      return .failure(
        Failure(error: RemoteRewardError(settings.url, "malformed JSON response: \(error.message)"), retryable: false))
    }
  }

  private struct Reply: Sendable {
    var status: UInt
    var retryAfter: Duration?
    var bytes: ByteBuffer
  }

  /// A transport failure in words: a refused connection says so plainly.
  static func describe(_ error: any Error) -> String {
    if let exceeded = error as? CallDeadline.Exceeded { return exceeded.description }
    if let connection = error as? NIOConnectionError {
      let refused = connection.connectionErrors.contains { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }
      if refused { return "cannot connect: connection refused (is the server running?)" }
    }
    if let io = error as? IOError, io.errnoCode == ECONNREFUSED {
      return "cannot connect: connection refused (is the server running?)"
    }
    return "request failed: \(error)"
  }
}

/// A remote call that failed for good (after retries), naming the URL.
public struct RemoteRewardError: Error, Sendable, Equatable, CustomStringConvertible {
  public var url: String
  public var message: String

  public init(_ url: String, _ message: String) {
    self.url = url
    self.message = message
  }

  public var description: String { "\(url): \(message)" }
}

extension Duration {
  var seconds: Double {
    let (whole, attoseconds) = components
    return Double(whole) + Double(attoseconds) * 1e-18
  }
}
