import Foundation

/// A final answer rewritten into a canonical LaTeX-ish form: no `$`, `\left`/`\right`, spacing
/// commands, degree signs, units in `\text{…}`, thousands separators or `x =` prefixes.
struct NormalizedAnswer: Sendable, Equatable {
  var text: String
  /// The answer was written as a percentage (`50\%`): 50 and 0.5 are both accepted.
  var hadPercent: Bool
}

enum MathNormalizer {
  static let unitWords: [String] = [
    "square", "sq", "cubic", "units", "unit", "degrees", "degree", "dollars", "dollar", "cents", "cent",
    "inches", "inch", "feet", "foot", "ft", "yards", "yard", "miles", "mile", "mph", "meters", "meter", "metres",
    "cm", "mm", "km", "m", "kg", "g", "grams", "gram", "pounds", "pound", "lbs", "lb", "ounces", "oz", "hours",
    "hour", "minutes", "minute", "seconds", "second", "days", "day", "weeks", "week", "years", "year", "liters",
    "liter", "gallons", "gallon", "people", "students", "apples", "marbles", "points", "ways", "times", "percent",
  ]

  private static func regex(_ pattern: String) -> NSRegularExpression { try! NSRegularExpression(pattern: pattern) }

  private static let textCommands = [
    "\\text", "\\textbf", "\\textit", "\\mathrm", "\\mathbf", "\\mbox", "\\operatorname",
  ]
  private static let leftRight = regex(#"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])"#)
  private static let spacing = regex(#"(?<!\\)\\[!,;: ]|\\q?quad(?![a-zA-Z])|\\displaystyle|~"#)
  private static let degrees = regex(#"\^\s*\{?\s*\\circ\s*\}?|°|\\circ|\\degree"#)
  private static let membership = regex(#"^[a-zA-Z]\s*\\in\s*"#)
  private static let variablePrefix = regex(#"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\s*=\s*"#)
  private static let thousands = regex(#"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"#)
  private static let trailingZeros = regex(#"^(-?\d+)\.0+$"#)
  private static let trailingUnits: NSRegularExpression = {
    let words = unitWords.sorted { $0.count > $1.count }.joined(separator: "|")
    return regex(#"(?<=[\d}])\s+(?:(?:"# + words + #")\s*)+(?:\^\s*\{?[23]\}?)?$"#)
  }()

  private static let latexThousandsSeparator = regex(#",\\!\s*"#)

  /// Each rewrite runs only when the text holds a character it could act on: most answers are
  /// plain numbers, and the regular expressions (ICU through NSString) dominated a verdict's cost.
  static func normalize(_ raw: String) -> NormalizedAnswer {
    var s = raw.trimmingSpacesAndNewlines()
    if s.hasPrefix("\\boxed") || s.hasPrefix("\\fbox"), let inner = MathAnswerExtractor.lastBoxed(in: s) {
      s = inner
    }
    let hasBackslash = s.unicodeScalars.contains("\\")
    if s.unicodeScalars.contains("$") { s = s.replacingLiteral("\\$", with: "").replacingLiteral("$", with: "") }
    if hasBackslash {
      s = s.replacingLiteral("\\dfrac", with: "\\frac").replacingLiteral("\\tfrac", with: "\\frac")
      s = s.replacingLiteral("\\dbinom", with: "\\binom").replacingLiteral("\\tbinom", with: "\\binom")
      // `,\!` and `{,}` are LaTeX thousands separators: 10,\!080 is ten thousand and eighty.
      s = replace(latexThousandsSeparator, in: s, with: "")
    }
    if s.unicodeScalars.contains(",") { s = s.replacingLiteral("{,}", with: "") }
    if hasBackslash { s = replace(leftRight, in: s, with: "") }
    if hasBackslash || s.unicodeScalars.contains("~") { s = replace(spacing, in: s, with: " ") }
    if hasBackslash || s.unicodeScalars.contains("°") { s = replace(degrees, in: s, with: "") }
    var hadPercent = false
    if s.containsLiteral("%") {
      hadPercent = true
      s = s.replacingLiteral("\\%", with: "").replacingLiteral("%", with: "")
    }
    if hasBackslash { s = unwrapTextCommands(s) }
    if s.unicodeScalars.contains(where: \.properties.isWhitespace) { s = replace(trailingUnits, in: s, with: "") }
    s = s.trimmingSpaces()
    while s.hasSuffix(".") { s.removeLast() }
    if hasBackslash { s = replace(membership, in: s, with: "") }
    if s.filter({ $0 == "=" }).count == 1, matches(variablePrefix, s) {
      s = replace(variablePrefix, in: s, with: "")
    }
    s = s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).joined(separator: " ")
    if s.unicodeScalars.contains(","), matches(thousands, s) { s = s.replacingLiteral(",", with: "") }
    if s.unicodeScalars.contains(".") { s = replace(trailingZeros, in: s, with: "$1") }
    return NormalizedAnswer(text: s, hadPercent: hadPercent)
  }

  /// `\text{…}` and friends: a unit after a quantity (`5.4 \text{ cents}`) is dropped; otherwise the
  /// group is replaced by its content (`\text{Evelyn}` → `Evelyn`). Iterative brace matching.
  static func unwrapTextCommands(_ input: String) -> String {
    var s = input
    var guardCount = 0
    while guardCount < 64, let (contentRange, wholeRange) = firstTextCommand(in: s) {
      guardCount += 1
      let content = String(s[contentRange])
      let before = s[..<wholeRange.lowerBound].trimmingSpaces()
      let words = content.lowercased().split(separator: " ").map(String.init)
      let isUnit =
        !before.isEmpty && !words.isEmpty
        && (content.hasPrefix(" ") || words.allSatisfy { unitWords.contains($0) })
        && content.allSatisfy { $0.isLetter || $0 == " " }
      var after = wholeRange.upperBound
      if isUnit {
        // Also drop a power on the unit (`\mbox{ inches}^2`).
        let rest = s[after...]
        if let power = rest.range(of: #"^\s*\^\s*\{?[23]\}?"#, options: .regularExpression) {
          after = power.upperBound
        }
        s.replaceSubrange(wholeRange.lowerBound..<after, with: "")
      } else {
        s.replaceSubrange(wholeRange, with: content)
      }
    }
    return s
  }

  private static func firstTextCommand(in s: String) -> (content: Range<String.Index>, whole: Range<String.Index>)? {
    var earliest: Range<String.Index>?
    for command in textCommands {
      guard let range = s.literalRange(of: command + "{") else { continue }
      if earliest == nil || range.lowerBound < earliest!.lowerBound { earliest = range }
    }
    guard let opening = earliest else { return nil }
    var depth = 0
    var index = s.index(before: opening.upperBound)
    while index < s.endIndex {
      let c = s[index]
      if c == "{" { depth += 1 }
      if c == "}" {
        depth -= 1
        if depth == 0 {
          return (opening.upperBound..<index, opening.lowerBound..<s.index(after: index))
        }
      }
      index = s.index(after: index)
    }
    return nil
  }

  static func replace(_ regex: NSRegularExpression, in s: String, with template: String) -> String {
    regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
  }

  static func matches(_ regex: NSRegularExpression, _ s: String) -> Bool {
    regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
  }
}
