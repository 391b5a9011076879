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
  private static let punctuation = asciiTable { "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars.contains($0) }
  /// ASCII `\w`: letters, digits and `_`.
  private static let asciiWord = asciiTable { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" }

  /// Answers for the 128 ASCII scalars, looked up instead of asking Unicode properties, which
  /// dominated the time on long (mostly ASCII) texts.
  private static func asciiTable(_ predicate: (Unicode.Scalar) -> Bool) -> [Bool] {
    (0..<128).map { predicate(Unicode.Scalar(UInt8($0))) }
  }

  private static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 128 && punctuation[Int(scalar.value)]
  }

  private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 128 { return scalar == " " || (0x09...0x0D).contains(scalar.value) }
    return scalar.properties.isWhitespace
  }
  private static let articles: [[Unicode.Scalar]] = [["a"], ["a", "n"], ["t", "h", "e"]]

  /// One linear pass per step over the text's scalars (SQuAD's order: case, punctuation,
  /// articles, whitespace), so a 10 MB response costs a few times its size, not a regex replace
  /// and a split into millions of substrings.
  public func normalize(_ text: String) -> String {
    var scalars = Array((normalization.ignoreCase ? text.lowercased() : text).unicodeScalars)
    if normalization.ignorePunctuation { scalars.removeAll(where: Self.isPunctuation) }
    if normalization.ignoreArticles { scalars = Self.replacingArticles(scalars) }
    if normalization.collapseWhitespace { scalars = Self.collapsingWhitespace(scalars) }
    return Self.string(Self.trimmed(scalars[...]))
  }

  /// Scalars back to a string through UTF-8 bytes: appending them to a `UnicodeScalarView` one by
  /// one took most of the time on long texts.
  private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(scalars.count)
    for scalar in scalars {
      if scalar.value < 128 {
        bytes.append(UInt8(scalar.value))
      } else {
        UTF8.encode(scalar) { bytes.append($0) }
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `re.sub(r"\b(a|an|the)\b", " ", text)`: a maximal run of word characters that is an article
  /// becomes one space.
  private static func replacingArticles(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var output: [Unicode.Scalar] = []
    output.reserveCapacity(scalars.count)
    var index = 0
    while index < scalars.count {
      guard isWordCharacter(scalars[index]) else {
        output.append(scalars[index])
        index += 1
        continue
      }
      var end = index + 1
      while end < scalars.count && isWordCharacter(scalars[end]) { end += 1 }
      let word = scalars[index..<end]
      if word.count <= 3 && articles.contains(where: { $0.elementsEqual(word) }) {
        output.append(" ")
      } else {
        output.append(contentsOf: word)
      }
      index = end
    }
    return output
  }

  /// ICU's `\w`, which decides where `\b` falls: letters, marks, decimal digits, connector
  /// punctuation and the zero-width (non-)joiners.
  private static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 128 { return asciiWord[Int(scalar.value)] }
    let properties = scalar.properties
    if properties.isAlphabetic || scalar == "\u{200C}" || scalar == "\u{200D}" { return true }
    switch properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
    default: return false
    }
  }

  /// `" ".join(text.split())`: runs of whitespace become one space, none at either end.
  private static func collapsingWhitespace(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var output: [Unicode.Scalar] = []
    output.reserveCapacity(scalars.count)
    var pendingSpace = false
    for scalar in scalars {
      if isWhitespace(scalar) {
        pendingSpace = !output.isEmpty
      } else {
        if pendingSpace { output.append(" ") }
        pendingSpace = false
        output.append(scalar)
      }
    }
    return output
  }

  private static func trimmed(_ scalars: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
    let isSpace = { (scalar: Unicode.Scalar) in CharacterSet.whitespacesAndNewlines.contains(scalar) }
    guard let first = scalars.firstIndex(where: { !isSpace($0) }),
      let last = scalars.lastIndex(where: { !isSpace($0) })
    else { return [] }
    return scalars[first...last]
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
