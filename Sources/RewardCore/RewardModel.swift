import Foundation

/// Anything that gives P(a ≻ b) for pairs of candidates. Some models are only pairwise
/// (preference-embedding models, pairwise LLM judges); every `RewardModel` is one too.
public protocol PreferenceModel: Sendable {
  /// A short human-readable name, used in reports.
  var name: String { get }
  /// For each pair, the probability that `first` is preferred to `second`.
  func preferenceProbabilities(_ pairs: [CandidatePair]) async throws -> [Double]
}

/// The one idea of RewardKit: anything that scores a batch of candidates. Learned heads, rules,
/// remote models, judges and compositions are all `RewardModel`s, and every consumer (CLI,
/// evaluation, server) depends on this protocol only.
public protocol RewardModel: PreferenceModel {
  /// Scores candidates in order; the result has one reward per candidate.
  func score(_ candidates: [Candidate]) async throws -> [Reward]
  /// Whether scoring candidates together costs less per item than scoring them apart (a network's
  /// matrix products, a remote model's round trips). A server waits a moment to gather a
  /// micro-batch only for such models; rules, which score item by item, answer at once.
  var benefitsFromBatching: Bool { get }
  /// Whether a candidate's reward depends on the other candidates of its `group` in the same call
  /// (GRPO-style group normalisation): callers that cut input into batches must then keep each
  /// group within one batch.
  var normalizesWithinGroups: Bool { get }
}

extension RewardModel {
  /// Unless a model says otherwise, batching is assumed to help.
  public var benefitsFromBatching: Bool { true }
  /// Unless a model says otherwise, each candidate is scored on its own.
  public var normalizesWithinGroups: Bool { false }
}

extension RewardModel {
  /// Bradley–Terry: P(a ≻ b) = σ(r_a − r_b).
  public func preferenceProbabilities(_ pairs: [CandidatePair]) async throws -> [Double] {
    let rewards = try await score(pairs.flatMap { [$0.first, $0.second] })
    return pairs.indices.map { i in sigmoid(rewards[2 * i].value - rewards[2 * i + 1].value) }
  }
}

/// The logistic function, written to stay finite for large |x|.
@inlinable
public func sigmoid(_ x: Double) -> Double {
  x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// log σ(x) without overflow or loss of precision for large |x|.
@inlinable
public func logSigmoid(_ x: Double) -> Double {
  x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x))
}
