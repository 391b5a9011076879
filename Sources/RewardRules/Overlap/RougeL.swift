/// ROUGE-L F1 as Google's `rouge_score` computes it without stemming: lowercase, every character
/// outside `[a-z0-9]` becomes a space, longest common subsequence of the tokens, F = 2PR/(P+R).
public struct RougeL: Sendable {
  /// Token cap per side: LCS is quadratic, so longer texts are truncated (documented budget).
  public var maximumTokens: Int

  public init(maximumTokens: Int = 4_096) {
    self.maximumTokens = maximumTokens
  }

  public static func tokenize(_ text: String) -> [Substring] {
    let cleaned = String(
      String.UnicodeScalarView(
        text.lowercased().unicodeScalars.map { c in
          (c.value >= 0x61 && c.value <= 0x7A) || (c.value >= 0x30 && c.value <= 0x39) ? c : " "
        }))
    return cleaned.split(separator: " ")
  }

  public func f1(hypothesis: String, reference: String) -> Double {
    let h = Array(Self.tokenize(hypothesis).prefix(maximumTokens))
    let r = Array(Self.tokenize(reference).prefix(maximumTokens))
    guard !h.isEmpty, !r.isEmpty else { return 0 }
    // Two-row dynamic programme: O(|h|·|r|) time, O(|r|) memory.
    var previous = Array(repeating: 0, count: r.count + 1)
    var current = previous
    for i in 1...h.count {
      for j in 1...r.count {
        current[j] = h[i - 1] == r[j - 1] ? previous[j - 1] + 1 : max(previous[j], current[j - 1])
      }
      swap(&previous, &current)
    }
    let lcs = Double(previous[r.count])
    let precision = lcs / Double(h.count)
    let recall = lcs / Double(r.count)
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
  }
}
