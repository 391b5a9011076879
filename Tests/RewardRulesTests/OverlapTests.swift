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
