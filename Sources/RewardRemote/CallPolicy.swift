/// How often and how long to retry a remote call that failed transiently (connection errors, 408,
/// 429, 5xx). Shared by the remote reward model and other HTTP clients (LLM judges).
public struct RetryPolicy: Sendable, Equatable {
  /// Retries after the first attempt.
  public var maxRetries = 3
  public var initialBackoff = Duration.milliseconds(200)
  public var maxBackoff = Duration.seconds(5)
  /// The longest `Retry-After` obeyed. A server asking for longer (`Retry-After: 3600`) is retried
  /// after this long instead of stalling the caller for an hour.
  public var maxRetryAfter = Duration.seconds(30)

  public init() {}

  /// Whether attempt `attempt` (from 0) may be followed by another.
  public func allowsRetry(after attempt: Int) -> Bool { attempt < maxRetries }

  /// The wait before the retry that follows attempt `attempt` (from 0):
  /// min(maxBackoff, initialBackoff · 2ⁿ), or the server's `Retry-After` when that is longer, capped
  /// at `maxRetryAfter`.
  public func delay(after attempt: Int, retryAfter: Duration? = nil) -> Duration {
    let backoff = min(maxBackoff, initialBackoff * (1 << min(attempt, 20)))
    return max(backoff, min(retryAfter ?? .zero, maxRetryAfter))
  }
}

/// An overall time limit for one call: connecting, the response head and the whole body. A server
/// that answers its head at once and then trickles the body one byte a second is cut off at the
/// deadline like one that never answers.
public struct CallDeadline: Sendable, Equatable {
  public var timeout: Duration

  public init(_ timeout: Duration) {
    self.timeout = timeout
  }

  /// Runs `operation`, cancelling it and throwing `CallDeadline.Exceeded` once `timeout` has passed.
  /// `operation` must honour cancellation (AsyncHTTPClient's calls and body reads do).
  public func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
    let timeout = timeout
    let deadline = ContinuousClock.now + timeout
    return try await withThrowingTaskGroup(of: Value?.self) { group in
      group.addTask {
        do {
          return try await operation()
        } catch {
          // The timer task can run late on a busy machine; a call that fails after the deadline
          // (the connection torn down, a read cut short) still failed because of the deadline.
          if ContinuousClock.now >= deadline { throw Exceeded(timeout: timeout) }
          throw error
        }
      }
      group.addTask {
        try await Task.sleep(for: timeout)
        return nil
      }
      defer { group.cancelAll() }
      guard let first = try await group.next(), let value = first else { throw Exceeded(timeout: timeout) }
      return value
    }
  }

  public struct Exceeded: Error, Sendable, Equatable, CustomStringConvertible {
    public var timeout: Duration
    public var description: String { "no complete response within \(timeout.seconds) s (timeout_s)" }
  }
}
