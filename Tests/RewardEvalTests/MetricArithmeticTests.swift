import Foundation
import RewardCore
import RewardData
import Testing

@testable import RewardEval

@Suite struct StatisticsTests {
  @Test func aurocCountsTiesAsHalf() {
    // Positives 3, 2; negatives 2, 1: pairs (3>2), (3>1), (2=2 → ½), (2>1) → 3.5 / 4.
    #expect(Statistics.auroc(scores: [3, 2, 2, 1], labels: [true, true, false, false]) == 0.875)
    #expect(Statistics.auroc(scores: [1, 2], labels: [true, true]) == nil)
  }

  @Test func correlationsMatchHandValues() throws {
    #expect(try #require(Statistics.pearson([1, 2, 3], [2, 4, 6])) == 1)
    // Ranks of [10, 20, 20, 30] are [1, 2.5, 2.5, 4].
    #expect(Statistics.averageRanks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4])
    let rho = try #require(Statistics.spearman([1, 2, 3, 4], [1, 3, 2, 4]))
    #expect(abs(rho - 0.8) < 1e-12)
    #expect(Statistics.pearson([1, 1, 1], [1, 2, 3]) == nil)
  }

  @Test func bootstrapIsSeededAndBracketsTheMean() throws {
    let outcomes = (0..<200).map { $0 % 4 == 0 ? 0.0 : 1.0 }
    let a = try #require(Statistics.bootstrapMean(outcomes, resamples: 500, seed: 7))
    let b = try #require(Statistics.bootstrapMean(outcomes, resamples: 500, seed: 7))
    let c = try #require(Statistics.bootstrapMean(outcomes, resamples: 500, seed: 8))
    #expect(a == b)
    #expect(a != c)
    #expect(a.estimate == 0.75)
    #expect(a.lower < 0.75 && a.upper > 0.75)
    // Binomial standard error √(.75·.25/200) ≈ 0.0306: the 95% interval is about ±0.06.
    #expect(abs((a.upper - a.lower) - 2 * 1.96 * 0.0306) < 0.03)
  }

  @Test func bootstrapOfGeneralValues() throws {
    let values = (1...50).map(Double.init)
    let interval = try #require(Statistics.bootstrapMean(values, resamples: 400, seed: 1))
    #expect(interval.estimate == 25.5)
    // Standard error of the mean: σ/√n = 14.43/√50 ≈ 2.04, so the interval is about 25.5 ± 4.
    #expect(interval.lower > 20.5 && interval.lower < 23.5)
    #expect(interval.upper > 27.5 && interval.upper < 30.5)
    #expect(Statistics.bootstrapMean([], resamples: 10) == nil)
  }

  @Test func quantileInterpolatesLikeNumpy() {
    #expect(Statistics.quantile(sortedValues: [1, 2, 3, 4], 0.5) == 2.5)
    #expect(Statistics.quantile(sortedValues: [0, 10], 0.025) == 0.25)
  }
}

@Suite struct DiagnosticsTests {
  @Test func calibrationOnAHandComputedCase() throws {
    // One pair, p = 0.8, label 1: points (0.8, 1) and (0.2, 0): ECE = ½·0.2 + ½·0.2, Brier = 0.04.
    let one = try #require(Calibration.measure(probabilities: [0.8], labels: [1], bins: 10))
    #expect(abs(one.expectedCalibrationError - 0.2) < 1e-12)
    #expect(abs(one.brierScore - 0.04) < 1e-12)
    #expect(one.bins.map(\.count) == [1, 1])
    // Two pairs in the same bins, one right and one wrong at p = 0.7: observed 0.5 in both bins.
    let two = try #require(Calibration.measure(probabilities: [0.7, 0.7], labels: [1, 0], bins: 10))
    #expect(abs(two.expectedCalibrationError - 0.2) < 1e-12)
    #expect(abs(two.brierScore - (0.09 + 0.49) / 2) < 1e-12)
  }

