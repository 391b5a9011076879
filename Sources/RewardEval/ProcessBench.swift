import Foundation
import RewardCore
import RewardData

/// ProcessBench's metrics on one subset: accuracy on erroneous solutions (the predicted first
/// wrong step equals the label), accuracy on correct ones (the prediction is −1), and their
/// harmonic mean F1. Accuracies and F1 are fractions in [0, 1]; the paper prints them ×100.
public struct ProcessBenchScore: Sendable, Equatable {
  public var erroneousAccuracy: Double
  public var correctAccuracy: Double
  public var f1: Double
  public var erroneousCount: Int
  public var correctCount: Int
  /// How erroneous solutions were missed: an error predicted before the labelled step, after
  /// it, or none at all (where a step checker that only sees arithmetic fails).
  public var predictedTooEarly = 0
  public var predictedTooLate = 0
  public var predictedNoError = 0
  /// Solutions the model gave no prediction for (a generative critic's unreadable answer): each
  /// counts as a miss on its side, as in ProcessBench's own evaluation.
  public var unparseable = 0

  /// Scores predictions against labels (both −1 or a step index), in the same order.
  public init(labels: [Int], predictions: [Int]) {
    self.init(labels: labels, predictions: predictions.map { Optional($0) })
  }

  /// As above; a nil prediction (no answer) never matches and is counted in `unparseable`.
  public init(labels: [Int], predictions: [Int?]) {
    precondition(labels.count == predictions.count, "one prediction per label")
    var erroneousHits = 0
    var correctHits = 0
    var erroneous = 0
    for (label, prediction) in zip(labels, predictions) {
      guard let predicted = prediction else {
        unparseable += 1
        if label >= 0 { erroneous += 1 }
        continue
      }
      if label >= 0 {
        erroneous += 1
        if predicted == label {
          erroneousHits += 1
        } else if predicted == -1 {
          predictedNoError += 1
        } else if predicted < label {
          predictedTooEarly += 1
        } else {
          predictedTooLate += 1
        }
      } else if predicted == -1 {
        correctHits += 1
      }
    }
    erroneousCount = erroneous
    correctCount = labels.count - erroneous
    erroneousAccuracy = erroneous > 0 ? Double(erroneousHits) / Double(erroneous) : 0
    correctAccuracy = correctCount > 0 ? Double(correctHits) / Double(correctCount) : 0
    let sum = erroneousAccuracy + correctAccuracy
    f1 = sum > 0 ? 2 * erroneousAccuracy * correctAccuracy / sum : 0
  }
}

/// Turns a PRM's step scores into ProcessBench predictions and metrics.
public enum ProcessBenchEvaluation {
  /// The predicted first wrong step: the first step scored below `threshold`, −1 when none is.
  public static func firstError(_ stepScores: [Double], threshold: Double) -> Int {
    stepScores.firstIndex(where: { $0 < threshold }) ?? -1
  }

  /// The threshold τ maximising F1 on a calibration set (never the test set). Candidates are
  /// midpoints between the distinct step scores (at most `maximumCandidates`, by quantile), plus
  /// one below every score (no step flagged); ties go to the smallest τ.
  public static func calibrateThreshold(stepScores: [[Double]], labels: [Int], maximumCandidates: Int = 400)
    -> (threshold: Double, score: ProcessBenchScore)
  {
    let candidates = thresholdCandidates(Set(stepScores.joined()), maximum: maximumCandidates)
    return bestThreshold(candidates) { score(stepScores: stepScores, labels: labels, threshold: $0) }
  }

  /// Midpoints between the distinct scores (at most `maximum`, by quantile), plus one threshold
  /// below every score and one above.
  static func thresholdCandidates(_ scores: Set<Double>, maximum: Int) -> [Double] {
    let distinct = scores.sorted()
    var candidates: [Double] = [(distinct.first ?? 0) - 1]
    if distinct.count > 1 {
      let stride = max(1, (distinct.count - 1) / maximum)
      for i in Swift.stride(from: 0, to: distinct.count - 1, by: stride) {
        candidates.append((distinct[i] + distinct[i + 1]) / 2)
      }
    }
    if let last = distinct.last { candidates.append(last + 1) }
    return candidates
  }

