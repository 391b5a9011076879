/// One step of a byte-level pre-tokenizer, as `tokenizer.json` sequences them: each step cuts every
/// piece the previous steps made.
public enum PreTokenizerStep: Sendable, Equatable {
  /// `Split` with one of the known regexes, behaviour `Isolated` (matches become pieces).
  case split(SplitPattern)
  /// `Digits`: numbers (`char::is_numeric`) apart from the rest, one piece per digit when
  /// `individual`, else one per run.
  case digits(individual: Bool)
  /// `ByteLevel`, always the last step: an optional leading space on every piece and, with
  /// `useRegex`, the GPT-2 split.
  case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
}

/// The pre-tokenizer of a byte-level BPE vocabulary: steps ending in `ByteLevel`.
public struct PreTokenizer: Sendable, Equatable {
  public let steps: [PreTokenizerStep]

  /// Fails unless `steps` ends with exactly one `ByteLevel` step (the byte-level BPE contract).
  public init(_ steps: [PreTokenizerStep]) throws(TokenizerError) {
    let byteLevelCount = steps.count { if case .byteLevel = $0 { true } else { false } }
    guard byteLevelCount == 1, case .byteLevel = steps.last else {
      throw TokenizerError(
        field: "pre_tokenizer", "a byte-level BPE pre-tokenizer must end with one ByteLevel step (found \(steps))")
    }
    self.steps = steps
  }

  /// GPT-2: `ByteLevel` with its own regex.
  public static let gpt2 = try! PreTokenizer([.byteLevel(addPrefixSpace: false, useRegex: true)])
  /// SmolLM2 (and StarCoder): digits one by one, then GPT-2.
  public static let smolLM = try! PreTokenizer([
    .digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true),
  ])
  /// Llama 3.
  public static let llama3 = try! PreTokenizer([.split(.llama3), .byteLevel(addPrefixSpace: false, useRegex: false)])
  /// Qwen2 / Qwen2.5 / Qwen3.
  public static let qwen2 = try! PreTokenizer([.split(.qwen2), .byteLevel(addPrefixSpace: false, useRegex: false)])

  /// The pieces of one text segment, as UTF-8 bytes.
  func pieces(_ text: Substring) -> [ArraySlice<UInt8>] {
    var scalars = Array(text.unicodeScalars)
    var ends = [scalars.count]
    for step in steps {
      switch step {
      case .split(let pattern): ends = refine(scalars, ends, pattern.pieceEnds)
      case .digits(let individual): ends = refine(scalars, ends) { Self.digitEnds($0, individual: individual) }
      case .byteLevel(let addPrefixSpace, let useRegex):
        if addPrefixSpace { Self.addPrefixSpaces(&scalars, &ends) }
        if useRegex { ends = refine(scalars, ends, SplitPattern.gpt2.pieceEnds) }
      }
    }
    // One UTF-8 buffer for the whole segment; pieces are slices of it.
    var utf8: [UInt8] = []
    utf8.reserveCapacity(scalars.count)
    var byteEnds: [Int] = []
    byteEnds.reserveCapacity(ends.count)
    var scalarIndex = 0
    for end in ends {
      while scalarIndex < end {
        utf8.append(contentsOf: UTF8.encode(scalars[scalarIndex])!)
        scalarIndex += 1
      }
      byteEnds.append(utf8.count)
    }
    var start = 0
    return byteEnds.compactMap { end in
      defer { start = end }
      return end > start ? utf8[start..<end] : nil
    }
  }

  /// Cuts every piece (given by its end) further with `cut`, which returns the ends within it.
  private func refine(_ scalars: [Unicode.Scalar], _ ends: [Int], _ cut: ([Unicode.Scalar]) -> [Int]) -> [Int] {
    var refined: [Int] = []
    refined.reserveCapacity(ends.count * 2)
    var start = 0
    for end in ends where end > start {
      if start == 0 && end == scalars.count {
        refined.append(contentsOf: cut(scalars))
      } else {
        refined.append(contentsOf: cut(Array(scalars[start..<end])).map { $0 + start })
      }
      start = end
    }
    return refined
  }

  private static func digitEnds(_ scalars: [Unicode.Scalar], individual: Bool) -> [Int] {
    var ends: [Int] = []
    var i = 0
    while i < scalars.count {
      let isDigit = isNumeric(scalars[i])
      var end = i + 1
      if !isDigit || !individual {
        while end < scalars.count, isNumeric(scalars[end]) == isDigit { end += 1 }
      }
      ends.append(end)
      i = end
    }
    return ends
  }

  /// Rust's `char::is_numeric`: general categories Nd, Nl and No.
  private static func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.value < 0x80 { return scalar.value >= 0x30 && scalar.value <= 0x39 }
    switch scalar.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: return true
    default: return false
    }
  }

  /// `ByteLevel(add_prefix_space)`: a space before every piece that does not start with one.
  private static func addPrefixSpaces(_ scalars: inout [Unicode.Scalar], _ ends: inout [Int]) {
    var spaced: [Unicode.Scalar] = []
    var spacedEnds: [Int] = []
    var start = 0
    for end in ends where end > start {
      if scalars[start] != " " { spaced.append(" ") }
      spaced.append(contentsOf: scalars[start..<end])
      spacedEnds.append(spaced.count)
      start = end
    }
    scalars = spaced
    ends = spacedEnds
  }
}
