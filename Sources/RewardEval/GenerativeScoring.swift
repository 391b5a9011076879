import Foundation
import RewardCore

/// RewardBench's scoring rules for generative judges (allenai/reward-bench `scripts/run_generative.py`
/// and `run_generative_v2.py`), which differ from reward-model accuracy: a judge can answer "tie" or
/// nothing, and those get partial credit instead of counting as wrong.
public enum GenerativeScoring {
  /// How one item came out for the judge.
  public enum Outcome: String, Sendable, CaseIterable {
    case win, loss, tie, error
  }

  /// RewardBench v1: the judge's P(chosen ≻ rejected) after its order rule. Above ½ the chosen
  /// response won, below it lost, exactly ½ is a tie, NaN (no readable verdict, engine error) an error.
  public static func pairOutcome(probability: Double) -> Outcome {
    if probability.isNaN { return .error }
    return probability > 0.5 ? .win : probability < 0.5 ? .loss : .tie
  }

  /// RewardBench v1 credit: win 1, loss 0, tie or error ½.
  public static func v1Credit(_ outcome: Outcome) -> Double {
    switch outcome {
    case .win: 1
    case .loss: 0
    case .tie, .error: 0.5
    }
  }

  /// Two independent ratings (chosen, rejected) as a v1 outcome; NaN is an unreadable rating.
  public static func ratingOutcome(chosen: Double, rejected: Double) -> Outcome {
    if chosen.isNaN || rejected.isNaN { return .error }
    return chosen > rejected ? .win : chosen < rejected ? .loss : .tie
  }

  /// RewardBench 2 best-of-N from independent ratings, the correct response first (the
  /// `score_w_ratings` path of `run_generative_v2.py`): unreadable ratings (NaN) drop out; when all
  /// did, the item is an error worth ¼ (chance among four); otherwise the top-rated responses share
  /// the credit, so the correct one alone on top is 1, tied with one other ½, not on top 0.
  public static func ratingsCredit(_ ratings: [Double]) -> (credit: Double, outcome: Outcome) {
    let valid = ratings.filter { !$0.isNaN }
    guard let top = valid.max(), let first = ratings.first else { return (0.25, .error) }
    let winners = ratings.count(where: { $0 == top })
    guard first == top else { return (0, .loss) }
    return (1 / Double(winners), winners == 1 ? .win : .tie)
  }

  /// RewardBench 2 best-of-4 from a listwise judge's pick (the index it named best, nil when its
  /// reply could not be read): correct 1, another 0, no pick ¼.
  public static func choiceCredit(choice: Int?, correct: Int = 0) -> (credit: Double, outcome: Outcome) {
    guard let choice else { return (0.25, .error) }
    return choice == correct ? (1, .win) : (0, .loss)
  }
}

/// What a generative judge cost and how it behaved in one evaluation: the numbers the terminal,
/// JSON and HTML reports print next to its scores (filled from the judge's run ledger).
public struct GenerativeJudgeStats: Sendable, Equatable {
  public var items = 0
  public var unparseable = 0
  public var engineErrors = 0
  public var retries = 0
  public var calls = 0
  public var promptTokens = 0
  public var completionTokens = 0
  /// Seconds the judge spent on engine calls, summed over items (they overlap when concurrent).
  public var judgeSeconds = 0.0
  /// Order statistics, when pairs were judged in both orders / decisively.
  public var consistencyRate: Double?
  public var bothOrderPairs = 0
  public var firstPositionWinRate: Double?
  public var decisiveTrials = 0

  public init() {}

  public var parseFailureRate: Double { items == 0 ? 0 : Double(unparseable) / Double(items) }
}

/// A generative judge's result under one of RewardBench's rules.
public struct GenerativeEvaluation: Sendable, Equatable {
  /// `rewardbench-v1-pairwise`, `rewardbench-v1-ratings`, `rewardbench2-ratings`, `rewardbench2-listwise`.
  public var rule: String
  /// Mean credit over items (v1: pairs; v2: prompts outside Ties).
  public var score: Double
  public var items: Int
  public var outcomes: [GenerativeScoring.Outcome: Int]
  /// Subset → mean credit and items (in name order).
  public var subsets: [Subset]
  public var judge: GenerativeJudgeStats?

  public struct Subset: Sendable, Equatable {
    public var name: String
    public var score: Double
    public var items: Int
  }

  public init(
    rule: String, credits: [(credit: Double, outcome: GenerativeScoring.Outcome, subset: String?)],
    judge: GenerativeJudgeStats? = nil
  ) {
    self.rule = rule
    items = credits.count
    score = credits.isEmpty ? .nan : credits.map(\.credit).reduce(0, +) / Double(credits.count)
    outcomes = [:]
    var bySubset: [String: [Double]] = [:]
    for item in credits {
      outcomes[item.outcome, default: 0] += 1
      bySubset[item.subset ?? "all", default: []].append(item.credit)
    }
    subsets = bySubset.keys.sorted().map { name in
      let values = bySubset[name]!
      return Subset(name: name, score: values.reduce(0, +) / Double(values.count), items: values.count)
    }
    self.judge = judge
  }

  /// RewardBench v1 sections from the subset credits (only when the subsets are RewardBench's).
  public var rewardBenchSections: RewardBench.Scores? {
    guard RewardBench.applies(to: subsets.map(\.name)) else { return nil }
    return RewardBench.scores(subsetAccuracy: Dictionary(uniqueKeysWithValues: subsets.map { ($0.name, $0.score) }))
  }
}

extension RewardBench2 {
  /// The RewardBench 2 report of a generative judge's ratings (chosen first; NaN = unreadable):
  /// `GenerativeScoring.ratingsCredit` per prompt, and for Ties the usual formula on the ratings
  /// with an unreadable one as -1, as reward-bench passes its failed ratings through.
  public static func generativeReport(_ groups: [ScoredGroup]) -> (report: Report, credits: [Double]) {
    let credits = groups.map { GenerativeScoring.ratingsCredit($0.scores).credit }
    var bySubset: [String: [(ScoredGroup, Double)]] = [:]
    for (group, credit) in zip(groups, credits) { bySubset[group.subset ?? "all", default: []].append((group, credit)) }
    var subsets: [(String, Double, Int)] = []
    var ties: TiesScore?
    for name in bySubset.keys.sorted() {
      let members = bySubset[name]!
      if name.lowercased() == "ties" {
        let score = TiesScore.measure(
          members.map { group, _ in
            var copy = group
            copy.scores = copy.scores.map { $0.isNaN ? -1 : $0 }
            return copy
          })
        ties = score
        subsets.append((name, score.overall, members.count))
      } else {
        subsets.append((name, members.map(\.1).reduce(0, +) / Double(members.count), members.count))
      }
    }
    let report = Report(
      subsets: subsets, ties: ties,
      overall: subsets.isEmpty ? nil : subsets.map(\.1).reduce(0, +) / Double(subsets.count))
    return (report, credits)
  }
}
