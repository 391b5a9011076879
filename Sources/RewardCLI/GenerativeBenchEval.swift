import Foundation
import RewardCore
import RewardData
import RewardEval
import RewardJudge

/// `reward eval --benchmark rewardbench FILE --model judge.yaml`: a generative judge scored by
/// RewardBench's own rules instead of reward-model accuracy.
///
/// - Pairs (v1 data, `chosen`/`rejected` strings): a pairwise judge compares each pair directly
///   (its `order:` and `aggregate:` decide P(chosen ≻ rejected)); a pointwise judge rates both
///   responses. Win 1, loss 0, tie or error ½; per subset, then RewardBench's sections.
/// - Groups (RewardBench 2 data, lists of chosen and rejected): a pointwise judge rates each
///   response independently (1–10), a listwise judge picks the best; top-rated responses share the
///   credit, all ratings unreadable is ¼; Ties uses its formula on the ratings.
enum GenerativeBenchEval {
  static func evaluate(
    _ loaded: LoadedJudge, name: String, dataset: PreferenceDataset, skipInvalid: Bool, limit: Int?,
    terminal: Terminal
  ) async throws -> ModelEvaluation {
    let started = Date()
    loaded.ledger.reset()
    var evaluation = ModelEvaluation(model: name)
    var credits: [(credit: Double, outcome: GenerativeScoring.Outcome, subset: String?)] = []
    var rule = ""
    let progress: @Sendable (String, Int, Int) -> Void = { stage, done, total in
      terminal.progress("\(name) \(stage)", done: done, total: total, started: started, logEvery: 5)
    }

    let groups = Array(dataset.groups.prefix(limit ?? dataset.groups.count))
    if !groups.isEmpty {
      guard loaded.pairwise == nil else {
        throw ConfigurationError(
          "\(name): RewardBench 2 groups are judged with ratings (mode pointwise) or a listwise pick (mode listwise), "
            + "not a pairwise judge")
      }
      rule = loaded.mode == .listwise ? "rewardbench2-listwise" : "rewardbench2-ratings"
      let scored = try await rateGroups(groups, model: loaded.model, progress: { progress("groups", $0, $1) })
      let (report, groupCredits) = RewardBench2.generativeReport(scored)
      evaluation.rewardBench2 = report
      for (group, credit) in zip(scored, groupCredits) where group.subset?.lowercased() != "ties" {
        credits.append((credit, GenerativeScoring.ratingsCredit(group.scores).outcome, group.subset))
      }
    }

    let plain = PreferenceDataset(files: dataset.files, pairs: dataset.pairs)
    let (allPairs, ties) = try plain.strictPairs(skipInvalid: skipInvalid)
    reportSkipped(ties, terminal: terminal)
    let pairs = Array(allPairs.prefix(limit ?? allPairs.count))
    if !pairs.isEmpty {
      let candidatePairs = pairs.map { CandidatePair($0.chosenCandidate, $0.rejectedCandidate) }
      let outcomes: [GenerativeScoring.Outcome]
      if let judge = loaded.pairwise {
        rule = "rewardbench-v1-pairwise"
        let judgements = try await judge.judge(candidatePairs, progress: { progress("pairs", $0, $1) })
        outcomes = judgements.map { GenerativeScoring.pairOutcome(probability: $0.probability) }
      } else {
        rule = "rewardbench-v1-ratings"
        let candidates = candidatePairs.flatMap { [$0.first, $0.second] }
        let ratings = try await scoreInChunks(
          candidates, model: loaded.model, chunk: 64, progress: { progress("ratings", $0, $1) })
        outcomes = pairs.indices.map {
          GenerativeScoring.ratingOutcome(chosen: ratings[2 * $0], rejected: ratings[2 * $0 + 1])
        }
      }
      credits += zip(pairs, outcomes).map { (GenerativeScoring.v1Credit($1), $1, $0.subset) }
    }
    guard !credits.isEmpty || evaluation.rewardBench2 != nil else {
      throw ConfigurationError("the input holds no pairs or groups to judge")
    }
    let generative = GenerativeEvaluation(rule: rule, credits: credits, judge: stats(loaded.ledger.summary))
    evaluation.generative = generative
    if !pairs.isEmpty { evaluation.rewardBench = generative.rewardBenchSections }
    evaluation.seconds = Date().timeIntervalSince(started)
    terminal.note(loaded.ledger.summary.text)
    return evaluation
  }

  /// Every response of every group scored by the judge (a listwise judge sees a group at once),
  /// chosen first, a few groups at a time so progress can be shown.
  static func rateGroups(
    _ groups: [ResponseGroup], model: any RewardModel, progress: @escaping @Sendable (Int, Int) -> Void
  ) async throws -> [RewardBench2.ScoredGroup] {
    var scored: [RewardBench2.ScoredGroup] = []
    for start in stride(from: 0, to: groups.count, by: 16) {
      let slice = groups[start..<min(groups.count, start + 16)]
      let candidates = slice.flatMap { group in
        (group.chosen + group.rejected).map { Candidate(prompt: group.prompt, response: $0) }
      }
      let rewards = try await model.score(candidates)
      var offset = 0
      for group in slice {
        let count = group.chosen.count + group.rejected.count
        scored.append(
          RewardBench2.ScoredGroup(
            scores: rewards[offset..<offset + count].map(\.value), correct: group.chosen.count, subset: group.subset,
            id: group.id))
        offset += count
      }
      progress(scored.count, groups.count)
    }
    return scored
  }

  static func scoreInChunks(
    _ candidates: [Candidate], model: any RewardModel, chunk: Int, progress: @escaping @Sendable (Int, Int) -> Void
  ) async throws -> [Double] {
    var values: [Double] = []
    for start in stride(from: 0, to: candidates.count, by: chunk) {
      values += try await model.score(Array(candidates[start..<min(candidates.count, start + chunk)])).map(\.value)
      progress(values.count, candidates.count)
    }
    return values
  }

  static func stats(_ summary: JudgeRunSummary) -> GenerativeJudgeStats {
    var stats = GenerativeJudgeStats()
    stats.items = summary.items
    stats.unparseable = summary.unparseable
    stats.engineErrors = summary.engineErrors
    stats.retries = summary.retries
    stats.calls = summary.calls
    stats.promptTokens = summary.promptTokens
    stats.completionTokens = summary.completionTokens
    stats.judgeSeconds = summary.seconds
    stats.consistencyRate = summary.consistencyRate
    stats.bothOrderPairs = summary.bothOrderPairs
    stats.firstPositionWinRate = summary.firstPositionWinRate
    stats.decisiveTrials = summary.decisiveTrials
    return stats
  }
}
