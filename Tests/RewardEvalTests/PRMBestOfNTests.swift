import Foundation
import RewardCore
import RewardEval
import RewardRules
import RewardTestSupport
import Testing

/// PRM-guided best-of-N (issue 12): step scores are computed once and each aggregation ranks by
/// them; the result equals ranking by the same PRM's scalar under that aggregation.
struct PRMBestOfNTests {
  static func groups() throws -> [LabeledGroup] {
    try GSM8KGroups.read(SharedData.path("data/math/gsm8k-test.jsonl"), limit: 40)
  }

  @Test func eachAggregationRanksAsThePRMsOwnScalarDoes() async throws {
    let groups = try Self.groups()
    let stepScores = try await PRMBestOfN.stepScores(of: StepCheckModel(splitter: .lines), groups: groups)
    for aggregation in [StepAggregation.min, .last, .product, .mean, .softMin(temperature: 0.1)] {
      let viaSteps = try #require(PRMBestOfN.curve(groups: groups, stepScores: stepScores, aggregation: aggregation))
      let scalar = try await BestOfN.evaluate(
        groups, scorer: BatchScorer(model: StepCheckModel(splitter: .lines, aggregation: aggregation)))
      #expect(viaSteps == scalar.curve, "\(aggregation)")
    }
    // The checker rejects the perturbed answers, so min beats a random pick at n = 8.
    let minimum = try #require(PRMBestOfN.curve(groups: groups, stepScores: stepScores, aggregation: .min))
    let eight = try #require(minimum.points.last)
    #expect(eight.n == 8)
    #expect(eight.model > eight.random + 0.05)
  }

  /// A generative PRM's unreadable answer (NaN, no steps) is ranked last, never picked over a scored one.
  struct HalfUnreadable: RewardModel {
    let name = "half-unreadable"
    func score(_ candidates: [Candidate]) async throws -> [Reward] {
      candidates.map { candidate in
        candidate.response.count % 2 == 0
          ? Reward(.nan, rationale: "unparseable")
          : Reward(0.1, steps: [StepScore(index: 0, start: 0, end: 1, score: 0.1)])
      }
    }
  }

  @Test func unreadableResponsesAreRankedLast() async throws {
    let groups = try Self.groups()
    let stepScores = try await PRMBestOfN.stepScores(of: HalfUnreadable(), groups: groups)
    #expect(stepScores.joined().contains { $0 == nil })
    let curve = try #require(PRMBestOfN.curve(groups: groups, stepScores: stepScores, aggregation: .min))
    let explicit = stepScores.map { $0.map { $0 == nil ? -Double.infinity : 0.1 } }
    #expect(curve == BestOfN.curve(groups: groups, scores: explicit))
  }
}
