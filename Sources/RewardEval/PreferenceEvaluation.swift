import Foundation
import RewardCore
import RewardData

/// Evaluation of a model that only compares pairs (P(a ≻ b), no scalar reward): preference-embedding
/// heads, pairwise judges. A pair is right when P(chosen ≻ rejected) > 0.5 (0.5 is a tie, wrong);
/// calibration uses P directly; the position check asks both orders. Reward-based measurements
/// (margins, reward–length correlation, best-of-n, RewardBench 2) do not apply.
public enum PreferenceEvaluation {
  public static func evaluate(
    _ model: any PreferenceModel, pairs: [PreferencePair], skipped: [InputError] = [],
    options: EvaluationOptions = EvaluationOptions(), batchSize: Int = 256, positionCheck: Bool = false,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) async throws -> ModelEvaluation {
    let started = Date()
    var probabilities: [Double] = []
    var modelSeconds = 0.0
    for start in stride(from: 0, to: pairs.count, by: batchSize) {
      let batch = pairs[start..<min(pairs.count, start + batchSize)]
      let before = Date()
      let answer = try await model.preferenceProbabilities(
        batch.map { CandidatePair($0.chosenCandidate, $0.rejectedCandidate) })
      modelSeconds += Date().timeIntervalSince(before)
      guard answer.count == batch.count else {
        throw ConfigurationError(
          "model '\(model.name)' returned \(answer.count) probabilities for \(batch.count) pairs")
      }
      if let bad = answer.firstIndex(where: { !$0.isFinite }) {
        throw NonFiniteRewardError(
          model: model.name, item: "\(batch[batch.startIndex + bad].source) (pair)", value: answer[bad])
      }
      probabilities += answer
      progress?(probabilities.count, pairs.count)
    }
    var evaluation = ModelEvaluation(model: model.name)
    evaluation.pairwise = report(
      model: model.name, pairs: pairs, probabilities: probabilities, skipped: skipped, options: options)
    if let subsets = evaluation.pairwise?.subsets, RewardBench.applies(to: subsets.map(\.name)) {
      evaluation.rewardBench = RewardBench.scores(
        subsetAccuracy: Dictionary(uniqueKeysWithValues: subsets.map { ($0.name, $0.summary.accuracy) }))
    }
    if positionCheck {
      evaluation.positionCheck = try await PositionCheck.run(model, pairs: pairs, batchSize: batchSize)
    }
    evaluation.seconds = Date().timeIntervalSince(started)
    evaluation.scoringSeconds = modelSeconds
    return evaluation
  }

  /// The pairwise report from P(chosen ≻ rejected) per pair: each pair enters as the margin
  /// logit(P) against 0, so accuracy and calibration are those of P; margins and reward–length
  /// statistics, which need a scalar reward, are left out.
  public static func report(
    model: String, pairs: [PreferencePair], probabilities: [Double], skipped: [InputError] = [],
    options: EvaluationOptions = EvaluationOptions()
  ) -> PairwiseReport {
    // P of exactly 0 or 1 has an infinite logit; clamped, it still orders and calibrates the same.
    let largest = Double.greatestFiniteMagnitude
    let scored = zip(pairs, probabilities).map { pair, p in
      ScoredPair(
        chosenReward: min(largest, max(-largest, log(p) - log1p(-p))), rejectedReward: 0,
        chosenProbability: pair.chosenProbability, subset: pair.subset, dataSet: pair.source.file,
        chosenLength: PairwiseEvaluation.wordCount(pair.chosen),
        rejectedLength: PairwiseEvaluation.wordCount(pair.rejected))
    }
    var report = PairwiseEvaluation.report(model: model, scored: scored, skipped: skipped, options: options)
    report.overall.meanMargin = nil
    func withoutMargin(_ summary: AccuracySummary) -> AccuracySummary {
      AccuracySummary(pairs: summary.pairs, correct: summary.correct, interval: summary.interval)
    }
    report.subsets = report.subsets.map { ($0.name, withoutMargin($0.summary)) }
    for index in report.dataSets.indices {
      report.dataSets[index].overall = withoutMargin(report.dataSets[index].overall)
      report.dataSets[index].subsets = report.dataSets[index].subsets.map { ($0.name, withoutMargin($0.summary)) }
    }
    report.lengthBias?.rewardLengthPearson = nil
    report.lengthBias?.rewardLengthSpearman = nil
    report.lengthBias?.bins = []
    report.detection = nil
    return report
  }
}
