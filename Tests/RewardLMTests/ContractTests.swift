import Testing

@testable import RewardLM

@Suite struct ResponseLogProbabilityTests {
  @Test func meanIsLengthNormalisedAndZeroForNoTokens() {
    #expect(ResponseLogProbability(sum: -6, tokenCount: 3).mean == -2)
    #expect(ResponseLogProbability(sum: 0, tokenCount: 0).mean == 0)
  }
}
