import Testing

@testable import RewardEngine

/// The budgets and the endpoint choice on their own, with a hand-driven clock.
@Suite struct LimitsTests {
  @Test func requestBudgetBurstsOnceThenPaces() async {
    let start = ContinuousClock.now
    let limiter = RateLimiter(requestsPerMinute: 120, tokensPerMinute: nil, now: start)
    for _ in 0..<120 { #expect(await limiter.reserve(estimatedTokens: 0, now: start) == .zero) }
    // Two a second: the next ones wait 0.5 s, 1 s, … behind the budget.
    #expect(await limiter.reserve(estimatedTokens: 0, now: start) == .milliseconds(500))
    #expect(await limiter.reserve(estimatedTokens: 0, now: start) == .seconds(1))
    // After 10 s the debt (2 requests) is repaid and 18 more have accrued.
    for _ in 0..<18 { #expect(await limiter.reserve(estimatedTokens: 0, now: start + .seconds(10)) == .zero) }
    #expect(await limiter.reserve(estimatedTokens: 0, now: start + .seconds(10)) == .milliseconds(500))
  }

  @Test func tokenBudgetIsSettledWithTheRealUsage() async {
    let start = ContinuousClock.now
    let limiter = RateLimiter(requestsPerMinute: nil, tokensPerMinute: 600, now: start)
    #expect(await limiter.reserve(estimatedTokens: 500, now: start) == .zero)
    // The engine reported 100 tokens, not 500: 400 come back.
    await limiter.settle(estimatedTokens: 500, actualTokens: 100, now: start)
    #expect(await limiter.reserve(estimatedTokens: 500, now: start) == .zero)
    // 0 left; 10 tokens a second: 200 more take 20 s.
    #expect(await limiter.reserve(estimatedTokens: 200, now: start) == .seconds(20))
    // A request larger than a minute's budget costs one minute's worth, not forever.
    let big = RateLimiter(requestsPerMinute: nil, tokensPerMinute: 60, now: start)
    #expect(await big.reserve(estimatedTokens: 10_000, now: start) == .zero)
    #expect(await big.reserve(estimatedTokens: 1, now: start) == .seconds(1))
  }

  @Test func poolPicksTheLeastBusyEndpointAndQueuesBeyondTheCap() async {
    let pool = EndpointPool(endpoints: ["a", "b", "c"], capacity: 4)
    var chosen: [Int] = []
    for _ in 0..<3 { chosen.append(await pool.acquire()) }
    #expect(Set(chosen) == [0, 1, 2])
    await pool.release(1)
    #expect(await pool.acquire() == 1)  // b is the only idle one
    #expect(await pool.acquire(avoiding: 0) != 0)
    // Five taken of four? No: the fifth waits until a release hands its slot over.
    let waiter = Task { await pool.acquire() }
    try? await Task.sleep(for: .milliseconds(50))
    #expect(await pool.inFlight.reduce(0, +) == 4)
    await pool.release(2)
    let index = await waiter.value
    #expect(await pool.inFlight.reduce(0, +) == 4)
    #expect((0..<3).contains(index))
  }
}
