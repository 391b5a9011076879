import Synchronization

/// What an engine client has done in this run: calls, retries, failures, tokens, cache hits.
/// One counter is shared by every task using the client (and by a cache in front of it), so the
/// totals in a report or on `/metrics` are the run's. Thread-safe; reading takes a snapshot.
public final class EngineUsage: Sendable {
  public struct Snapshot: Sendable, Equatable {
    /// HTTP requests sent (every attempt, retries included).
    public var requests = 0
    /// Calls that succeeded.
    public var responses = 0
    /// Attempts that failed and were tried again.
    public var retries = 0
    /// Calls that failed for good (after retries).
    public var failures = 0
    /// Calls answered from the request cache (no engine call was made).
    public var cacheHits = 0
    /// Calls the cache had no answer for and passed on to the engine.
    public var cacheMisses = 0
    public var tokens = TokenUsage()
    /// Time spent waiting on the requests-/tokens-per-minute budgets, summed over calls.
    public var rateLimitWaitSeconds = 0.0

    public init() {}
  }

  private let state = Mutex(Snapshot())

  public init() {}

  public var snapshot: Snapshot { state.withLock { $0 } }

  func update(_ change: (inout Snapshot) -> Void) {
    state.withLock { change(&$0) }
  }

  /// Prometheus text-format lines (counters), for a server's `/metrics`.
  public func prometheusText(prefix: String = "rewardkit_engine") -> String {
    let s = snapshot
    let counters: [(String, String, Double)] = [
      ("requests_total", "HTTP requests sent to the engine, retries included.", Double(s.requests)),
      ("responses_total", "Engine calls that succeeded.", Double(s.responses)),
      ("retries_total", "Engine attempts that failed and were retried.", Double(s.retries)),
      ("failures_total", "Engine calls that failed after retries.", Double(s.failures)),
      ("cache_hits_total", "Engine calls answered from the request cache.", Double(s.cacheHits)),
      ("cache_misses_total", "Engine calls the request cache could not answer.", Double(s.cacheMisses)),
      ("prompt_tokens_total", "Prompt tokens the engine reported.", Double(s.tokens.promptTokens)),
      ("completion_tokens_total", "Completion tokens the engine reported.", Double(s.tokens.completionTokens)),
      ("rate_limit_wait_seconds_total", "Seconds spent waiting on rate budgets.", s.rateLimitWaitSeconds),
    ]
    var text = ""
    for (name, help, value) in counters {
      text += "# HELP \(prefix)_\(name) \(help)\n# TYPE \(prefix)_\(name) counter\n"
      text += "\(prefix)_\(name) \(value == value.rounded() ? String(Int64(value)) : String(value))\n"
    }
    return text
  }
}
