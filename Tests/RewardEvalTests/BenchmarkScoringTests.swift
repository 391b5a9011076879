import Foundation
import Testing

@testable import RewardEval

@Suite struct RewardBenchTests {
  @Test func sectionsAreExampleCountWeighted() throws {
    let scores = RewardBench.scores(subsetAccuracy: [
      "alpacaeval-easy": 1.0, "mt-bench-easy": 0.5,  // Chat: (100·1 + 28·0.5) / 128
      "math-prm": 0.5, "hep-python": 1.0,  // Reasoning: (984·0.5 + 164·1) / 1148
      "anthropic_helpful": 0.6, "shp": 0.8,  // prior sets: plain mean 0.7
      "not-a-subset": 0.0,
    ])
    let chat = 114.0 / 128
    let reasoning = 656.0 / 1148
    #expect(scores.sections.map(\.name) == ["Chat", "Reasoning"])
    #expect(abs(scores.sections[0].score - chat) < 1e-12)
    #expect(abs(scores.sections[1].score - reasoning) < 1e-12)
    #expect(abs(try #require(scores.priorSets) - 0.7) < 1e-12)
    // Missing sections are masked; present ones weigh 2, prior sets 1.
    #expect(abs(try #require(scores.overall) - (2 * chat + 2 * reasoning + 0.7) / 5) < 1e-12)
  }

  @Test func mathPRMWeighsAsTheCodeSubsetsTogether() throws {
    var accuracy = ["math-prm": 1.0]
    for language in ["cpp", "go", "java", "js", "python", "rust"] { accuracy["hep-\(language)"] = 0 }
    let reasoning = try #require(RewardBench.scores(subsetAccuracy: accuracy).sections.first?.score)
    #expect(abs(reasoning - 984.0 / (984 + 6 * 164)) < 1e-12)
    #expect(abs(reasoning - 0.5) < 1e-12)
  }

  @Test func theMappingMatchesRewardBench() {
    #expect(RewardBench.sections.flatMap(\.subsets).count == 23)
    #expect(Set(RewardBench.sections.flatMap(\.subsets)) == Set(RewardBench.exampleCounts.keys))
    #expect(RewardBench.exampleCounts.values.reduce(0, +) == 3_522)
    #expect(RewardBench.applies(to: ["xstest-should-refuse"]) && !RewardBench.applies(to: ["helpful"]))
  }
}

@Suite struct RewardBench2Tests {
  @Test func bestOfFourWithTiesAtTheTop() {
    #expect(RewardBench2.result([1, 0.5, 0.2, 0.1]) == 1)
    #expect(RewardBench2.result([1, 1, 0, 0]) == 0.5)
    #expect(RewardBench2.result([2, 2, 2, 0]) == 1.0 / 3)
    #expect(RewardBench2.result([0.5, 1, 0, 0]) == 0)
    #expect(RewardBench2.result([0, 0, 0, 0]) == 0.25)
  }

  @Test func tiesSubsetFormulaOnAHandComputedCase() {
    let groups = [
      // Prompt 1. ref: gap 3 − 2 = 1 (accurate). tied: spread 5 − 4 = 1, gap 4 − 2 = 2 (accurate).
      RewardBench2.ScoredGroup(scores: [3, 1, 2], correct: 1, subset: "Ties", id: "ref:1"),
      RewardBench2.ScoredGroup(scores: [5, 4, 1, 2], correct: 2, subset: "Ties", id: "tied:1"),
      // Prompt 2. ref: gap 1 − 2 = −1 (wrong). tied: spread 0, gap 3 (accurate).
      RewardBench2.ScoredGroup(scores: [1, 2], correct: 1, subset: "Ties", id: "ref:2"),
      RewardBench2.ScoredGroup(scores: [3, 3, 0], correct: 2, subset: "Ties", id: "tied:2"),
    ]
    let ties = TiesScore.measure(groups)
    #expect(ties.referenceAccuracy == 0.5)
    #expect(ties.tiedAccuracy == 1)
    // 1: 2 > 1 preferred; min(1, 2) = 1 > 1 not. 2: 3 > 0 preferred; min(−1, 3) > 0 not.
    #expect(ties.correctnessPreferred == 1)
    #expect(ties.correctnessPreferredHard == 0)
    // tanh(1/1 − 1) = 0; tanh(−1/0 − 1) = tanh(−∞) = −1 → mean −0.5.
    #expect(ties.marginScore == -0.5)
    #expect(abs(ties.overall - (0.3 * 1 + 0.3 * 0.5 + 0.2 * 1 + 0.2 * 0 + 0.01 * -0.5)) < 1e-12)
    #expect(abs(ties.overall - 0.645) < 1e-12)

    let report = RewardBench2.report(
      groups + [
        .init(scores: [2, 1, 1, 1], correct: 1, subset: "Math"),
        .init(scores: [1, 1, 0, 0], correct: 1, subset: "Math"),
      ])
    #expect(report.subsets.map(\.name) == ["Math", "Ties"])
    #expect(report.subsets[0].score == 0.75)
    #expect(abs((report.overall ?? 0) - (0.75 + 0.645) / 2) < 1e-12)
  }

