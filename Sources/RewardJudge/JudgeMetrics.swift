/// Scoring rules the generative-judge literature uses, as pure functions of the verdicts.
public enum JudgeMetrics {
  /// RewardBench (v1) generative scoring: per pair, 1 when the judge prefers the chosen response
  /// (shown as `first`), 0 when it prefers the rejected one, ½ for a tie or no verdict (error).
  public static func rewardBenchV1(_ verdicts: [PairVerdict?]) -> Double {
    guard !verdicts.isEmpty else { return .nan }
    let total = verdicts.reduce(0.0) { sum, verdict in
      switch verdict?.winner {
      case .a: sum + 1
      case .b: sum
      case .tie, nil: sum + 0.5
      }
    }
    return total / Double(verdicts.count)
  }

  /// RewardBench 2 best-of-4: 1 when the judge picks the correct response, 0 when it picks another,
  /// ¼ (chance) when it gave no readable choice.
  public static func rewardBenchV2(choices: [Int?], correct: [Int]) -> Double {
    precondition(choices.count == correct.count, "one choice per item")
    guard !choices.isEmpty else { return .nan }
    let total = zip(choices, correct).reduce(0.0) { sum, item in
      guard let choice = item.0 else { return sum + 0.25 }
      return sum + (choice == item.1 ? 1 : 0)
    }
    return total / Double(choices.count)
  }

  /// MT-Bench agreement between a judge and human votes on the same pairs. With ties, the three
  /// outcomes (A, B, tie) must match; without ties, pairs where either side voted tie are left
  /// out. A judge with no verdict (nil) disagrees: a parse failure is never dropped silently.
  public static func agreement(judge: [PairVerdict.Winner?], human: [PairVerdict.Winner], includeTies: Bool)
    -> (rate: Double, pairs: Int)
  {
    precondition(judge.count == human.count, "one judge verdict per human vote")
    var agreed = 0
    var counted = 0
    for (machine, person) in zip(judge, human) {
      if !includeTies, person == .tie || machine == .tie { continue }
      counted += 1
      if machine == person { agreed += 1 }
    }
    return (counted == 0 ? .nan : Double(agreed) / Double(counted), counted)
  }
}
