import Foundation

/// The shape of a final answer, read from its normalised text.
indirect enum MathAnswer: Sendable {
  /// Something arithmetic or algebraic.
  case expression(MathExpression, text: String)
  /// Tuples, intervals, vectors, matrices: order and bracket kinds matter.
  case ordered(open: String, close: String, [MathAnswer])
  /// Sets, bare lists of solutions, unions of intervals, `a \pm b`: order does not matter.
  case unordered([MathAnswer])
  /// `lhs = rhs` where lhs is not a lone variable.
  case equation(MathExpression, MathExpression, text: String)
  /// Words, base-subscripted numbers, anything the parser does not read: compared as text.
  case text(String)

  static let maximumNesting = 8

  /// Reads a normalised answer. Never throws: what does not parse is text.
  static func read(_ text: String, maximumTokens: Int, nesting: Int = 0) -> MathAnswer {
    let s = text.trimmingCharacters(in: .whitespaces)
    guard nesting < maximumNesting, !s.isEmpty else { return .text(s) }
    let scalars = Array(s.unicodeScalars)
    // Matching unordered items is quadratic, so very long lists are compared as text.
    let maximumItems = 64

    let unionParts = splitTopLevel(scalars, separator: "\\cup")
    if unionParts.count > 1 {
      return .unordered(unionParts.map { read($0, maximumTokens: maximumTokens, nesting: nesting + 1) })
    }

    if let matrix = readMatrix(s, maximumTokens: maximumTokens, nesting: nesting) { return matrix }

    if s.hasPrefix("\\{"), s.hasSuffix("\\}"), outerBracketsEnclose(scalars, openLength: 2) {
      let inner = String(s.dropFirst(2).dropLast(2))
      return .unordered(
        splitTopLevel(Array(inner.unicodeScalars), separator: ",").map {
          read($0, maximumTokens: maximumTokens, nesting: nesting + 1)
        })
    }
    let commaParts = splitTopLevel(scalars, separator: ",")
    if let first = s.first, let last = s.last, "([".contains(first), ")]".contains(last),
      outerBracketsEnclose(scalars, openLength: 1)
    {
      let inner = Array(scalars.dropFirst().dropLast())
      let parts = splitTopLevel(inner, separator: ",")
      if parts.count > 1 {
        return .ordered(
          open: String(first), close: String(last),
          parts.map { read($0, maximumTokens: maximumTokens, nesting: nesting + 1) })
      }
    }
    if commaParts.count > maximumItems { return .text(s) }
    if commaParts.count > 1 {
      return .unordered(commaParts.map { read($0, maximumTokens: maximumTokens, nesting: nesting + 1) })
    }

    if let range = s.range(of: "\\pm") {
      let plus = s.replacingCharacters(in: range, with: "+")
      let minus = s.replacingCharacters(in: range, with: "-")
      return .unordered([
        read(plus, maximumTokens: maximumTokens, nesting: nesting + 1),
        read(minus, maximumTokens: maximumTokens, nesting: nesting + 1),
      ])
    }
    if s.contains("\\le") || s.contains("\\ge") || s.contains("<") || s.contains(">") || s.contains("\\ne") {
      return .text(s)
    }
    if hasWord(s) { return .text(s) }

    let sides = splitTopLevel(scalars, separator: "=")
    if sides.count == 2 {
      guard let lhs = try? MathExpressionParser.parse(sides[0], maximumTokens: maximumTokens),
        let rhs = try? MathExpressionParser.parse(sides[1], maximumTokens: maximumTokens)
      else { return .text(s) }
      return .equation(lhs, rhs, text: s)
    }
    guard sides.count == 1, let expression = try? MathExpressionParser.parse(s, maximumTokens: maximumTokens) else {
      return .text(s)
    }
    return .expression(expression, text: s)
  }

  private static let word = try! NSRegularExpression(pattern: #"(?<![\\a-zA-Z])[a-zA-Z]{3,}"#)

  /// Three letters in a row outside a command are a word ("Evelyn", "east"), not a product x·y·z.
  private static func hasWord(_ s: String) -> Bool { MathNormalizer.matches(word, s) }

  /// `\begin{pmatrix} a & b \\ c & d \end{pmatrix}`: rows in order, cells in order.
  private static func readMatrix(_ s: String, maximumTokens: Int, nesting: Int) -> MathAnswer? {
    for kind in ["pmatrix", "bmatrix", "matrix", "vmatrix"] {
      let begin = "\\begin{\(kind)}"
      let end = "\\end{\(kind)}"
      guard s.hasPrefix(begin), s.hasSuffix(end), s.count >= begin.count + end.count else { continue }
      let body = String(s.dropFirst(begin.count).dropLast(end.count))
      let rows = body.components(separatedBy: "\\\\").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
      return .ordered(
        open: "matrix", close: "matrix",
        rows.map { row in
          .ordered(
            open: "row", close: "row",
            row.components(separatedBy: "&").map { read($0, maximumTokens: maximumTokens, nesting: nesting + 1) })
        })
    }
    return nil
  }

  /// Whether the first bracket closes at the very end (so `(1,2)` is enclosed but `(1)+(2)` is not).
  private static func outerBracketsEnclose(_ scalars: [Unicode.Scalar], openLength: Int) -> Bool {
    var depth = 0
    var i = 0
    while i < scalars.count {
      let c = scalars[i]
      if c == "\\", i + 1 < scalars.count, scalars[i + 1] == "{" || scalars[i + 1] == "}" {
        depth += scalars[i + 1] == "{" ? 1 : -1
        i += 2
      } else {
        if c == "(" || c == "[" || c == "{" { depth += 1 }
        if c == ")" || c == "]" || c == "}" { depth -= 1 }
        i += 1
      }
      if depth == 0 && i < scalars.count { return false }
    }
    return depth == 0
  }

  /// Splits at `separator` where no bracket is open. Intervals such as `[1,2)` count as brackets.
  static func splitTopLevel(_ scalars: [Unicode.Scalar], separator: String) -> [String] {
    let sep = Array(separator.unicodeScalars)
    var parts: [String] = []
    var depth = 0
    var start = 0
    var i = 0
    while i < scalars.count {
      let c = scalars[i]
      if depth == 0, scalars.count - i >= sep.count, scalars[i..<(i + sep.count)].elementsEqual(sep),
        !(sep.first == "\\" && i + sep.count < scalars.count && scalars[i + sep.count].properties.isAlphabetic)
      {
        parts.append(String(String.UnicodeScalarView(scalars[start..<i])))
        i += sep.count
        start = i
        continue
      }
      if c == "\\", i + 1 < scalars.count, scalars[i + 1] == "{" || scalars[i + 1] == "}" {
        depth += scalars[i + 1] == "{" ? 1 : -1
        i += 2
        continue
      }
      if c == "(" || c == "[" || c == "{" { depth += 1 }
      if c == ")" || c == "]" || c == "}" { depth = max(0, depth - 1) }
      i += 1
    }
    parts.append(String(String.UnicodeScalarView(scalars[start..<scalars.count])))
    return parts.map { $0.trimmingCharacters(in: .whitespaces) }
  }
}
