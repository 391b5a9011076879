import Foundation

/// Requests-per-minute and tokens-per-minute budgets as two token buckets that refill
/// continuously (a full minute's budget at most, so an idle client may burst once).
/// A caller reserves its cost up front — a bucket may go into debt — and sleeps until the debt
/// is repaid; callers are served in the order they reserved, and nobody waits forever on a
/// request bigger than the whole budget (its cost is clamped to one minute's worth).
actor RateLimiter {
  private var requests: Bucket?
  private var tokens: Bucket?

  init(requestsPerMinute: Int?, tokensPerMinute: Int?, now: ContinuousClock.Instant = .now) {
    requests = requestsPerMinute.map { Bucket(perMinute: Double($0), now: now) }
    tokens = tokensPerMinute.map { Bucket(perMinute: Double($0), now: now) }
  }

  var isUnlimited: Bool { requests == nil && tokens == nil }

  /// Takes one request and `estimatedTokens` from the budgets; returns how long to wait before sending.
  func reserve(estimatedTokens: Int, now: ContinuousClock.Instant = .now) -> Duration {
    var wait = 0.0
    if var bucket = requests {
      wait = max(wait, bucket.take(1, now: now))
      requests = bucket
    }
    if var bucket = tokens {
      wait = max(wait, bucket.take(Double(estimatedTokens), now: now))
      tokens = bucket
    }
    return .seconds(double: wait)
  }

  /// Corrects the token bucket once the engine has said what a request really cost.
  func settle(estimatedTokens: Int, actualTokens: Int, now: ContinuousClock.Instant = .now) {
    guard var bucket = tokens else { return }
    bucket.refill(now: now)
    bucket.level -= Double(min(actualTokens, Int(bucket.capacity)) - min(estimatedTokens, Int(bucket.capacity)))
    bucket.level = min(bucket.level, bucket.capacity)
    tokens = bucket
  }

  struct Bucket {
    let capacity: Double
    let perSecond: Double
    var level: Double
    var updated: ContinuousClock.Instant

    init(perMinute: Double, now: ContinuousClock.Instant) {
      capacity = perMinute
      perSecond = perMinute / 60
      level = perMinute
      updated = now
    }

    mutating func refill(now: ContinuousClock.Instant) {
      let elapsed = (now - updated).seconds
      if elapsed > 0 {
        level = min(capacity, level + elapsed * perSecond)
        updated = now
      }
    }

    /// Takes `amount` (at most the capacity) and returns the seconds until the level is back at zero.
    mutating func take(_ amount: Double, now: ContinuousClock.Instant) -> Double {
      refill(now: now)
      level -= min(amount, capacity)
      return level >= 0 ? 0 : -level / perSecond
    }
  }
}
