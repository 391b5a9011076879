import AsyncHTTPClient
import Foundation
import NIOCore
import RewardCore

/// A reward model served elsewhere, over HTTP: an OpenRLHF-style `/get_reward` server (RewardKit's
/// own server included) or a vLLM `/classify` endpoint (a reward model on GPUs). Candidates are
/// sent in batches of `batchSize`, a few batches at a time; a failed batch is retried with
/// exponential backoff when the failure is transient (connection errors, 408, 429, 5xx).
public struct RemoteRewardModel: RewardModel {
  public let name: String
  public let settings: RemoteSettings
  private let client: HTTPClient

  public init(name: String? = nil, settings: RemoteSettings, client: HTTPClient = .shared) {
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

  /// POSTs `body`, retrying transient failures: attempt n (from 0) waits
  /// min(maxBackoff, initialBackoff · 2ⁿ), or the server's `Retry-After` when it is longer.
  func post(_ body: JSONValue) async throws -> JSONValue {
    var attempt = 0
    while true {
      let outcome = await attemptPost(body)
      switch outcome {
      case .success(let value): return value
      case .failure(let failure):
        guard failure.retryable, attempt < settings.maxRetries else { throw failure.error }
        let backoff = min(settings.maxBackoff, settings.initialBackoff * (1 << min(attempt, 20)))
        try await Task.sleep(for: max(backoff, failure.retryAfter ?? .zero))
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
    let timeout = TimeAmount.nanoseconds(Int64(settings.timeout.seconds * 1e9))
    let status: UInt
    let bytes: ByteBuffer
    let retryAfter: Duration?
    do {
      let response = try await client.execute(request, timeout: timeout)
      status = response.status.code
      retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }.map { .seconds($0) }
      bytes = try await response.body.collect(upTo: settings.maxResponseBytes)
    } catch {
      return .failure(Failure(error: RemoteRewardError(settings.url, "request failed: \(error)"), retryable: true))
    }
    guard (200..<300).contains(status) else {
      let snippet = String(buffer: bytes).prefix(300)
      let transient = status == 408 || status == 429 || status >= 500
      return .failure(
        Failure(
          error: RemoteRewardError(settings.url, "HTTP \(status): \(snippet)"), retryable: transient,
          retryAfter: retryAfter))
    }
    do {
      return .success(try JSONParser.parse(bytes: Array(bytes.readableBytesView)))
    } catch {
      return .failure(
        Failure(error: RemoteRewardError(settings.url, "malformed JSON response: \(error.message)"), retryable: false))
    }
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
