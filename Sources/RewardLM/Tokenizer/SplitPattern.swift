/// The pre-tokenizer regexes of byte-level BPE vocabularies, as hand-written scanners over Unicode
/// scalars. Each one splits a text exactly where the regex (Oniguruma in Hugging Face `tokenizers`,
/// PCRE-like in llama.cpp) would: every scalar ends up in one piece and pieces follow each other.
/// Swift Regex would do the same job an order of magnitude slower.
public enum SplitPattern: String, Sendable, CaseIterable {
  /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
  /// (the `ByteLevel` pre-tokenizer's own regex; SmolLM2 after its digit split).
  case gpt2
  /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
  case llama3
  /// Qwen2: as Llama 3 but one number per piece (`\p{N}` instead of `\p{N}{1,3}`).
  case qwen2

  /// The regex source as `tokenizer.json` spells it (`Split.pattern.Regex`).
  public var regex: String {
    switch self {
    case .gpt2: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    case .llama3:
      #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    case .qwen2:
      #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    }
  }

  /// The pattern a `tokenizer.json` regex spells, if it is one of ours.
  public init?(regex: String) {
    guard let pattern = Self.allCases.first(where: { $0.regex == regex }) else { return nil }
    self = pattern
  }

  /// The end offsets of the pieces of `scalars` (each piece starts where the previous one ended).
  public func pieceEnds(_ scalars: [Unicode.Scalar]) -> [Int] {
    let classes = scalars.map(ScalarClass.init)
    var ends: [Int] = []
    ends.reserveCapacity(scalars.count / 3 + 1)
    var position = 0
    while position < scalars.count {
      let end =
        switch self {
        case .gpt2: gpt2Match(scalars, classes, position)
        case .llama3: llama3Match(scalars, classes, position, maxDigits: 3)
        case .qwen2: llama3Match(scalars, classes, position, maxDigits: 1)
        }
      ends.append(end)
      position = end
    }
    return ends
  }

  // MARK: GPT-2

  private func gpt2Match(_ s: [Unicode.Scalar], _ c: [ScalarClass], _ start: Int) -> Int {
    let n = s.count
    if let end = contraction(s, start, caseInsensitive: false) { return end }
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional space, then a run of one class.
    var i = start
    if s[i] == " ", i + 1 < n { i += 1 }
    let kind = c[i]
    if kind == .letter || kind == .number || kind == .other {
      var end = i
      while end < n, c[end] == kind { end += 1 }
      return end
    }
    return whitespaceRun(c, start)
  }

  // MARK: Llama 3 / Qwen2

  private func llama3Match(_ s: [Unicode.Scalar], _ c: [ScalarClass], _ start: Int, maxDigits: Int) -> Int {
    let n = s.count
    if let end = contraction(s, start, caseInsensitive: true) { return end }
    // `[^\r\n\p{L}\p{N}]?\p{L}+`
    let first = c[start]
    if first == .letter || (first != .newline && first != .number && start + 1 < n && c[start + 1] == .letter) {
      var end = first == .letter ? start : start + 1
      while end < n, c[end] == .letter { end += 1 }
      return end
    }
    // `\p{N}{1,3}` (or `\p{N}`)
    if first == .number {
      var end = start
      while end < n, end - start < maxDigits, c[end] == .number { end += 1 }
      return end
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    var i = start
    if s[i] == " ", i + 1 < n, c[i + 1] == .other { i += 1 }
    if c[i] == .other {
      var end = i
      while end < n, c[end] == .other { end += 1 }
      while end < n, c[end] == .newline { end += 1 }
      return end
    }
    // `\s*[\r\n]+`: through the last line break of the whitespace run.
    var runEnd = start
    var lastBreakEnd: Int? = nil
    while runEnd < n, c[runEnd].isWhitespace {
      if c[runEnd] == .newline { lastBreakEnd = runEnd + 1 }
      runEnd += 1
    }
    if let lastBreakEnd { return lastBreakEnd }
    return whitespaceRun(c, start)
  }

  // MARK: Shared parts

  /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally case-insensitive.
  private func contraction(_ s: [Unicode.Scalar], _ start: Int, caseInsensitive: Bool) -> Int? {
    guard s[start] == "'", start + 1 < s.count else { return nil }
    func lower(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
      guard caseInsensitive, scalar.value >= 0x41, scalar.value <= 0x5A else { return scalar }
      return Unicode.Scalar(scalar.value + 0x20)!
    }
    let a = lower(s[start + 1])
    if a == "s" || a == "t" || a == "m" || a == "d" { return start + 2 }
    guard start + 2 < s.count else { return nil }
    let b = lower(s[start + 2])
    if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return start + 3 }
    return nil
  }

  /// `\s+(?!\S)|\s+` at a whitespace scalar: the run, less its last scalar when a non-space
  /// follows (that one goes with the next word), but never less than one scalar.
  private func whitespaceRun(_ c: [ScalarClass], _ start: Int) -> Int {
    var end = start
    while end < c.count, c[end].isWhitespace { end += 1 }
    if end < c.count, end - start > 1 { end -= 1 }
    return max(end, start + 1)
  }
}

/// What the regexes distinguish about a scalar: `\p{L}`, `\p{N}`, `\s` (with `[\r\n]` apart) or
/// anything else.
enum ScalarClass: UInt8 {
  case letter, number, whitespace, newline, other

  var isWhitespace: Bool { self == .whitespace || self == .newline }

  init(_ scalar: Unicode.Scalar) {
    let v = scalar.value
    if v < 0x80 {
      self = Self.ascii[Int(v)]
      return
    }
    let properties = scalar.properties
    switch properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
    case .decimalNumber, .letterNumber, .otherNumber: self = .number
    default: self = properties.isWhitespace ? .whitespace : .other
    }
  }

  private static let ascii: [ScalarClass] = (0..<128).map { v in
    switch v {
    case 0x0A, 0x0D: .newline
    case 0x09, 0x0B, 0x0C, 0x20: .whitespace
    case 0x30...0x39: .number
    case 0x41...0x5A, 0x61...0x7A: .letter
    default: .other
    }
  }
}
