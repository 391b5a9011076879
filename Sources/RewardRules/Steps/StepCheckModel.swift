import RewardCore

/// The step checker as a process reward model: each step scores 1 when its arithmetic holds, 0
/// when a claim is false, and `neutralScore` when there is nothing to check; the reward is the
/// steps' aggregate, so it drops into `score`, `eval` and best-of-N like any other model.
public struct StepCheckModel: RewardModel {
  public let name: String
  public var checker: StepChecker
  public var splitter: StepSplitter
  public var aggregation: StepAggregation
  public var neutralScore: Double

  public init(
    name: String = "step-check", checker: StepChecker = StepChecker(), splitter: StepSplitter = .blankLines,
    aggregation: StepAggregation = .min, neutralScore: Double = 1
  ) {
    self.name = name
    self.checker = checker
    self.splitter = splitter
    self.aggregation = aggregation
    self.neutralScore = neutralScore
  }

  public var benefitsFromBatching: Bool { false }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    candidates.map(reward)
  }

  public func reward(_ candidate: Candidate) -> Reward {
    let steps = candidate.steps(splitter: splitter)
    var scored: [StepScore] = []
    var firstRefuted: (Int, ArithmeticClaim)?
    for (k, step) in steps.enumerated() {
      let verdict = checker.verdict(step.text)
      let score: Double
      switch verdict {
      case .verified: score = 1
      case .neutral: score = neutralScore
      case .refuted(let claim):
        score = 0
        if firstRefuted == nil { firstRefuted = (k, claim) }
      }
      scored.append(StepScore(index: k, start: step.start, end: step.end, score: score))
    }
    let rationale = firstRefuted.map { k, claim in
      "step \(k): \(claim.left) = \(claim.right) is false (\(claim.leftValue) ≠ \(claim.rightValue))"
    }
    return Reward(
      aggregation.aggregate(scored.map(\.score)) ?? neutralScore, rationale: rationale, steps: scored)
  }
}

/// The step checker as a rule for specs (`kind: step_check`): 1 when every checkable claim in
/// the response holds, 0 when one is false, not applicable when nothing could be checked.
public struct StepCheckRule: RewardRule {
  public var checker: StepChecker
  public var splitter: StepSplitter

  public init(checker: StepChecker = StepChecker(), splitter: StepSplitter = .blankLines) {
    self.checker = checker
    self.splitter = splitter
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    let verdicts = checker.verdicts(candidate.steps(splitter: splitter).map(\.text))
    if verdicts.contains(where: \.isRefuted) { return .score(0) }
    if verdicts.allSatisfy({ $0 == .neutral }) { return .notApplicable("no arithmetic to check in the steps") }
    return .score(1)
  }
}
