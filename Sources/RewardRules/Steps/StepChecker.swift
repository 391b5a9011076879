import Foundation
import RewardCore

/// One arithmetic claim found in a step, `left = right`, and whether it holds.
public struct ArithmeticClaim: Sendable, Equatable {
  public var left: String
  public var right: String
  public var leftValue: Double
  public var rightValue: Double
  public var holds: Bool
}

/// What the checker says about one step.
public enum StepCheckVerdict: Sendable, Equatable {
  /// Every checkable claim holds (at least one was checked).
  case verified(claims: Int)
  /// A claim is false: the first false one.
  case refuted(ArithmeticClaim)
  /// Nothing in the step could be checked.
  case neutral

  public var isRefuted: Bool {
    if case .refuted = self { return true }
    return false
  }
}

/// A rule process reward model: checks each step's explicit arithmetic — `16 − 3 = 13`, GSM8K's
/// `<<48/2=24>>` calculator annotations, chained equalities `a = b = c`, LaTeX `\(18 - 6 = 12\)`
/// and `\frac` — with the math engine. Currency signs, thousands separators and `\text{}` units
/// are dropped; a side with a variable or words in it is not checked. Results written with d
/// decimals may be rounded or truncated (tolerance one unit in the last place); `≈` allows 1%.
///
/// It can only catch calculation slips: a wrong plan with correct arithmetic passes, which is why
/// steps with nothing to check are neutral rather than right.
public struct StepChecker: Sendable {
  public var relativeTolerance: Double
  /// `≈` claims hold within this relative error.
  public var approximateTolerance: Double

  public init(relativeTolerance: Double = 1e-6, approximateTolerance: Double = 0.01) {
    self.relativeTolerance = relativeTolerance
    self.approximateTolerance = approximateTolerance
  }

  /// The verdict on each step, in order.
  public func verdicts(_ steps: [String]) -> [StepCheckVerdict] { steps.map(verdict) }

  /// The predicted first wrong step: the first step with a false claim, −1 when there is none.
  public func firstError(_ steps: [String]) -> Int {
    for (k, step) in steps.enumerated() where verdict(step).isRefuted { return k }
    return -1
  }

  public func verdict(_ step: String) -> StepCheckVerdict {
    let found = claims(in: step)
    if let failed = found.first(where: { !$0.holds }) { return .refuted(failed) }
    return found.isEmpty ? .neutral : .verified(claims: found.count)
  }

  /// Every checkable claim in `step`: calculator annotations first, then equalities in the text.
  public func claims(in step: String) -> [ArithmeticClaim] {
    var found: [ArithmeticClaim] = []
    let whole = NSRange(step.startIndex..., in: step)
    for match in Self.annotation.matches(in: step, range: whole) {
      guard let left = Range(match.range(at: 1), in: step), let right = Range(match.range(at: 2), in: step) else {
        continue
      }
      let pair = [Self.normalize(String(step[left])), Self.normalize(String(step[right]))]
      if let claim = check(pair[0], pair[1], approximate: false) { found.append(claim) }
    }
    let text = Self.normalize(Self.replace(Self.annotation, in: step, with: " "))
    for run in Self.equationRuns(text) { found += checkChain(run) }
    return found
  }

  // MARK: Checking

