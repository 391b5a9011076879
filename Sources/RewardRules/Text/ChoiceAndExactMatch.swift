import Foundation
import RewardCore

/// Multiple-choice answers: finds the chosen letter in the common phrasings ("The answer is (B)",
/// "Answer: C", `\boxed{D}`, "**B**", a line starting "B)" or "(B)", or a bare letter) and scores
/// 1 when it equals the reference letter.
public struct MultipleChoiceRule: RewardRule {
  public let letters: String

  /// Patterns in order of trust; within a pattern the last occurrence wins (the final answer).
  private let patterns: [NSRegularExpression]

  public init(letters: String = "ABCDEFGHIJ") {
    self.letters = letters.uppercased()
    self.patterns = Self.patterns(letterClass: "[\(NSRegularExpression.escapedPattern(for: self.letters))]")
  }

  private static func patterns(letterClass l: String) -> [NSRegularExpression] {
    [
      #"(?i:answer\s*(?:is\s*:?|:)\s*(?:option\s*)?)[\(\[\*]*\s*(\#(l))\s*[\)\]\*]*(?![A-Za-z])"#,
      #"\\boxed\{\s*(?:\\text\{)?\s*\(?(\#(l))\)?\s*\}"#,
      #"\*\*\s*\(?(\#(l))\)?\s*[\.\):]?\s*\*\*"#,
      #"(?m)^\s*\(?(\#(l))[\)\.:](?:\s|$)"#,
      #"(?m)^\s*\(?(\#(l))\)?\s*\.?\s*$"#,
    ].map { try! NSRegularExpression(pattern: $0) }
  }

  public func extractLetter(from response: String) -> Character? {
    let range = NSRange(response.startIndex..., in: response)
    for pattern in patterns {
      if let match = pattern.matches(in: response, range: range).last,
        let letter = Range(match.range(at: 1), in: response)
      {
        return Character(response[letter].uppercased())
      }
    }
    return nil
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    guard let reference = candidate.reference else { return .notApplicable("no reference letter") }
    let gold =
      extractLetter(from: reference) ?? reference.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().first
    guard let gold else { return .notApplicable("empty reference") }
    return .score(extractLetter(from: candidate.response) == gold ? 1 : 0)
  }
}

/// Exact match after configurable normalisation. The defaults are SQuAD's `normalize_answer`:
/// lowercase, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace.
public struct ExactMatchRule: RewardRule {
  public struct Normalization: Sendable, Equatable {
    public var ignoreCase = true
    public var ignorePunctuation = true
    public var ignoreArticles = true
    public var collapseWhitespace = true
    public init() {}
    /// Byte-for-byte comparison after trimming.
    public static let none: Normalization = {
      var n = Normalization()
      n.ignoreCase = false
      n.ignorePunctuation = false
      n.ignoreArticles = false
      n.collapseWhitespace = false
      return n
    }()
  }

  public let normalization: Normalization
  /// Compare only the extracted final answer (`\boxed{}`, "The answer is …") rather than the whole text.
  public let extractAnswer: Bool

  public init(normalization: Normalization = Normalization(), extractAnswer: Bool = false) {
    self.normalization = normalization
    self.extractAnswer = extractAnswer
  }

  /// Python's `string.punctuation`, which SQuAD removes.
  private static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
  private static let articles = try! NSRegularExpression(pattern: #"\b(a|an|the)\b"#)

  public func normalize(_ text: String) -> String {
    var s = text
    if normalization.ignoreCase { s = s.lowercased() }
    if normalization.ignorePunctuation {
      s = String(s.unicodeScalars.filter { !Self.punctuation.contains($0) }.map(Character.init))
    }
    if normalization.ignoreArticles {
      s = Self.articles.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: " ")
    }
    if normalization.collapseWhitespace { s = s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
    return s.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  public func matches(_ response: String, _ reference: String) -> Bool {
    let answer =
      extractAnswer ? (MathAnswerExtractor(fallbackToLastNumber: false).extract(from: response) ?? response) : response
    return normalize(answer) == normalize(reference)
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    guard let reference = candidate.reference else { return .notApplicable("no reference answer") }
    return .score(matches(candidate.response, reference) ? 1 : 0)
  }
}
