import RewardCore

/// PRM-guided best-of-N: a process reward model scores every response's steps once, and each
/// step aggregation (min, last, product, mean, soft-min) turns them into the score that picks the
/// best response, so the aggregations are compared on the very same step scores.
public enum PRMBestOfN {
  /// Each response's step scores, group by group. A response the model could not score (NaN
  /// reward, no steps — an unreadable generative answer) has nil, and is never picked.
  public static func stepScores(of model: any RewardModel, groups: [LabeledGroup], batchSize: Int = 256)
    async throws -> [[[Double]?]]
  {
    let candidates = groups.flatMap { group in
      group.responses.map { Candidate(prompt: group.prompt, response: $0, reference: group.reference) }
    }
    var flat: [[Double]?] = []
    flat.reserveCapacity(candidates.count)
    for start in stride(from: 0, to: candidates.count, by: batchSize) {
      let batch = Array(candidates[start..<min(candidates.count, start + batchSize)])
      for reward in try await model.score(batch) {
        if let steps = reward.steps {
          flat.append(steps.map(\.score))
        } else if reward.value.isNaN {
          flat.append(nil)
        } else {
          throw ConfigurationError("\(model.name) gives no step scores; a process reward model is needed")
        }
      }
    }
    var result: [[[Double]?]] = []
    var offset = 0
    for group in groups {
      result.append(Array(flat[offset..<offset + group.responses.count]))
      offset += group.responses.count
    }
    return result
  }

  /// The best-of-N curve when responses are ranked by `aggregation` of their step scores. A
  /// response without steps (or without a score) ranks below every scored one.
  public static func curve(
    groups: [LabeledGroup], stepScores: [[[Double]?]], aggregation: StepAggregation, subsets: Int = 32,
    seed: UInt64 = 0
  ) -> BestOfN.Curve? {
    let scores = stepScores.map { group in
      group.map { steps in steps.flatMap { aggregation.aggregate($0) } ?? -Double.infinity }
    }
    return BestOfN.curve(groups: groups, scores: scores, subsets: subsets, seed: seed)
  }
}
