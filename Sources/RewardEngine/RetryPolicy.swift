import Foundation

/// How hard to try a failed engine call again: exponential backoff with full jitter, and the
/// server's `Retry-After` honoured up to a cap (a server asking for an hour should not stall a run).
public struct RetryPolicy: Sendable, Equatable {
  /// Retries after the first attempt (0: one attempt only).
  public var maxRetries: Int
  public var initialBackoff: Duration
  public var maxBackoff: Duration
  /// The longest `Retry-After` obeyed; longer requests are shortened to this.
  public var maxRetryAfter: Duration

  public init(
    maxRetries: Int = 4, initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(20),
    maxRetryAfter: Duration = .seconds(60)
  ) {
    self.maxRetries = maxRetries
    self.initialBackoff = initialBackoff
    self.maxBackoff = maxBackoff
    self.maxRetryAfter = maxRetryAfter
  }

  /// HTTP statuses worth another try: request timeout, too many requests, and server errors.
  public static func isTransient(status: Int) -> Bool {
    status == 408 || status == 429 || status >= 500
  }

  /// The wait before retry number `attempt` (0 for the first retry). Without `Retry-After` it is
  /// uniform in [b/2, b] with b = min(maxBackoff, initialBackoff · 2^attempt): half jitter keeps a
  /// floor under the wait while still spreading many clients that failed together. With
  /// `Retry-After` the server's wait wins when it is longer, up to `maxRetryAfter`.
  public func delay(attempt: Int, retryAfter: Duration?, random: Double = Double.random(in: 0...1)) -> Duration {
    let exponent = Double(min(max(attempt, 0), 30))
    let ceiling = min(maxBackoff.seconds, initialBackoff.seconds * pow(2, exponent))
    let backoff = ceiling * (0.5 + 0.5 * min(max(random, 0), 1))
    let wait = max(backoff, min(retryAfter?.seconds ?? 0, maxRetryAfter.seconds))
    return .milliseconds(Int64((wait * 1000).rounded()))
  }

  /// Reads `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3); nil when absent
  /// or unreadable, never negative.
  public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
    guard let text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
    if let seconds = Double(text), seconds.isFinite {
      return .milliseconds(Int64((max(0, min(seconds, 86_400)) * 1000).rounded()))
    }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    guard let date = formatter.date(from: text) else { return nil }
    let seconds = max(0, min(date.timeIntervalSince(now), 86_400))
    return .milliseconds(Int64((seconds * 1000).rounded()))
  }
}

extension Duration {
  /// This duration in seconds, as a Double.
  var seconds: Double {
    let (whole, attoseconds) = components
    return Double(whole) + Double(attoseconds) * 1e-18
  }

  static func seconds(double value: Double) -> Duration {
    .nanoseconds(Int64((max(0, value) * 1e9).rounded()))
  }
}
