import RewardCore

/// N responses to one prompt, each labelled correct or not (e.g. by a math verifier), with the
/// final answer each gives (for majority vote; nil when none was found).
public struct LabeledGroup: Sendable, Equatable {
  public var prompt: Conversation
  public var responses: [String]
  public var correct: [Bool]
  public var answers: [String?]
  public var reference: String?
  public var id: String?

  public init(
    prompt: Conversation, responses: [String], correct: [Bool], answers: [String?]? = nil, reference: String? = nil,
    id: String? = nil
  ) {
    self.prompt = prompt
    self.responses = responses
    self.correct = correct
    self.answers = answers ?? responses.map { _ in nil }
    self.reference = reference
    self.id = id
  }
}

/// Best-of-n accuracy for n = 1…N: for each group, many seeded random subsets of n responses; the
/// reward model picks its top-scored response (a tie at the top shares the credit, as RewardBench 2),
/// compared with the oracle (any correct response in the subset), a random pick (the fraction
/// correct) and majority vote over final answers (a tie between answers shares the credit).
public enum BestOfN {
  public struct Point: Sendable, Equatable {
    public var n: Int
    public var model: Double
    public var oracle: Double
    public var random: Double
    public var majority: Double
  }

  public struct Curve: Sendable, Equatable {
    public var groups: Int
    public var subsetsPerSize: Int
    public var points: [Point]
  }

  /// `scores[g][i]`: the reward of response i of group g.
  public static func curve(groups: [LabeledGroup], scores: [[Double]], subsets: Int = 32, seed: UInt64 = 0) -> Curve? {
    guard let maxN = groups.map(\.responses.count).max(), maxN > 0, groups.count == scores.count else { return nil }
    var generator = SeededGenerator(seed: seed)
    var points: [Point] = []
    for n in 1...maxN {
      var sums = (model: 0.0, oracle: 0.0, random: 0.0, majority: 0.0)
      var count = 0
      for (group, groupScores) in zip(groups, scores) where group.responses.count >= n {
        var indices = Array(group.responses.indices)
        for _ in 0..<subsets {
          generator.shuffle(&indices)
          let chosen = Array(indices.prefix(n))
          sums.model += modelPick(chosen, scores: groupScores, correct: group.correct)
          sums.oracle += chosen.contains { group.correct[$0] } ? 1 : 0
          sums.random += Double(chosen.count(where: { group.correct[$0] })) / Double(n)
          sums.majority += majorityVote(chosen, answers: group.answers, correct: group.correct)
          count += 1
        }
      }
      guard count > 0 else { continue }
      let c = Double(count)
      points.append(
        Point(
          n: n, model: sums.model / c, oracle: sums.oracle / c, random: sums.random / c, majority: sums.majority / c))
    }
    return Curve(groups: groups.count, subsetsPerSize: subsets, points: points)
  }

  /// Expected correctness of the top-scored response (ties at the top share the credit).
  static func modelPick(_ indices: [Int], scores: [Double], correct: [Bool]) -> Double {
    let top = indices.map { scores[$0] }.max()!
    let best = indices.filter { scores[$0] == top }
    return Double(best.count(where: { correct[$0] })) / Double(best.count)
  }

  /// Expected correctness of the most common answer; responses without an answer do not vote, and
  /// with no votes at all this is a random pick.
  static func majorityVote(_ indices: [Int], answers: [String?], correct: [Bool]) -> Double {
    var votes: [String: (count: Int, correct: Int)] = [:]
    for i in indices {
      guard let answer = answers[i] else { continue }
      votes[answer, default: (0, 0)].count += 1
      if correct[i] { votes[answer]!.correct += 1 }
    }
    guard let most = votes.values.map(\.count).max() else {
      return Double(indices.count(where: { correct[$0] })) / Double(indices.count)
    }
    let leaders = votes.values.filter { $0.count == most }
    // An answer is correct when its responses are (they agree: same answer, same verdict).
    return leaders.map { Double($0.correct) / Double($0.count) }.reduce(0, +) / Double(leaders.count)
  }

  /// Scores every response with a model, then builds the curve.
  public static func evaluate(
    _ groups: [LabeledGroup], scorer: BatchScorer, subsets: Int = 32, seed: UInt64 = 0,
    progress: (@Sendable (Int, Int) -> Void)? = nil
  ) async throws -> (curve: Curve?, scores: [[Double]]) {
    let candidates = groups.flatMap { group in
      group.responses.map { Candidate(prompt: group.prompt, response: $0, reference: group.reference) }
    }
    let flat = try await scorer.score(candidates, progress: progress)
    var scores: [[Double]] = []
    var offset = 0
    for group in groups {
      scores.append(Array(flat[offset..<offset + group.responses.count]))
      offset += group.responses.count
    }
    return (curve(groups: groups, scores: scores, subsets: subsets, seed: seed), scores)
  }
}