  /// A chain `a = b ≈ c`: each adjacent pair of checkable sides.
  private func checkChain(_ run: EquationRun) -> [ArithmeticClaim] {
    var sides = run.sides.map { Side(text: Self.collapseSpaces($0.text), approximate: $0.approximate) }
    // A side cut off by words ("apples + 3 = 8", "x + 2 = 5", "= 3 * x") is not the whole
    // expression; nor is one after an operator word ("15 pages x 1/3 = 5").
    if run.wordBefore, let first = sides.first?.text,
      run.operatorWordBefore || (first.first.map({ "+-*/^)!%".contains($0) }) ?? true)
    {
      sides[0].text = ""
    }
    if run.wordAfter, let last = sides.last?.text, last.last.map({ "+-*/^(".contains($0) }) ?? true {
      sides[sides.count - 1].text = ""
    }
    if run.gluedBefore { sides[0].text = "" }
    if run.gluedAfter { sides[sides.count - 1].text = "" }
    var found: [ArithmeticClaim] = []
    for k in 0..<(sides.count - 1) {
      // Two bare numbers are a claim only inside a longer chain ("2 + 3 = 5 = 6"); alone they are
      // more often labels or restatements ("Step 3 = …").
      guard
        let claim = check(
          sides[k].text, sides[k + 1].text, approximate: sides[k + 1].approximate, allowLiterals: sides.count > 2)
      else { continue }
      // A running computation "3/2 = 1.50 + 3.00 = 4.50" continues from the previous value: the
      // middle side starts with it, which is not a claim that the two are equal.
      if !claim.holds, k + 2 < sides.count, let lead = Self.leadingNumber(claim.right),
        close(claim.leftValue, lead, decimals: Self.decimals(of: claim.right), approximate: false)
      {
        continue
      }
      found.append(claim)
    }
    return found
  }

  private static func collapseSpaces(_ text: String) -> String {
    text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
  }

  /// The number a side starts with ("1.50 + 3.00" → 1.5).
  private static func leadingNumber(_ side: String) -> Double? {
    guard let range = side.range(of: "^-?[0-9]*\\.?[0-9]+", options: .regularExpression) else { return nil }
    return Double(side[range])
  }

  private static func decimals(of side: String) -> Int {
    guard let range = side.range(of: "^-?[0-9]*\\.?[0-9]+", options: .regularExpression),
      let point = side[range].firstIndex(of: ".")
    else { return 0 }
    return side[range][side.index(after: point)...].count
  }

  /// Whether `left = right` holds, or nil when either side cannot be evaluated to a number or
  /// both are bare numbers (no arithmetic to check).
  func check(_ left: String, _ right: String, approximate: Bool, allowLiterals: Bool = false) -> ArithmeticClaim? {
    let l = Self.trimParentheses(left.trimmingCharacters(in: .whitespaces), trailing: false)
    let r = Self.trimParentheses(right.trimmingCharacters(in: .whitespaces), trailing: true)
    guard !l.isEmpty, !r.isEmpty, let leftValues = Self.values(l), let rightValues = Self.values(r) else { return nil }
    guard allowLiterals || !(Self.isLiteral(l) && Self.isLiteral(r)) else { return nil }
    let decimals = max(Self.writtenDecimals(l) ?? 0, Self.writtenDecimals(r) ?? 0)
    var holds = false
    for a in leftValues {
      for b in rightValues where close(a, b, decimals: decimals, approximate: approximate) { holds = true }
    }
    return ArithmeticClaim(left: l, right: r, leftValue: leftValues[0], rightValue: rightValues[0], holds: holds)
  }

  private func close(_ a: Double, _ b: Double, decimals: Int, approximate: Bool) -> Bool {
    let scale = max(abs(a), abs(b))
    if approximate, abs(a - b) <= approximateTolerance * scale { return true }
    // A result written with d decimals may be rounded or truncated: one unit in the last place.
    let lastPlace = decimals > 0 ? Foundation.pow(10, -Double(decimals)) : 0
    return abs(a - b) <= max(relativeTolerance * scale, lastPlace * (1 + 1e-9), 1e-9)
  }

  /// The value(s) of a side: two readings when it has `%` (as /100, and as a bare number, since
  /// "20/80 × 100 = 25%" and "0.25 = 25%" are both written). nil when it is not purely numeric.
  static func values(_ side: String) -> [Double]? {
    // Two numbers side by side ("5 3") are units or labels removed from between them, not a product.
    if side.range(of: "[0-9.]\\s+[0-9.]", options: .regularExpression) != nil { return nil }
    // "30/100%1000": a percent sign used as "of" has no reading we can trust.
    if side.range(of: "%\\s*[0-9(]", options: .regularExpression) != nil { return nil }
    let readings =
      side.contains("%")
      ? [side.replacingOccurrences(of: "%", with: "/100"), side.replacingOccurrences(of: "%", with: "")]
      : [side]
    var values: [Double] = []
    for reading in readings {
      guard let expression = try? MathExpressionParser.parse(reading, maximumTokens: 200, maximumDepth: 32),
        expression.variables.isEmpty
      else { return nil }
      let value = expression.evaluate([:])
      guard value.isFinite else { return nil }
      values.append(value)
    }
    return values
  }