  @Test func zeroOverZeroMarginIsZero() {
    let ties = TiesScore.measure([
      .init(scores: [1, 1], correct: 1, id: "ref:0"),  // gap 0
      .init(scores: [1, 1, 1], correct: 2, id: "tied:0"),  // spread 0, gap 0 → 0/0 → nan → 0
    ])
    #expect(ties.marginScore == 0)
    #expect(ties.referenceAccuracy == 0 && ties.tiedAccuracy == 0)
  }
}

@Suite struct RMBenchTests {
  @Test func matrixAndDifficultiesOnAHandComputedCase() throws {
    // Prompt 1: chosen [3, 2, 1] vs rejected [0, 2.5, 4]; prompt 2: chosen [1, 1, 1] vs rejected [0, 0, 2].
    let m = try #require(RMBench.matrix(chosen: [[3, 2, 1], [1, 1, 1]], rejected: [[0, 2.5, 4], [0, 0, 2]]))
    // Row i, column j: share of prompts with chosen[i] > rejected[j].
    #expect(m.cells == [[1, 1, 0], [1, 0.5, 0], [1, 0.5, 0]])
    #expect(m.hard == (1 + 0 + 0) / 3.0)
    #expect(m.normal == (1 + 0.5 + 0) / 3.0)
    #expect(m.easy == (1 + 1 + 0.5) / 3.0)
  }

  @Test func domainsAreAveragedUnweighted() throws {
    let report = try #require(
      RMBench.report(
        chosen: [[1, 1], [1, 1], [0, 0]], rejected: [[0, 0], [0, 0], [1, 1]],
        subsets: ["chat", "chat", "math-level1"]))
    #expect(report.domains.map(\.name) == ["chat", "math"])
    #expect(report.total == 0.5)  // chat 1.0, math 0.0, not 2/3
    #expect(report.overall.normal == 2.0 / 3)
  }
}

@Suite struct BestOfNTests {
  let groups = [
    LabeledGroup(
      prompt: [.user("q")], responses: ["a", "b", "c", "d"], correct: [true, false, false, false],
      answers: ["1", "2", "2", nil])
  ]

  @Test func baselinesMatchTheirExpectedValues() throws {
    let perfect = try #require(BestOfN.curve(groups: groups, scores: [[4, 3, 2, 1]], subsets: 64, seed: 1))
    #expect(perfect.points.map(\.n) == [1, 2, 3, 4])
    for point in perfect.points { #expect(point.model == point.oracle) }
    #expect(perfect.points[3].oracle == 1)
    #expect(perfect.points[3].random == 0.25)
    #expect(perfect.points[0].random == perfect.points[0].oracle)  // n = 1: both are the one response
    // All four: answers 1, 2, 2 → "2" wins the vote, which is wrong.
    #expect(perfect.points[3].majority == 0)
    let flat = try #require(BestOfN.curve(groups: groups, scores: [[0, 0, 0, 0]], subsets: 8))
    #expect(flat.points[3].model == 0.25)  // a four-way tie at the top shares the credit
  }

  @Test func majorityVoteSharesTiedAnswers() {
    // Subset {a, b}: answers 1 (right) and 2 (wrong) tie → ½.
    #expect(BestOfN.majorityVote([0, 1], answers: groups[0].answers, correct: groups[0].correct) == 0.5)
    // No answers at all → random pick.
    #expect(BestOfN.majorityVote([0, 3], answers: [nil, nil, nil, nil], correct: groups[0].correct) == 0.5)
  }
}
