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

  /// Non-whitespace characters as ids ≥ 1: the scalar value + 1 when every scalar of the pair is
  /// below 1023 (10 bits, so six fit in one key), otherwise dense ids numbered per pair.
  private func characterIDs(_ hypothesis: String, _ reference: String) -> (
    hypothesis: [UInt64], reference: [UInt64], bits: Int
  ) {
    func scalars(_ text: String) -> [UInt64] {
      (lowercase ? text.lowercased() : text).unicodeScalars.compactMap {
        SacreBLEUTokenizer13a.isPythonSpace($0) ? nil : UInt64($0.value) + 1
      }
    }
    var h = scalars(hypothesis)
    var r = scalars(reference)
    let largest = max(h.max() ?? 1, r.max() ?? 1)
    if largest < 1024 { return (h, r, 10) }
    var dense: [UInt64: UInt64] = [:]
    func denseID(_ value: UInt64) -> UInt64 {
      if let id = dense[value] { return id }
      let id = UInt64(dense.count + 1)
      dense[value] = id
      return id
    }
    h = h.map(denseID)
    r = r.map(denseID)
    return (h, r, NGramMatcher.bits(forMaximumID: UInt64(dense.count)))
  }

  public func statistics(hypothesis: String, reference: String) -> ChrFStatistics {
    let (hypothesisChars, referenceChars, bits) = characterIDs(hypothesis, reference)
    var stats = ChrFStatistics.zero(order: characterOrder)
    for n in 1...characterOrder {
      let referenceTotal = max(0, referenceChars.count - n + 1)
      // sacreBLEU does not count hypothesis n-grams when the reference has none of that order.
      stats.hypothesis[n - 1] = referenceTotal > 0 ? max(0, hypothesisChars.count - n + 1) : 0
      stats.reference[n - 1] = referenceTotal
      stats.matches[n - 1] = NGramMatcher.clippedMatches(
        hypothesis: hypothesisChars, reference: referenceChars, order: n, bitsPerID: bits)
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