  private static func isLiteral(_ side: String) -> Bool {
    side.range(of: "^-?[0-9]*\\.?[0-9]+%?$", options: .regularExpression) != nil
  }

  /// Decimals of a side that is a bare decimal literal (how precisely the writer stated it).
  private static func writtenDecimals(_ side: String) -> Int? {
    guard isLiteral(side), let point = side.firstIndex(of: ".") else { return nil }
    return side[side.index(after: point)...].filter(\.isNumber).count
  }

  /// Drops parentheses left unmatched where a side was cut out of a sentence: "(5 + 3 = 8)".
  static func trimParentheses(_ side: String, trailing: Bool) -> String {
    var text = Substring(side)
    func balance(_ s: Substring) -> Int { s.reduce(0) { $0 + ($1 == "(" ? 1 : $1 == ")" ? -1 : 0) } }
    while balance(text) > 0, let first = text.firstIndex(of: "("), text[..<first].allSatisfy(\.isWhitespace) {
      text = text[text.index(after: first)...]
    }
    while balance(text) < 0, text.last == ")" { text = text.dropLast() }
    // A full stop ending the sentence is not a decimal point.
    if trailing, text.last == "." { text = text.dropLast() }
    return text.trimmingCharacters(in: .whitespaces)
  }

  // MARK: Finding equations

  struct Side {
    var text: String
    /// Joined to the previous side by `≈` rather than `=`.
    var approximate: Bool
  }

  struct EquationRun {
    var sides: [Side]
    /// A word precedes the run (after spaces), or a letter is glued to its first character.
    var wordBefore: Bool
    /// The word before is an operator or a variable ("x", "times", "of", a single letter).
    var operatorWordBefore: Bool
    var gluedBefore: Bool
    var wordAfter: Bool
    var gluedAfter: Bool
  }

  /// Maximal stretches of arithmetic characters that contain `=` or `≈`.
  static func equationRuns(_ text: String) -> [EquationRun] {
    let characters = Array(text)
    var runs: [EquationRun] = []
    var i = 0
    while i < characters.count {
      guard isArithmetic(characters[i]) else {
        i += 1
        continue
      }
      var j = i
      while j < characters.count, isArithmetic(characters[j]) { j += 1 }
      let piece = characters[i..<j]
      if piece.contains("=") || piece.contains("≈") {
        var sides: [Side] = []
        var current = ""
        var approximate = false
        for c in piece {
          if c == "=" || c == "≈" {
            sides.append(Side(text: current, approximate: approximate))
            current = ""
            approximate = c == "≈"
          } else {
            current.append(c)
          }
        }
        sides.append(Side(text: current, approximate: approximate))
        let before = characters[..<i].last
        let after = j < characters.count ? characters[j] : nil
        runs.append(
          EquationRun(
            sides: sides, wordBefore: precededByWord(characters, i),
            operatorWordBefore: operatorWord(before: characters, i),
            gluedBefore: (before?.isLetter ?? false) && !(piece.first?.isWhitespace ?? true),
            wordAfter: after.map { $0.isLetter || $0 == "\\" } ?? false,
            gluedAfter: (after?.isLetter ?? false) && !(piece.last?.isWhitespace ?? true)))
      }
      i = j
    }
    return runs
  }

  private static func precededByWord(_ characters: [Character], _ i: Int) -> Bool {
    var k = i - 1
    while k >= 0, characters[k].isWhitespace { k -= 1 }
    return k >= 0 && (characters[k].isLetter || characters[k] == "\\")
  }

  static let operatorWords: Set<String> = [
    "times", "per", "divided", "multiplied", "plus", "minus", "over", "into",
  ]

