import Foundation
import RewardCore
import RewardData
import RewardRules
import Testing

@testable import RewardEval

/// ProcessBench metric arithmetic against hand computations, threshold calibration, step AUROC,
/// and the rule checker and baselines on the real subsets.
struct ProcessBenchTests {
  @Test func accuraciesAndF1MatchHandComputation() {
    // Erroneous (label ≥ 0): 3 of them, predictions right on 2 → 2/3.
    // Correct (label −1): 2 of them, 1 predicted −1 → 1/2. F1 = 2·(2/3)(1/2)/(2/3 + 1/2) = 4/7.
    let score = ProcessBenchScore(labels: [2, 0, 1, -1, -1], predictions: [2, 0, 3, -1, 1])
    #expect(score.erroneousCount == 3)
    #expect(score.correctCount == 2)
    #expect(abs(score.erroneousAccuracy - 2.0 / 3) < 1e-12)
    #expect(score.correctAccuracy == 0.5)
    #expect(abs(score.f1 - 4.0 / 7) < 1e-12)
    #expect(score.predictedTooEarly == 0 && score.predictedTooLate == 1 && score.predictedNoError == 0)
    let missed = ProcessBenchScore(labels: [2, 2, 2], predictions: [0, -1, 3])
    #expect(missed.predictedTooEarly == 1 && missed.predictedTooLate == 1 && missed.predictedNoError == 1)
    // Predicting an error earlier or later than the label is wrong either way.
    #expect(ProcessBenchScore(labels: [2, 2], predictions: [1, -1]).erroneousAccuracy == 0)
    #expect(ProcessBenchScore(labels: [-1], predictions: [0]).f1 == 0)
  }

  @Test func trivialBaselinesScoreAsTheirDefinitionsSay() {
    let labels = [-1, 0, 3, -1, 0]
    // always −1: every correct solution right, no erroneous one → F1 0.
    let always = ProcessBenchScore(labels: labels, predictions: labels.map { _ in -1 })
    #expect(always.correctAccuracy == 1 && always.erroneousAccuracy == 0 && always.f1 == 0)
    // always step 0: erroneous accuracy = share of labels equal to 0 (2 of 3), correct 0 → F1 0.
    let first = ProcessBenchScore(labels: labels, predictions: labels.map { _ in 0 })
    #expect(abs(first.erroneousAccuracy - 2.0 / 3) < 1e-12 && first.correctAccuracy == 0)
  }

  @Test func firstErrorIsFirstStepBelowThreshold() {
    #expect(ProcessBenchEvaluation.firstError([0.9, 0.4, 0.2], threshold: 0.5) == 1)
    #expect(ProcessBenchEvaluation.firstError([0.9, 0.6], threshold: 0.5) == -1)
  }

  @Test func calibrationPicksTheThresholdThatSeparatesTheCalibrationSet() {
    // Wrong steps score 0.3, right ones 0.7 or 0.8: any τ in (0.3, 0.7] is perfect.
    let scores: [[Double]] = [[0.8, 0.3], [0.7, 0.8], [0.3], [0.8, 0.7, 0.8]]
    let labels = [1, -1, 0, -1]
    let (tau, score) = ProcessBenchEvaluation.calibrateThreshold(stepScores: scores, labels: labels)
    #expect(tau > 0.3 && tau <= 0.7)
    #expect(score.f1 == 1)
  }

  @Test func stepAUROCLeavesOutUnlabelledSteps() {
    // Labelled: right 0.9, 0.8 (label 1), wrong 0.1 (label 0); the unlabelled 0.95 is ignored.
    let auroc = ProcessBenchEvaluation.stepAUROC(
      stepScores: [[0.9, 0.1, 0.95], [0.8]], stepLabels: [[1, 0, nil], [1]])
    #expect(auroc == 1)
    let reversed = ProcessBenchEvaluation.stepAUROC(stepScores: [[0.1, 0.9]], stepLabels: [[1, 0]])
    #expect(reversed == 0)
  }

  @Test(.enabled(if: SharedData.exists("data/process/processbench-gsm8k.json")))
  func ruleCheckerBeatsTrivialBaselinesOnGSM8K() async throws {
    let traces = try StepTraceReader().read(SharedData.path("data/process/processbench-gsm8k.json"))
    let labels = traces.map { $0.firstError ?? -1 }
    let scores = try await ProcessBenchEvaluation.stepScores(of: StepCheckModel(), on: traces)
    let checker = ProcessBenchEvaluation.score(stepScores: scores, labels: labels, threshold: 0.5)
    let first = ProcessBenchScore(labels: labels, predictions: ProcessBenchEvaluation.alwaysFirstStep(traces))
    let correct = ProcessBenchScore(labels: labels, predictions: ProcessBenchEvaluation.alwaysCorrect(traces))
    #expect(checker.f1 > max(first.f1, correct.f1) + 0.1, "checker \(checker), first \(first)")
    // Few false alarms: the checker rarely flags a correct solution.
    #expect(checker.correctAccuracy > 0.9, "\(checker)")
  }

  @Test func candidatesCarryTheTraceSteps() async throws {
    let trace = StepTrace(
      id: "t", problem: "p", steps: ["2 + 2 = 4", "4 * 2 = 9"], labels: [1, 0], firstError: 1,
      location: SourceLocation(file: "x"))
    let scores = try await ProcessBenchEvaluation.stepScores(of: StepCheckModel(), on: [trace])
    #expect(scores == [[1, 0]])
    struct Scalar: RewardModel {
      let name = "scalar"
      func score(_ candidates: [Candidate]) async throws -> [Reward] { candidates.map { _ in Reward(1) } }
    }
    await #expect(throws: ConfigurationError.self) {
      _ = try await ProcessBenchEvaluation.stepScores(of: Scalar(), on: [trace])
    }
  }
}
