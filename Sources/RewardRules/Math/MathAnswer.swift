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
    let s = text.trimmingSpaces()
    guard nesting < maximumNesting, !s.isEmpty else { return .text(s) }
    let utf8 = Array(s.utf8)
    // Matching unordered items is quadratic, so very long lists are compared as text.
    let maximumItems = 64

    let unionParts = splitTopLevel(utf8, separator: "\\cup")
    if unionParts.count > 1 {
      return .unordered(unionParts.map { read($0, maximumTokens: maximumTokens, nesting: nesting + 1) })
    }

    if let matrix = readMatrix(s, maximumTokens: maximumTokens, nesting: nesting) { return matrix }

    if s.hasPrefix("\\{"), s.hasSuffix("\\}"), outerBracketsEnclose(utf8, openLength: 2) {
      let inner = String(s.dropFirst(2).dropLast(2))
      return .unordered(
        splitTopLevel(Array(inner.utf8), separator: ",").map {
          read($0, maximumTokens: maximumTokens, nesting: nesting + 1)
        })
    }
    let commaParts = splitTopLevel(utf8, separator: ",")
    if let first = s.first, let last = s.last, "([".contains(first), ")]".contains(last),
      outerBracketsEnclose(utf8, openLength: 1)
    {
      let inner = Array(utf8.dropFirst().dropLast())  // one-byte brackets
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

    if let range = s.literalRange(of: "\\pm") {
      var plus = s
      plus.replaceSubrange(range, with: "+")
      var minus = s
      minus.replaceSubrange(range, with: "-")
      return .unordered([
        read(plus, maximumTokens: maximumTokens, nesting: nesting + 1),
        read(minus, maximumTokens: maximumTokens, nesting: nesting + 1),
      ])
    }
    if ["\\le", "\\ge", "<", ">", "\\ne"].contains(where: s.containsLiteral) {
      return .text(s)
    }
    if hasWord(s) { return .text(s) }

    let sides = splitTopLevel(utf8, separator: "=")
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
      let rows = body.components(separatedBy: "\\\\").map { $0.trimmingSpaces() }
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
  /// Works on UTF-8 bytes: every bracket is ASCII.
  private static func outerBracketsEnclose(_ utf8: [UInt8], openLength: Int) -> Bool {
    var depth = 0
    var i = 0
    while i < utf8.count {
      let c = utf8[i]
      if c == UInt8(ascii: "\\"), i + 1 < utf8.count,
        utf8[i + 1] == UInt8(ascii: "{") || utf8[i + 1] == UInt8(ascii: "}")
      {
        depth += utf8[i + 1] == UInt8(ascii: "{") ? 1 : -1
        i += 2
      } else {
        if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth += 1 }
        if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { depth -= 1 }
        i += 1
      }
      if depth == 0 && i < utf8.count { return false }
    }
    return depth == 0
  }

  /// Splits at `separator` where no bracket is open. Intervals such as `[1,2)` count as brackets.
  /// Works on UTF-8 bytes (separators and brackets are ASCII, so every cut is a scalar boundary);
  /// a command separator (`\cup`) must not run on into a longer command (`\cupola`).
  static func splitTopLevel(_ utf8: [UInt8], separator: String) -> [String] {
    let sep = Array(separator.utf8)
    var parts: [String] = []
    var depth = 0
    var start = 0
    var i = 0
    while i < utf8.count {
      let c = utf8[i]
      if depth == 0, utf8.count - i >= sep.count, utf8[i..<(i + sep.count)].elementsEqual(sep),
        !(sep.first == UInt8(ascii: "\\") && startsWithLetter(utf8[(i + sep.count)...]))
      {
        parts.append(String(decoding: utf8[start..<i], as: UTF8.self))
        i += sep.count
        start = i
        continue
      }
      if c == UInt8(ascii: "\\"), i + 1 < utf8.count,
        utf8[i + 1] == UInt8(ascii: "{") || utf8[i + 1] == UInt8(ascii: "}")
      {
        depth += utf8[i + 1] == UInt8(ascii: "{") ? 1 : -1
        i += 2
        continue
      }
      if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth += 1 }
      if c == UInt8(ascii: ")") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { depth = max(0, depth - 1) }
      i += 1
    }
    parts.append(String(decoding: utf8[start..<utf8.count], as: UTF8.self))
    return parts.map { $0.trimmingSpaces() }
  }

  /// Whether the text starts with an alphabetic scalar.
  private static func startsWithLetter(_ utf8: ArraySlice<UInt8>) -> Bool {
    var iterator = utf8.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    guard case .valid(let encoded) = parser.parseScalar(from: &iterator) else { return false }
    return Unicode.UTF8.decode(encoded).properties.isAlphabetic
  }
}
