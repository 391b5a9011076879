import RewardCore

/// Reference-overlap rewards as rules: BLEU, chrF (sacreBLEU scale divided by 100, so in [0, 1]
/// like the other rules) and ROUGE-L F1. Not applicable without a reference.
public struct OverlapRule: RewardRule {
  public enum Metric: String, Sendable, CaseIterable {
    case bleu, chrf, rougeL = "rouge_l"
  }

  public var metric: Metric

  public init(metric: Metric) {
    self.metric = metric
  }

  public func score(hypothesis: String, reference: String) -> Double {
    switch metric {
    case .bleu: BLEU().sentenceScore(hypothesis: hypothesis, reference: reference) / 100
    case .chrf: ChrF().sentenceScore(hypothesis: hypothesis, reference: reference) / 100
    case .rougeL: RougeL().f1(hypothesis: hypothesis, reference: reference)
    }
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    guard let reference = candidate.reference else { return .notApplicable("no reference text") }
    return .score(score(hypothesis: candidate.response, reference: reference))
  }
}