  /// The candidate with the highest F1; ties go to the earliest (the smallest τ).
  static func bestThreshold(_ candidates: [Double], score: (Double) -> ProcessBenchScore)
    -> (threshold: Double, score: ProcessBenchScore)
  {
    var best = (threshold: candidates[0], score: score(candidates[0]))
    for threshold in candidates.dropFirst() {
      let candidate = score(threshold)
      if candidate.f1 > best.score.f1 { best = (threshold, candidate) }
    }
    return best
  }

  public static func score(stepScores: [[Double]], labels: [Int], threshold: Double) -> ProcessBenchScore {
    ProcessBenchScore(labels: labels, predictions: stepScores.map { firstError($0, threshold: threshold) })
  }

  /// Step-level AUROC: how well step scores separate labelled-correct steps (label ≥ 0.5) from
  /// labelled-wrong ones; unlabelled steps are left out. Nil when a class is empty.
  public static func stepAUROC(stepScores: [[Double]], stepLabels: [[Double?]]) -> Double? {
    var scores: [Double] = []
    var positives: [Bool] = []
    for (traceScores, traceLabels) in zip(stepScores, stepLabels) {
      for (score, label) in zip(traceScores, traceLabels) {
        guard let label else { continue }
        scores.append(score)
        positives.append(label >= 0.5)
      }
    }
    return Statistics.auroc(scores: scores, labels: positives)
  }

  /// The trivial baselines: always "every step is right" and always "the first step is wrong".
  public static func alwaysCorrect(_ traces: [StepTrace]) -> [Int] { traces.map { _ in -1 } }
  public static func alwaysFirstStep(_ traces: [StepTrace]) -> [Int] { traces.map { _ in 0 } }

  /// A trace as a candidate a `RewardModel` can score: the problem as the user turn, the steps
  /// joined by blank lines as the response, and the step list in the metadata (so models take
  /// these steps rather than re-splitting).
  public static func candidate(for trace: StepTrace) -> Candidate {
    var metadata = JSONObject()
    metadata["steps"] = .array(trace.steps.map { .string($0) })
    if let id = trace.id { metadata["id"] = .string(id) }
    return Candidate(prompt: [.user(trace.problem)], response: trace.joined.text, metadata: metadata)
  }

  /// Each trace's step scores from `model`, which must score steps (`Reward.steps`), one per step.
  public static func stepScores(of model: any RewardModel, on traces: [StepTrace], batchSize: Int = 64)
    async throws -> [[Double]]
  {
    var result: [[Double]] = []
    result.reserveCapacity(traces.count)
    for start in stride(from: 0, to: traces.count, by: batchSize) {
      let batch = Array(traces[start..<min(traces.count, start + batchSize)])
      let rewards = try await model.score(batch.map(candidate))
      for (trace, reward) in zip(batch, rewards) {
        guard let steps = reward.steps else {
          throw ConfigurationError("\(model.name) gives no step scores; a process reward model is needed")
        }
        guard steps.count == trace.steps.count else {
          throw ConfigurationError(
            "\(trace.location): \(model.name) scored \(steps.count) steps, the record has \(trace.steps.count)")
        }
        result.append(steps.map(\.score))
      }
    }
    return result
  }
}

/// What a PRM said about one solution: step scores (thresholded at τ), possibly a first error it
/// names directly (a generative critic's answer, the `first_error` component; it wins over the
/// scores), or nothing readable.
public struct PRMOutput: Sendable, Equatable {
  public var stepScores: [Double]?
  public var firstError: Int?

  public init(stepScores: [Double]?, firstError: Int? = nil) {
    self.stepScores = stepScores
    self.firstError = firstError
  }

  /// The predicted first wrong step at `threshold`; nil when the model gave no answer.
  public func prediction(threshold: Double) -> Int? {
    if let firstError { return firstError }
    return stepScores.map { ProcessBenchEvaluation.firstError($0, threshold: threshold) }
  }
}