  @Test func cohensKappaOnAHandComputedCase() throws {
    // Agreement 3/4; marginals ½ and ¼ → chance ½·¼ + ½·¾ = ½ → κ = (¾ − ½) / ½ = ½.
    let agreement = try #require(
      Agreement.measure(
        first: "a", second: "b", firstPicks: [true, true, false, false], secondPicks: [true, false, false, false]))
    #expect(agreement.rate == 0.75)
    #expect(agreement.cohensKappa == 0.5)
  }

  @Test func lengthBiasSplitsByWhichResponseIsLonger() throws {
    let pairs = [
      ScoredPair(chosenReward: 2, rejectedReward: 1, chosenLength: 10, rejectedLength: 5),
      ScoredPair(chosenReward: 1, rejectedReward: 2, chosenLength: 3, rejectedLength: 9),
      ScoredPair(chosenReward: 3, rejectedReward: 1, chosenLength: 4, rejectedLength: 8),
      ScoredPair(chosenReward: 3, rejectedReward: 3, chosenLength: 4, rejectedLength: 4),
    ]
    let bias = try #require(LengthBias.measure(pairs, bins: 2, options: EvaluationOptions(bootstrapResamples: 0)))
    #expect(bias.chosenLonger.pairs == 1 && bias.chosenLonger.correct == 1)
    #expect(bias.chosenShorter.pairs == 2 && bias.chosenShorter.correct == 1)
    #expect(bias.sameLength == 1)
    #expect(bias.bins.map(\.count) == [4, 4])
  }

  @Test func strictAccuracyCountsATieAsWrong() {
    let report = PairwiseEvaluation.report(
      model: "m",
      scored: [
        ScoredPair(chosenReward: 1, rejectedReward: 0, subset: "a"),
        ScoredPair(chosenReward: 1, rejectedReward: 1, subset: "a"),
        ScoredPair(chosenReward: 0, rejectedReward: 1, subset: "b"),
      ], options: EvaluationOptions(bootstrapResamples: 100))
    #expect(report.overall.correct == 1)
    #expect(report.subsets.map(\.name) == ["a", "b"])
    #expect(report.subsets[0].summary.accuracy == 0.5)
    #expect(report.overall.meanMargin == 0)
    // Chosen rewards {1, 1, 0} vs rejected {0, 1, 1}: (1 + ½ + ½)·2 + ½ = 4.5 of 9 comparisons.
    #expect(report.detection?.auroc == 0.5)
  }

  @Test func positionCheckCatchesAModelThatAlwaysPrefersTheFirst() throws {
    let biased = try #require(PositionCheck.measure(chosenFirst: [0.9, 0.8], rejectedFirst: [0.7, 0.9]))
    #expect(biased.consistency == 0)
    #expect(biased.firstPreferred == 1)
    #expect(biased.accuracyChosenFirst == 1 && biased.accuracyChosenSecond == 0)
    let consistent = try #require(PositionCheck.measure(chosenFirst: [0.9, 0.3], rejectedFirst: [0.1, 0.7]))
    #expect(consistent.consistency == 1)
    #expect(abs(consistent.meanAsymmetry) < 1e-12)
  }
}

/// A pairwise-only model that always prefers the first response it is shown, with P = 0.8.
struct FirstIsBetter: PreferenceModel {
  let name = "first-is-better"
  func preferenceProbabilities(_ pairs: [CandidatePair]) async throws -> [Double] { pairs.map { _ in 0.8 } }
}

@Suite struct PreferenceEvaluationTests {
  @Test func aPositionBiasedPairwiseModelLooksPerfectInOneOrderOnly() async throws {
    let pairs = (0..<20).map { i in
      PreferencePair(
        prompt: [.user("q\(i)")], chosen: "good \(i)", rejected: "bad", subset: i < 10 ? "a" : "b",
        source: SourceLocation(file: "t"))
    }
    let evaluation = try await PreferenceEvaluation.evaluate(
      FirstIsBetter(), pairs: pairs, options: EvaluationOptions(bootstrapResamples: 50), positionCheck: true)
    let report = try #require(evaluation.pairwise)
    #expect(report.overall.accuracy == 1)
    #expect(report.overall.meanMargin == nil)
    #expect(report.subsets.map(\.name) == ["a", "b"])
    // P = 0.8 for a pair that is always right: observed 1 at 0.8 and 0 at 0.2 → ECE 0.2.
    #expect(abs((report.calibration?.expectedCalibrationError ?? 0) - 0.2) < 1e-9)
    #expect(report.lengthBias?.rewardLengthSpearman == nil)
    let check = try #require(evaluation.positionCheck)
    #expect(check.consistency == 0 && check.firstPreferred == 1 && check.accuracyChosenSecond == 0)
  }
}
