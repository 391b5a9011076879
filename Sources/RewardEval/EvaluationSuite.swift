import Foundation
import RewardCore
import RewardData

/// What to evaluate on: preference pairs, RewardBench 2 / RM-Bench groups, labelled best-of-N groups.
public struct EvaluationInputs: Sendable {
  public var pairs: [PreferencePair]
  /// Groups scored best-of-N (RewardBench 2) or as the RM-Bench style matrix.
  public var groups: [ResponseGroup]
  public var labeledGroups: [LabeledGroup]
  /// Items with a binary label, for AUROC (e.g. human- vs model-written text).
  public var detectionItems: [(candidate: Candidate, positive: Bool)]
  public var skipped: [InputError]
  /// Score `groups` as RM-Bench (k chosen × k rejected styles) instead of RewardBench 2.
  public var groupsAreRMBench: Bool

  public init(
    pairs: [PreferencePair] = [], groups: [ResponseGroup] = [], labeledGroups: [LabeledGroup] = [],
    detectionItems: [(candidate: Candidate, positive: Bool)] = [], skipped: [InputError] = [],
    groupsAreRMBench: Bool = false
  ) {
    self.pairs = pairs
    self.groups = groups
    self.labeledGroups = labeledGroups
    self.detectionItems = detectionItems
    self.skipped = skipped
    self.groupsAreRMBench = groupsAreRMBench
  }

  /// RM-Bench data has the same number (> 1) of chosen and rejected responses in every group.
  public static func looksLikeRMBench(_ groups: [ResponseGroup]) -> Bool {
    guard let k = groups.first?.chosen.count, k > 1 else { return false }
    return groups.allSatisfy { $0.chosen.count == k && $0.rejected.count == k }
      && !groups.contains { $0.subset?.lowercased() == "ties" }
  }

  /// Pairs implied by labelled groups: every correct × incorrect response, for pairwise metrics.
  /// Their source is `subset` (one data set), and the group's id is the pair's id.
  public static func pairs(from groups: [LabeledGroup], subset: String) -> [PreferencePair] {
    groups.flatMap { group in
      group.responses.indices.filter { group.correct[$0] }.flatMap { good in
        group.responses.indices.filter { !group.correct[$0] }.map { bad in
          PreferencePair(
            prompt: group.prompt, chosen: group.responses[good], rejected: group.responses[bad], subset: subset,
            id: group.id, source: SourceLocation(file: subset))
        }
      }
    }
  }
}

/// Runs every measurement that applies to the inputs for one model.
public enum EvaluationSuite {
  /// Every candidate the inputs hold, in the order the measurements score them.
  public static func candidates(_ inputs: EvaluationInputs) -> [Candidate] {
    inputs.pairs.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] }
      + inputs.groups.flatMap { g in (g.chosen + g.rejected).map { Candidate(prompt: g.prompt, response: $0) } }
      + inputs.labeledGroups.flatMap { g in
        g.responses.map { Candidate(prompt: g.prompt, response: $0, reference: g.reference) }
      }
      + inputs.detectionItems.map(\.candidate)
  }

  /// Seconds for plain batched `model.score` over every candidate: the baseline the harness's
  /// overhead is measured against.
  public static func rawScoringSeconds(_ model: any RewardModel, inputs: EvaluationInputs, batchSize: Int = 256)
    async throws -> Double
  {
    let all = candidates(inputs)
    let started = Date()
    for start in stride(from: 0, to: all.count, by: batchSize) {
      _ = try await model.score(Array(all[start..<min(all.count, start + batchSize)]))
    }
    return Date().timeIntervalSince(started)
  }

  public static func evaluate(
    _ model: any RewardModel, inputs: EvaluationInputs, options: EvaluationOptions = EvaluationOptions(),
    scorer: BatchScorer? = nil, bestOfNSubsets: Int = 32, positionCheck: Bool = false,
    progress: (@Sendable (String, Int, Int) -> Void)? = nil
  ) async throws -> ModelEvaluation {
    let started = Date()
    let scorer = scorer ?? BatchScorer(model: model)
    var result = ModelEvaluation(model: model.name)
    if !inputs.pairs.isEmpty {
      let pairwise = try await PairwiseEvaluation.evaluate(
        model, pairs: inputs.pairs, skipped: inputs.skipped, options: options, scorer: scorer,
        progress: { progress?("pairs", $0, $1) })
      result.pairwise = pairwise
      let subsets = pairwise.subsets.map(\.name)
      if RewardBench.applies(to: subsets) {
        result.rewardBench = RewardBench.scores(
          subsetAccuracy: Dictionary(uniqueKeysWithValues: pairwise.subsets.map { ($0.name, $0.summary.accuracy) }))
      }
      if positionCheck {
        result.positionCheck = try await PositionCheck.run(model, pairs: inputs.pairs)
      }
    }
    if !inputs.groups.isEmpty {
      if inputs.groupsAreRMBench {
        let candidates = inputs.groups.flatMap { g in
          (g.chosen + g.rejected).map { Candidate(prompt: g.prompt, response: $0) }
        }
        let rewards = try await scorer.score(candidates, progress: { progress?("groups", $0, $1) })
        var offset = 0
        var chosen: [[Double]] = []
        var rejected: [[Double]] = []
        for group in inputs.groups {
          chosen.append(Array(rewards[offset..<offset + group.chosen.count]))
          offset += group.chosen.count
          rejected.append(Array(rewards[offset..<offset + group.rejected.count]))
          offset += group.rejected.count
        }
        result.rmBench = RMBench.report(chosen: chosen, rejected: rejected, subsets: inputs.groups.map(\.subset))
      } else {
        result.rewardBench2 = try await RewardBench2.evaluate(
          inputs.groups, scorer: scorer, progress: { progress?("groups", $0, $1) }
        ).report
      }
    }
    if !inputs.labeledGroups.isEmpty {
      let (curve, scores) = try await BestOfN.evaluate(
        inputs.labeledGroups, scorer: scorer, subsets: bestOfNSubsets, seed: options.seed,
        progress: { progress?("best-of-n", $0, $1) })
      result.bestOfN = curve
      result.detection = DetectionReport.measure(
        scores: scores.flatMap { $0 }, labels: inputs.labeledGroups.flatMap(\.correct))
    }
    if !inputs.detectionItems.isEmpty {
      let scores = try await scorer.score(
        inputs.detectionItems.map(\.candidate), progress: { progress?("detection", $0, $1) })
      result.detection = DetectionReport.measure(scores: scores, labels: inputs.detectionItems.map(\.positive))
    }
    result.seconds = Date().timeIntervalSince(started)
    result.scoringSeconds = scorer.clock.seconds
    result.candidatesScored = scorer.clock.candidates
    if scorer.nonFinite == .countAsInvalid { result.nonFiniteRewards = scorer.clock.nonFinite }
    return result
  }
}
