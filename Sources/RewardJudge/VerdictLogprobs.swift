import Foundation
import RewardEngine

/// Reads a distribution over verdict labels off the engine's top logprobs at the verdict token
/// (G-Eval's probability-weighted score; AlpacaEval's weighted judge). The verdict token is the
/// last generated token equal to a label whose preceding text ends with the format's opener
/// (`[[` or `[RESULT]`), so "Assistant A" in the explanation is never mistaken for it.
enum VerdictLogprobs {
  /// Probabilities of `labels` at the verdict position, normalised over those labels; nil when
  /// there are no logprobs or no such position.
  static func distribution(_ response: ChatResponse, opener: String, labels: [String]) -> [String: Double]? {
    guard let tokens = response.logprobs, !tokens.isEmpty else { return nil }
    var prefixes: [String] = []
    var text = ""
    for token in tokens {
      prefixes.append(text)
      text += token.token
    }
    for index in tokens.indices.reversed() {
      let token = tokens[index]
      let trimmed = token.token.trimmingCharacters(in: .whitespaces)
      guard labels.contains(trimmed),
        prefixes[index].trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(opener)
      else { continue }
      var mass: [String: Double] = [:]
      var alternatives = token.top
      if !alternatives.contains(where: { $0.token == token.token }) {
        alternatives.append(.init(token: token.token, logprob: token.logprob))
      }
      for alternative in alternatives {
        let label = alternative.token.trimmingCharacters(in: .whitespaces)
        guard labels.contains(label) else { continue }
        mass[label, default: 0] += exp(alternative.logprob)
      }
      let total = mass.values.reduce(0, +)
      guard total > 0 else { return nil }
      return mass.mapValues { $0 / total }
    }
    return nil
  }

  /// The expected score over integer labels on the scale.
  static func expectedScore(_ response: ChatResponse, opener: String, scale: ClosedRange<Double>) -> Double? {
    let labels = stride(from: scale.lowerBound.rounded(.up), through: scale.upperBound, by: 1).map {
      String(Int($0))
    }
    guard let distribution = distribution(response, opener: opener, labels: labels) else { return nil }
    return distribution.reduce(0) { $0 + Double($1.key)! * $1.value }
  }

  /// P(A ≻ B) from the A / B (and C = tie) probabilities.
  static func probabilityA(_ response: ChatResponse, opener: String, tieLabel: String?) -> Double? {
    let labels = ["A", "B"] + (tieLabel.map { [$0] } ?? [])
    guard let p = distribution(response, opener: opener, labels: labels) else { return nil }
    return (p["A"] ?? 0) + 0.5 * (tieLabel.flatMap { p[$0] } ?? 0)
  }
}
