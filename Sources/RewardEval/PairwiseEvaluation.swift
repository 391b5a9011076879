import RewardCore
import RewardData

/// Accuracy of a model on one group of pairs.
public struct AccuracySummary: Sendable, Equatable {
  public var pairs: Int
  public var correct: Int
  /// Mean of r_chosen − r_rejected; nil for purely pairwise models.
  public var meanMargin: Double?

  public var accuracy: Double { pairs == 0 ? 0 : Double(correct) / Double(pairs) }
}

/// What `reward eval` reports for preference pairs.
public struct PairwiseReport: Sendable {
  public var model: String
  public var overall: AccuracySummary
  public var subsets: [(name: String, summary: AccuracySummary)]
  public var skipped: [InputError]
}

/// Strict pairwise accuracy as RewardBench counts it: a pair is right only when the chosen
/// response scores strictly higher, so a tied score counts as wrong.
public enum PairwiseEvaluation {
  public static let batchSize = 256

  public static func evaluate(
    _ model: any RewardModel, pairs: [PreferencePair], skipped: [InputError] = [],
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) async throws -> PairwiseReport {
    var outcomes: [(correct: Bool, margin: Double)] = []
    outcomes.reserveCapacity(pairs.count)
    for start in stride(from: 0, to: pairs.count, by: batchSize) {
      let batch = pairs[start..<min(pairs.count, start + batchSize)]
      let rewards = try await model.score(batch.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] })
      guard rewards.count == 2 * batch.count else {
        throw ConfigurationError(
          "model '\(model.name)' returned \(rewards.count) rewards for \(2 * batch.count) candidates")
      }
      for i in batch.indices.map({ $0 - start }) {
        let margin = rewards[2 * i].value - rewards[2 * i + 1].value
        outcomes.append((margin > 0, margin))
      }
      progress?(min(pairs.count, start + batchSize), pairs.count)
    }
    return report(model: model.name, pairs: pairs, outcomes: outcomes, skipped: skipped)
  }

  static func report(
    model: String, pairs: [PreferencePair], outcomes: [(correct: Bool, margin: Double)], skipped: [InputError]
  ) -> PairwiseReport {
    func summary(_ indices: [Int]) -> AccuracySummary {
      let margins = indices.map { outcomes[$0].margin }
      return AccuracySummary(
        pairs: indices.count, correct: indices.count(where: { outcomes[$0].correct }),
        meanMargin: margins.isEmpty ? nil : margins.reduce(0, +) / Double(margins.count))
    }
    var bySubset: [String: [Int]] = [:]
    for (index, pair) in pairs.enumerated() {
      if let subset = pair.subset { bySubset[subset, default: []].append(index) }
    }
    return PairwiseReport(
      model: model, overall: summary(Array(pairs.indices)),
      subsets: bySubset.keys.sorted().map { ($0, summary(bySubset[$0]!)) }, skipped: skipped)
  }
}
