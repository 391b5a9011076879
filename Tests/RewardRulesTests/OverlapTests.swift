import Foundation
import RewardCore
import Testing

@testable import RewardRules

struct OverlapTests {
  @Test func tokenizer13aMatchesSacreBLEURules() {
    #expect(
      SacreBLEUTokenizer13a.tokenizedLine("Hello, world! It's 3.5-4 (approx).")
        == "Hello , world ! It's 3.5 - 4 ( approx ) .")
    #expect(SacreBLEUTokenizer13a.tokenizedLine("a &amp; b &lt;c&gt;  \n") == "a & b < c >")
    #expect(SacreBLEUTokenizer13a.tokenizedLine("1,000.5 x.y") == "1,000.5 x . y")
  }

  @Test func identicalTextScoresFull() {
    let text = "The quick brown fox jumps over the lazy dog."
    #expect(abs(BLEU().sentenceScore(hypothesis: text, reference: text) - 100) < 1e-9)
    #expect(abs(ChrF().sentenceScore(hypothesis: text, reference: text) - 100) < 1e-9)
    #expect(RougeL().f1(hypothesis: text, reference: text) == 1)
    #expect(BLEU().sentenceScore(hypothesis: "", reference: text) == 0)
  }

  @Test func rougeLUsesLongestCommonSubsequence() {
    // LCS("the cat sat on mat", "the cat on the mat") = "the cat on mat" (4): P = 4/5, R = 4/5.
    let f = RougeL().f1(hypothesis: "The cat sat on mat", reference: "the cat on the mat")
    #expect(abs(f - 0.8) < 1e-12)
  }

  @Test(.enabled(if: SharedData.exists("reference/sacrebleu.jsonl")))
  func sacreBLEUParity() throws {
    let records = try SharedData.jsonLines("reference/sacrebleu.jsonl")
    var hypotheses: [String] = []
    var references: [String] = []
    var worstBLEU = 0.0
    var worstChrF = 0.0
    for record in records where record["corpus"] == nil {
      let hypothesis = record["hypothesis"]!.stringValue!
      let reference = record["reference"]!.stringValue!
      hypotheses.append(hypothesis)
      references.append(reference)
      worstBLEU = max(
        worstBLEU,
        abs(BLEU().sentenceScore(hypothesis: hypothesis, reference: reference) - record["bleu"]!.doubleValue!))
      worstChrF = max(
        worstChrF,
        abs(ChrF().sentenceScore(hypothesis: hypothesis, reference: reference) - record["chrf"]!.doubleValue!))
    }
    #expect(hypotheses.count == records.count - 1)
    #expect(worstBLEU < 1e-6)
    #expect(worstChrF < 1e-6)
    let corpus = records.last!
    #expect(
      abs(BLEU().corpusScore(hypotheses: hypotheses, references: references) - corpus["bleu"]!.doubleValue!) < 1e-6)
    #expect(
      abs(ChrF().corpusScore(hypotheses: hypotheses, references: references) - corpus["chrf"]!.doubleValue!) < 1e-6)
  }
}

/// Independent, obviously-correct n-gram counting on Strings, to check the packed-key fast paths
/// (10-bit scalars, dense ids, two-word fallback) on text in many scripts.
struct OverlapFastPathTests {
  static func naiveMatches(_ h: [String], _ r: [String], order: Int) -> Int {
    func grams(_ items: [String]) -> [String: Int] {
      var counts: [String: Int] = [:]
      if items.count >= order {
        for start in 0...(items.count - order) {
          counts[items[start..<(start + order)].joined(separator: "\u{1}"), default: 0] += 1
        }
      }
      return counts
    }
    let reference = grams(r)
    return grams(h).reduce(0) { $0 + min($1.value, reference[$1.key] ?? 0) }
  }

  /// 3000 CJK characters from a 2000-character range: more than 2^10 distinct scalars, so chrF
  /// numbers them densely with 11 bits and orders 6 take the two-word path.
  static func cjk(step: UInt32) -> String {
    var scalars = String.UnicodeScalarView()
    for k: UInt32 in 0..<3000 { scalars.append(Unicode.Scalar(0x4E00 + (k * step) % 2000)!) }
    return String(scalars)
  }

  @Test(arguments: [
    ("the cat sat on the mat", "the cat is on the mat"),
    ("猫はマットの上に座った。猫は眠い", "猫がマットの上にいる。猫は眠い"),
    ("Ωμέγα 😀 emoji 😀 mix Ωμέγα", "mix 😀 Ωμέγα emoji"),
    (OverlapFastPathTests.cjk(step: 7), OverlapFastPathTests.cjk(step: 5)),
  ])
  func chrFMatchesNaiveCounting(hypothesis: String, reference: String) {
    let h = hypothesis.unicodeScalars.filter { !$0.properties.isWhitespace }.map { String($0) }
    let r = reference.unicodeScalars.filter { !$0.properties.isWhitespace }.map { String($0) }
    let stats = ChrF().statistics(hypothesis: hypothesis, reference: reference)
    for n in 1...6 {
      #expect(stats.matches[n - 1] == Self.naiveMatches(h, r, order: n), "order \(n)")
    }
  }

  @Test func packedAndTwoWordKeysCountTheSame() {
    var generator = SeededGenerator(seed: 7)
    let h = (0..<2_000).map { _ in UInt64(1 + generator.nextIndex(below: 40)) }
    let r = (0..<2_000).map { _ in UInt64(1 + generator.nextIndex(below: 40)) }
    for order in 1...4 {
      let naive = Self.naiveMatches(h.map(String.init), r.map(String.init), order: order)
      // 16 bits × 4 fits one key; 17 bits × 4 takes the dictionary of two-word keys.
      #expect(NGramMatcher.clippedMatches(hypothesis: h, reference: r, order: order, bitsPerID: 16) == naive)
      #expect(NGramMatcher.clippedMatches(hypothesis: h, reference: r, order: order, bitsPerID: 17) == naive)
    }
  }
}