  /// Whether the word just before position `i` is an operator word or a single letter (a variable).
  private static func operatorWord(before characters: [Character], _ i: Int) -> Bool {
    var k = i - 1
    while k >= 0, characters[k].isWhitespace { k -= 1 }
    var word = ""
    while k >= 0, characters[k].isLetter || characters[k] == "'" || characters[k] == "’" {
      word.insert(characters[k], at: word.startIndex)
      k -= 1
    }
    // A single letter other than the articles is a variable (or the multiplication sign x).
    return (word.count == 1 && !["a", "A", "I"].contains(word)) || operatorWords.contains(word.lowercased())
  }

  private static func isArithmetic(_ c: Character) -> Bool {
    c.isASCII && (c.isNumber || " .+-*/^()%!=".contains(c)) || c == "≈"
  }

  // MARK: Normalising

  /// Rewrites LaTeX and prose conventions into the plain arithmetic `equationRuns` looks for.
  static func normalize(_ text: String) -> String {
    var s = text
    for (from, to) in operatorRewrites { s = s.replacingOccurrences(of: from, with: to) }
    for (pattern, template) in rewrites {
      // Nested `\frac`s unwrap from the inside out.
      var previous = ""
      var rounds = 0
      while previous != s, rounds < 8 {
        previous = s
        s = replace(pattern, in: s, with: template)
        rounds += 1
      }
    }
    for (from, to) in literalRewrites { s = s.replacingOccurrences(of: from, with: to) }
    return s
  }

  private static func regex(_ pattern: String) -> NSRegularExpression { try! NSRegularExpression(pattern: pattern) }

  static func replace(_ regex: NSRegularExpression, in s: String, with template: String) -> String {
    regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
  }

  private static let annotation = regex("<<([^<>=]+)=([^<>=]+)>>")

  private static let rewrites: [(NSRegularExpression, String)] = [
    // Units and words inside math: \text{ apples}, \mathrm{cm}. Replaced by a word, which stops
    // an equation run there, as a word in prose does.
    (regex("\\\\(?:text|mathrm|textbf|textit|mbox|operatorname)\\s*\\{[^{}]*\\}"), " unit "),
    (regex("\\^\\s*\\{?\\\\circ\\}?"), ""),
    (regex("\\\\[dt]?frac\\s*\\{([^{}]*)\\}\\s*\\{([^{}]*)\\}"), "(($1)/($2))"),
    (regex("\\\\sqrt\\s*\\{([^{}]*)\\}"), "(($1)^(0.5))"),
    (regex("\\\\boxed\\s*\\{([^{}]*)\\}"), "$1"),
    // Thousands separators: 1,000 and 12,345,678 (a comma before exactly three digits).
    (regex("(\\d),(\\d{3})(?!\\d)"), "$1$2"),
    // Unit words between a number and an operator: "60 elves / 3", "50 orders/day * 2".
    (regex("(\\d)\\s*(?:[a-z]{2,}(?:/[a-z]+)?\\s+){1,2}(?=(?:[-+*/×÷−]|x |times )\\s*[\\d$(.])"), "$1 "),
    // "3 x 4", "3x4", "32 x (30/60)" and "3 times 4" between numbers are multiplication.
    (regex("([\\d)])\\s*(?:[x×]|times)\\s*(?=[\\d($]|\\.\\d)"), "$1*"),
    // 2^10 in prose is two to the tenth (TeX would bind only the first digit).
    (regex("\\^\\s*(\\d+(?:\\.\\d+)?)"), "^($1)"),
  ]

  /// Operators first, so the unit rule sees "12 apples * 2" whatever sign was written.
  private static let operatorRewrites: [(String, String)] = [
    ("\\times", " * "), ("\\cdot", " * "), ("\\ast", " * "), ("×", " * "), ("·", " * "), ("\\div", " / "),
    ("÷", " / "), ("−", "-"), ("–", "-"),
  ]

  private static let literalRewrites: [(String, String)] = [
    ("\\left", ""), ("\\right", ""), ("\\approx", "≈"), ("\\%", "%"), ("\\(", " "),
    ("\\)", " "), ("\\[", " "), ("\\]", " "), ("$", " "), ("\\,", ""), ("\\!", ""), ("\\ ", " "), ("{", "("),
    ("}", ")"), ("\u{a0}", " "),
  ]
}