extension ProcessBenchEvaluation {
  /// Each trace's output from `model`. A reward with NaN value and no steps is an unreadable
  /// answer (kept, to be counted as a miss); a reward without steps from a model that does give
  /// numbers means the model is not a PRM, which is an error.
  public static func outputs(of model: any RewardModel, on traces: [StepTrace], batchSize: Int = 64)
    async throws -> [PRMOutput]
  {
    var result: [PRMOutput] = []
    result.reserveCapacity(traces.count)
    for start in stride(from: 0, to: traces.count, by: batchSize) {
      let batch = Array(traces[start..<min(traces.count, start + batchSize)])
      let rewards = try await model.score(batch.map(candidate))
      for (trace, reward) in zip(batch, rewards) {
        guard let steps = reward.steps else {
          guard reward.value.isNaN else {
            throw ConfigurationError("\(model.name) gives no step scores; a process reward model is needed")
          }
          result.append(PRMOutput(stepScores: nil))
          continue
        }
        guard steps.count == trace.steps.count else {
          throw ConfigurationError(
            "\(trace.location): \(model.name) scored \(steps.count) steps, the record has \(trace.steps.count)")
        }
        result.append(PRMOutput(stepScores: steps.map(\.score), firstError: reward.predictedFirstError))
      }
    }
    return result
  }

  public static func score(outputs: [PRMOutput], labels: [Int], threshold: Double) -> ProcessBenchScore {
    ProcessBenchScore(labels: labels, predictions: outputs.map { $0.prediction(threshold: threshold) })
  }

  /// τ maximising F1 over the outputs (as `calibrateThreshold(stepScores:labels:)`); outputs with
  /// a direct prediction or none are scored as they are at every τ.
  public static func calibrateThreshold(outputs: [PRMOutput], labels: [Int], maximumCandidates: Int = 400)
    -> (threshold: Double, score: ProcessBenchScore)
  {
    let scores = Set(outputs.compactMap { $0.firstError == nil ? $0.stepScores : nil }.joined())
    // Nothing to threshold: any τ gives the same score.
    let candidates = scores.isEmpty ? [0.5] : thresholdCandidates(scores, maximum: maximumCandidates)
    return bestThreshold(candidates) { score(outputs: outputs, labels: labels, threshold: $0) }
  }

  /// Step AUROC over the outputs that have step scores.
  public static func stepAUROC(outputs: [PRMOutput], stepLabels: [[Double?]]) -> Double? {
    let pairs = zip(outputs, stepLabels).compactMap { output, labels in output.stepScores.map { ($0, labels) } }
    return stepAUROC(stepScores: pairs.map(\.0), stepLabels: pairs.map(\.1))
  }
}

/// One PRM's results on one test set, with the threshold it was given and where τ came from.
public struct ProcessBenchReport: Sendable {
  public var model: String
  public var testFile: String
  public var calibrationFile: String?
  public var threshold: Double
  public var score: ProcessBenchScore
  public var stepAUROC: Double?
  public var stepsPerSecond: Double?

  public init(
    model: String, testFile: String, calibrationFile: String?, threshold: Double, score: ProcessBenchScore,
    stepAUROC: Double?, stepsPerSecond: Double? = nil
  ) {
    self.model = model
    self.testFile = testFile
    self.calibrationFile = calibrationFile
    self.threshold = threshold
    self.score = score
    self.stepAUROC = stepAUROC
    self.stepsPerSecond = stepsPerSecond
  }

  public var json: JSONValue {
    var object = JSONObject()
    object["model"] = .string(model)
    object["test_file"] = .string(testFile)
    object["calibration_file"] = calibrationFile.map { .string($0) } ?? .null
    object["threshold"] = .double(threshold)
    object["erroneous_accuracy"] = .double(score.erroneousAccuracy)
    object["correct_accuracy"] = .double(score.correctAccuracy)
    object["f1"] = .double(score.f1)
    object["erroneous"] = .int(Int64(score.erroneousCount))
    object["correct"] = .int(Int64(score.correctCount))
    object["erroneous_predicted_too_early"] = .int(Int64(score.predictedTooEarly))
    object["erroneous_predicted_too_late"] = .int(Int64(score.predictedTooLate))
    object["erroneous_predicted_no_error"] = .int(Int64(score.predictedNoError))
    object["unparseable"] = .int(Int64(score.unparseable))
    object["step_auroc"] = stepAUROC.map { .double($0) } ?? .null
    if let stepsPerSecond { object["steps_per_second"] = .double(stepsPerSecond) }
    return .object(object)
  }
}
