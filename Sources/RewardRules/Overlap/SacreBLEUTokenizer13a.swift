/// sacreBLEU's default `13a` tokeniser (mteval-v13a), reproduced rule for rule on Unicode scalars
/// (Python strings are sequences of code points, so the two agree character for character).
public enum SacreBLEUTokenizer13a {
  /// The tokens of `line` after `rstrip()` and 13a tokenisation, as sacreBLEU's BLEU sees them.
  public static func tokenize(_ line: String) -> [Substring] {
    tokenizedLine(line).split(separator: " ")
  }

  /// The tokenised line, tokens joined by single spaces.
  public static func tokenizedLine(_ line: String) -> String {
    var text = Substring(line)
    while let last = text.unicodeScalars.last, isPythonSpace(last) { text = text.dropLast() }
    var s = String(text).replacingOccurrences(of: "<skipped>", with: "")
      .replacingOccurrences(of: "-\n", with: "").replacingOccurrences(of: "\n", with: " ")
    if s.contains("&") {
      s = s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    }
    var scalars: [Unicode.Scalar] = [" "]
    scalars.append(contentsOf: s.unicodeScalars)
    scalars.append(" ")
    scalars = padSymbols(scalars)
    scalars = splitPeriodCommaAfterNonDigit(scalars)
    scalars = splitPeriodCommaBeforeNonDigit(scalars)
    scalars = splitDashAfterDigit(scalars)
    var result = String.UnicodeScalarView()
    var pendingSpace = false
    for c in scalars {
      if isPythonSpace(c) {
        pendingSpace = !result.isEmpty
      } else {
        if pendingSpace { result.append(" ") }
        pendingSpace = false
        result.append(c)
      }
    }
    return String(result)
  }

  /// Python's `str.isspace` (what `str.split()` splits on): Unicode White_Space plus U+001C–U+001F.
  @inline(__always) static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
    switch c.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
      true
    default: false
    }
  }

  @inline(__always) private static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
  @inline(__always) private static func isPeriodOrComma(_ c: Unicode.Scalar) -> Bool { c == "." || c == "," }

  /// `([\{-\~\[-\` -\&\(-\+\:-\@\/])` → ` \1 `
  private static func padSymbols(_ input: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(input.count * 2)
    for c in input {
      switch c.value {
      case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F:
        out.append(" ")
        out.append(c)
        out.append(" ")
      default: out.append(c)
      }
    }
    return out
  }

  /// `([^0-9])([\.,])` → `\1 \2 `, matched left to right without overlap like `re.sub`.
  private static func splitPeriodCommaAfterNonDigit(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(s.count + s.count / 4)
    var i = 0
    while i < s.count {
      if i + 1 < s.count, !isDigit(s[i]), isPeriodOrComma(s[i + 1]) {
        out.append(contentsOf: [s[i], " ", s[i + 1], " "])
        i += 2
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return out
  }

  /// `([\.,])([^0-9])` → ` \1 \2`
  private static func splitPeriodCommaBeforeNonDigit(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(s.count + s.count / 4)
    var i = 0
    while i < s.count {
      if i + 1 < s.count, isPeriodOrComma(s[i]), !isDigit(s[i + 1]) {
        out.append(contentsOf: [" ", s[i], " ", s[i + 1]])
        i += 2
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return out
  }

  /// `([0-9])(-)` → `\1 \2 `
  private static func splitDashAfterDigit(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(s.count + s.count / 8)
    var i = 0
    while i < s.count {
      if i + 1 < s.count, isDigit(s[i]), s[i + 1] == "-" {
        out.append(contentsOf: [s[i], " ", "-", " "])
        i += 2
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return out
  }
}
