/// sacreBLEU's default `13a` tokeniser (mteval-v13a), reproduced rule for rule on Unicode code
/// points (Python strings are sequences of code points, so the two agree character for character,
/// and tokens compare by code points, not by Swift's canonical equivalence).
public enum SacreBLEUTokenizer13a {
  /// The tokens of `line` after `rstrip()` and 13a tokenisation, as sacreBLEU's BLEU sees them.
  public static func tokenize(_ line: String) -> [String] {
    let text = tokenizeScalars(line)
    return text.tokens.map { range in
      String(String.UnicodeScalarView(text.scalars[range].map { Unicode.Scalar($0)! }))
    }
  }

  /// The tokenised line, tokens joined by single spaces (sacreBLEU's tokenizer output).
  public static func tokenizedLine(_ line: String) -> String { tokenize(line).joined(separator: " ") }

  /// Code points and the token ranges within them.
  struct Tokenized {
    var scalars: [UInt32]
    var tokens: [Range<Int>]
  }

  static func tokenizeScalars(_ line: String) -> Tokenized {
    var s = line.unicodeScalars.map(\.value)
    while let last = s.last, isPythonSpace(last) { s.removeLast() }
    s = replaceAll(s, "<skipped>", "")
    s = replaceAll(s, "-\n", "")
    s = replaceAll(s, "\n", " ")
    if s.contains(0x26) {  // "&"
      s = replaceAll(s, "&quot;", "\"")
      s = replaceAll(s, "&amp;", "&")
      s = replaceAll(s, "&lt;", "<")
      s = replaceAll(s, "&gt;", ">")
    }
    var padded: [UInt32] = [0x20]
    padded.reserveCapacity(s.count * 2 + 2)
    // `([\{-\~\[-\` -\&\(-\+\:-\@\/])` → ` \1 `
    for c in s {
      switch c {
      case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F:
        padded.append(0x20)
        padded.append(c)
        padded.append(0x20)
      default: padded.append(c)
      }
    }
    padded.append(0x20)
    // `([^0-9])([\.,])` → `\1 \2 `, left to right without overlap like `re.sub`.
    padded = rewritePairs(padded) {
      !isDigit($0) && isPeriodOrComma($1)
    } emit: { out, a, b in
      out.append(a)
      out.append(0x20)
      out.append(b)
      out.append(0x20)
    }
    // `([\.,])([^0-9])` → ` \1 \2`
    padded = rewritePairs(padded) {
      isPeriodOrComma($0) && !isDigit($1)
    } emit: { out, a, b in
      out.append(0x20)
      out.append(a)
      out.append(0x20)
      out.append(b)
    }
    // `([0-9])(-)` → `\1 \2 `
    padded = rewritePairs(padded) {
      isDigit($0) && $1 == 0x2D
    } emit: { out, a, b in
      out.append(a)
      out.append(0x20)
      out.append(b)
      out.append(0x20)
    }
    // `' '.join(line.split())`, then BLEU's own `split()`: the tokens are the non-space runs.
    var tokens: [Range<Int>] = []
    var start: Int?
    for (index, c) in padded.enumerated() {
      if isPythonSpace(c) {
        if let begin = start { tokens.append(begin..<index) }
        start = nil
      } else if start == nil {
        start = index
      }
    }
    if let begin = start { tokens.append(begin..<padded.count) }
    return Tokenized(scalars: padded, tokens: tokens)
  }

  /// Python's `str.isspace` (what `str.split()` splits on): Unicode White_Space plus U+001C–U+001F.
  @inline(__always) static func isPythonSpace(_ c: UInt32) -> Bool {
    switch c {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
      true
    default: false
    }
  }

  @inline(__always) static func isPythonSpace(_ c: Unicode.Scalar) -> Bool { isPythonSpace(c.value) }
  @inline(__always) private static func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
  @inline(__always) private static func isPeriodOrComma(_ c: UInt32) -> Bool { c == 0x2E || c == 0x2C }

  /// One `re.sub` pass of a two-character pattern: scans left to right, and where `matches(a, b)`
  /// holds writes `emit(a, b)` and skips both characters.
  @inline(__always) private static func rewritePairs(
    _ s: [UInt32], _ matches: (UInt32, UInt32) -> Bool, emit: (inout [UInt32], UInt32, UInt32) -> Void
  ) -> [UInt32] {
    var out: [UInt32] = []
    out.reserveCapacity(s.count + s.count / 2)
    var i = 0
    while i < s.count {
      if i + 1 < s.count, matches(s[i], s[i + 1]) {
        emit(&out, s[i], s[i + 1])
        i += 2
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return out
  }

  /// Python's `str.replace(pattern, replacement)`: left to right, without overlap.
  private static func replaceAll(_ s: [UInt32], _ pattern: String, _ replacement: String) -> [UInt32] {
    let p = pattern.unicodeScalars.map(\.value)
    guard let first = p.first, s.contains(first) else { return s }
    let r = replacement.unicodeScalars.map(\.value)
    var out: [UInt32] = []
    out.reserveCapacity(s.count)
    var i = 0
    while i < s.count {
      if s[i] == first, i + p.count <= s.count, s[i..<(i + p.count)].elementsEqual(p) {
        out.append(contentsOf: r)
        i += p.count
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return out
  }
}

/// Gives each distinct token (a code-point sequence) a dense id ≥ 1, comparing code points exactly.
struct TokenInterner {
  private var slots: [Int32]
  private var tokenScalars: [[UInt32]] = []
  private var hashes: [UInt64] = []
  private var mask: Int

  init(expectedTokens: Int) {
    var capacity = 64
    while capacity < 2 * expectedTokens { capacity <<= 1 }
    slots = Array(repeating: -1, count: capacity)
    mask = capacity - 1
  }

  var count: Int { tokenScalars.count }

  mutating func id(of token: ArraySlice<UInt32>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for c in token { hash = (hash ^ UInt64(c)) &* 0x100_0000_01B3 }
    var index = Int(truncatingIfNeeded: hash >> 7) & mask
    while slots[index] >= 0 {
      let existing = Int(slots[index])
      if hashes[existing] == hash && tokenScalars[existing].elementsEqual(token) { return UInt64(existing + 1) }
      index = (index + 1) & mask
    }
    slots[index] = Int32(tokenScalars.count)
    tokenScalars.append(Array(token))
    hashes.append(hash)
    if tokenScalars.count * 2 > slots.count { grow() }
    return UInt64(tokenScalars.count)
  }

  private mutating func grow() {
    slots = Array(repeating: -1, count: slots.count * 2)
    mask = slots.count - 1
    for (existing, hash) in hashes.enumerated() {
      var index = Int(truncatingIfNeeded: hash >> 7) & mask
      while slots[index] >= 0 { index = (index + 1) & mask }
      slots[index] = Int32(existing)
    }
  }
}
