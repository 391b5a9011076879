import RewardCore
import RewardData

/// Order effects of a pairwise model: each pair is asked in both orders. A consistent model gives
/// P(a ≻ b) = 1 − P(b ≻ a); a position-biased one favours whichever response comes first (or second).
/// Bradley–Terry reward models are consistent by construction; pairwise judges often are not.
public struct PositionCheck: Sendable, Equatable {
  public var pairs: Int
  /// Fraction of pairs whose winner does not change when the order is swapped.
  public var consistency: Double
  /// Fraction of all 2·pairs questions answered "the first response".
  public var firstPreferred: Double
  /// Accuracy with chosen shown first, and with chosen shown second.
  public var accuracyChosenFirst: Double
  public var accuracyChosenSecond: Double
  /// Mean |P(a ≻ b) + P(b ≻ a) − 1|.
  public var meanAsymmetry: Double

  /// From P(chosen ≻ rejected) asked as (chosen, rejected) and P(rejected ≻ chosen) asked as (rejected, chosen).
  public static func measure(chosenFirst: [Double], rejectedFirst: [Double]) -> PositionCheck? {
    guard !chosenFirst.isEmpty, chosenFirst.count == rejectedFirst.count else { return nil }
    let n = Double(chosenFirst.count)
    let pairs = zip(chosenFirst, rejectedFirst)
    let consistent = pairs.count(where: { ($0 > 0.5 && $1 < 0.5) || ($0 < 0.5 && $1 > 0.5) || ($0 == 0.5 && $1 == 0.5) }
    )
    let firstWins = chosenFirst.count(where: { $0 > 0.5 }) + rejectedFirst.count(where: { $0 > 0.5 })
    return PositionCheck(
      pairs: chosenFirst.count, consistency: Double(consistent) / n, firstPreferred: Double(firstWins) / (2 * n),
      accuracyChosenFirst: Double(chosenFirst.count(where: { $0 > 0.5 })) / n,
      accuracyChosenSecond: Double(rejectedFirst.count(where: { $0 < 0.5 })) / n,
      meanAsymmetry: pairs.map { abs($0 + $1 - 1) }.reduce(0, +) / n)
  }

  public static func run(_ model: any PreferenceModel, pairs: [PreferencePair], batchSize: Int = 256) async throws
    -> PositionCheck?
  {
    var forward: [Double] = []
    var backward: [Double] = []
    for start in stride(from: 0, to: pairs.count, by: batchSize) {
      let batch = pairs[start..<min(pairs.count, start + batchSize)]
      forward += try await model.preferenceProbabilities(
        batch.map { CandidatePair($0.chosenCandidate, $0.rejectedCandidate) })
      backward += try await model.preferenceProbabilities(
        batch.map { CandidatePair($0.rejectedCandidate, $0.chosenCandidate) })
    }
    return measure(chosenFirst: forward, rejectedFirst: backward)
  }
}
