/// Character n-gram statistics per order: hypothesis n-grams, reference n-grams, matches.
public struct ChrFStatistics: Sendable, Equatable {
  public var hypothesis: [Int]
  public var reference: [Int]
  public var matches: [Int]

  public static func zero(order: Int) -> ChrFStatistics {
    let zeros = Array(repeating: 0, count: order)
    return ChrFStatistics(hypothesis: zeros, reference: zeros, matches: zeros)
  }

  public static func += (lhs: inout ChrFStatistics, rhs: ChrFStatistics) {
    for n in lhs.matches.indices {
      lhs.hypothesis[n] += rhs.hypothesis[n]
      lhs.reference[n] += rhs.reference[n]
      lhs.matches[n] += rhs.matches[n]
    }
  }
}

/// chrF as sacreBLEU 2.x computes it with its defaults: character n-grams of orders 1–6 with
/// whitespace removed, no word n-grams, β = 2, precision and recall averaged over the orders that
/// have n-grams on both sides. Scores are on the 0–100 scale.
public struct ChrF: Sendable {
  public var characterOrder: Int
  public var beta: Double
  public var lowercase: Bool

  public init(characterOrder: Int = 6, beta: Double = 2, lowercase: Bool = false) {
    precondition(characterOrder >= 1 && characterOrder <= 6, "character order must be 1...6")
    self.characterOrder = characterOrder
    self.beta = beta
    self.lowercase = lowercase
  }

  private func characters(_ text: String) -> [UInt64] {
    (lowercase ? text.lowercased() : text).unicodeScalars.compactMap {
      SacreBLEUTokenizer13a.isPythonSpace($0) ? nil : UInt64($0.value)
    }
  }

  public func statistics(hypothesis: String, reference: String) -> ChrFStatistics {
    let hypothesisChars = characters(hypothesis)
    let referenceChars = characters(reference)
    var stats = ChrFStatistics.zero(order: characterOrder)
    for n in 1...characterOrder {
      let hypothesisCounts = NGramCounter.count(hypothesisChars, order: n, bitsPerID: 21)
      let referenceCounts = NGramCounter.count(referenceChars, order: n, bitsPerID: 21)
      var matched = 0
      for (gram, count) in hypothesisCounts {
        if let referenceCount = referenceCounts[gram] { matched += min(count, referenceCount) }
      }
      let referenceTotal = max(0, referenceChars.count - n + 1)
      // sacreBLEU does not count hypothesis n-grams when the reference has none of that order.
      stats.hypothesis[n - 1] = referenceTotal > 0 ? max(0, hypothesisChars.count - n + 1) : 0
      stats.reference[n - 1] = referenceTotal
      stats.matches[n - 1] = matched
    }
    return stats
  }

  public func sentenceScore(hypothesis: String, reference: String) -> Double {
    score(statistics(hypothesis: hypothesis, reference: reference))
  }

  public func corpusScore(hypotheses: [String], references: [String]) -> Double {
    var total = ChrFStatistics.zero(order: characterOrder)
    for (hypothesis, reference) in zip(hypotheses, references) {
      total += statistics(hypothesis: hypothesis, reference: reference)
    }
    return score(total)
  }

  /// sacreBLEU's `_compute_f_score` without eps smoothing.
  public func score(_ stats: ChrFStatistics) -> Double {
    let factor = beta * beta
    var averagePrecision = 0.0
    var averageRecall = 0.0
    var effectiveOrder = 0
    for n in 0..<characterOrder {
      let hypothesisCount = stats.hypothesis[n]
      let referenceCount = stats.reference[n]
      let matchCount = Double(stats.matches[n])
      let precision = hypothesisCount > 0 ? matchCount / Double(hypothesisCount) : 0
      let recall = referenceCount > 0 ? matchCount / Double(referenceCount) : 0
      if hypothesisCount > 0 && referenceCount > 0 {
        averagePrecision += precision
        averageRecall += recall
        effectiveOrder += 1
      }
    }
    guard effectiveOrder > 0 else { return 0 }
    averagePrecision /= Double(effectiveOrder)
    averageRecall /= Double(effectiveOrder)
    guard averagePrecision + averageRecall > 0 else { return 0 }
    let numerator = (1 + factor) * averagePrecision * averageRecall
    return 100 * (numerator / (factor * averagePrecision + averageRecall))
  }
}
