import Foundation

/// n-gram statistics of one hypothesis against one reference, the unit sacreBLEU sums for corpus BLEU.
public struct BLEUStatistics: Sendable, Equatable {
  public var matches: [Int]
  public var totals: [Int]
  public var hypothesisLength: Int
  public var referenceLength: Int

  public static func zero(order: Int) -> BLEUStatistics {
    BLEUStatistics(
      matches: Array(repeating: 0, count: order), totals: Array(repeating: 0, count: order), hypothesisLength: 0,
      referenceLength: 0)
  }

  public static func += (lhs: inout BLEUStatistics, rhs: BLEUStatistics) {
    for n in lhs.matches.indices {
      lhs.matches[n] += rhs.matches[n]
      lhs.totals[n] += rhs.totals[n]
    }
    lhs.hypothesisLength += rhs.hypothesisLength
    lhs.referenceLength += rhs.referenceLength
  }
}

/// BLEU exactly as sacreBLEU 2.x computes it: 13a tokenisation, n-grams up to 4, brevity penalty,
/// and smoothing `exp` (Chen & Cherry method 3: the k-th zero-match order gets 1/2^k), with
/// effective order for sentence BLEU (`sentence_bleu` defaults) and without it for corpus BLEU.
/// Scores are on sacreBLEU's 0–100 scale.
public struct BLEU: Sendable {
  public var maximumOrder: Int
  public var lowercase: Bool

  public init(maximumOrder: Int = 4, lowercase: Bool = false) {
    self.maximumOrder = maximumOrder
    self.lowercase = lowercase
  }

  public func statistics(hypothesis: String, reference: String) -> BLEUStatistics {
    let hypothesisText = SacreBLEUTokenizer13a.tokenizeScalars(lowercase ? hypothesis.lowercased() : hypothesis)
    let referenceText = SacreBLEUTokenizer13a.tokenizeScalars(lowercase ? reference.lowercased() : reference)
    var vocabulary = TokenInterner(expectedTokens: hypothesisText.tokens.count + referenceText.tokens.count)
    let hypothesisIDs = hypothesisText.tokens.map { vocabulary.id(of: hypothesisText.scalars[$0]) }
    let referenceIDs = referenceText.tokens.map { vocabulary.id(of: referenceText.scalars[$0]) }
    var stats = BLEUStatistics.zero(order: maximumOrder)
    stats.hypothesisLength = hypothesisIDs.count
    stats.referenceLength = referenceIDs.count
    let bits = NGramMatcher.bits(forMaximumID: UInt64(vocabulary.count))
    for n in 1...maximumOrder {
      stats.matches[n - 1] = NGramMatcher.clippedMatches(
        hypothesis: hypothesisIDs, reference: referenceIDs, order: n, bitsPerID: bits)
      stats.totals[n - 1] = max(0, hypothesisIDs.count - n + 1)
    }
    return stats
  }

  /// Sentence BLEU (sacreBLEU `sentence_bleu` defaults).
  public func sentenceScore(hypothesis: String, reference: String) -> Double {
    score(statistics(hypothesis: hypothesis, reference: reference), effectiveOrder: true)
  }

  /// Corpus BLEU over aligned hypotheses and references (sacreBLEU `corpus_bleu` defaults).
  public func corpusScore(hypotheses: [String], references: [String]) -> Double {
    var total = BLEUStatistics.zero(order: maximumOrder)
    for (hypothesis, reference) in zip(hypotheses, references) {
      total += statistics(hypothesis: hypothesis, reference: reference)
    }
    return score(total, effectiveOrder: false)
  }

  /// sacreBLEU's `compute_bleu` with `smooth_method='exp'`, operation for operation.
  public func score(_ stats: BLEUStatistics, effectiveOrder: Bool) -> Double {
    let sys = Double(stats.hypothesisLength)
    let ref = Double(stats.referenceLength)
    let brevityPenalty = sys < ref ? (sys > 0 ? exp(1 - ref / sys) : 0) : 1
    guard stats.matches.contains(where: { $0 > 0 }) else { return 0 }
    var precisions = Array(repeating: 0.0, count: maximumOrder)
    var smoothing = 1.0
    var order = maximumOrder
    for n in 1...maximumOrder {
      let total = stats.totals[n - 1]
      if total == 0 { break }
      if effectiveOrder { order = n }
      let correct = stats.matches[n - 1]
      if correct == 0 {
        smoothing *= 2
        precisions[n - 1] = 100 / (smoothing * Double(total))
      } else {
        precisions[n - 1] = 100 * Double(correct) / Double(total)
      }
    }
    // sacreBLEU's my_log: log(0) is -9999999999, which drives the score to 0.
    let logSum = precisions[..<order].reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
    return brevityPenalty * exp(logSum / Double(order))
  }
}

/// An exact n-gram key packed into two words: word ids take 32 bits (orders ≤ 4), Unicode scalars
/// 21 bits (orders ≤ 6).
struct NGramKey: Hashable {
  var high: UInt64
  var low: UInt64
}

enum NGramCounter {
  /// Counts of the n-grams of `ids`; each id must fit in `bitsPerID` bits and `order` ids in 128 bits.
  static func count(_ ids: [UInt64], order: Int, bitsPerID: UInt64 = 32) -> [NGramKey: Int] {
    let perWord = Int(64 / bitsPerID)
    precondition(order <= 2 * perWord)
    var counts: [NGramKey: Int] = [:]
    guard ids.count >= order else { return counts }
    counts.reserveCapacity(ids.count - order + 1)
    for start in 0...(ids.count - order) {
      var high: UInt64 = 0
      var low: UInt64 = 0
      for k in 0..<order {
        let id = ids[start + k]
        if k < perWord { low = (low << bitsPerID) | id } else { high = (high << bitsPerID) | id }
      }
      counts[NGramKey(high: high, low: low), default: 0] += 1
    }
    return counts
  }
}
