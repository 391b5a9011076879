/// A token matched whole in the text before BPE (`added_tokens` in `tokenizer.json`: special tokens
/// like `<|im_start|>` and user-defined ones like `<think>`).
public struct BPEAddedToken: Sendable, Equatable {
  public var content: String
  public var id: TokenID
  /// Special tokens (BOS, EOS, turn markers); others are plain added words.
  public var special: Bool
  /// Only matched when no word character touches it.
  public var singleWord: Bool
  /// Takes the whitespace on its left (and removes it from the text) / on its right.
  public var leftStrip: Bool
  public var rightStrip: Bool
  /// Matched in the normalized text rather than the raw text.
  public var normalized: Bool

  public init(
    content: String, id: TokenID, special: Bool = true, singleWord: Bool = false, leftStrip: Bool = false,
    rightStrip: Bool = false, normalized: Bool = false
  ) {
    self.content = content
    self.id = id
    self.special = special
    self.singleWord = singleWord
    self.leftStrip = leftStrip
    self.rightStrip = rightStrip
    self.normalized = normalized
  }
}

/// A piece of text between added tokens, or an added token.
enum TextSegment {
  case text(Substring)
  case token(TokenID)
}

/// Finds added tokens in a text leftmost-longest (`tokenizers` uses Aho–Corasick with the same rule).
struct AddedTokenMatcher: Sendable {
  /// Candidates by first scalar, longest first.
  private let byFirstScalar: [Unicode.Scalar: [BPEAddedToken]]

  init(_ tokens: [BPEAddedToken]) {
    var table: [Unicode.Scalar: [BPEAddedToken]] = [:]
    for token in tokens {
      guard let first = token.content.unicodeScalars.first else { continue }
      table[first, default: []].append(token)
    }
    byFirstScalar = table.mapValues { $0.sorted { $0.content.unicodeScalars.count > $1.content.unicodeScalars.count } }
  }

  var isEmpty: Bool { byFirstScalar.isEmpty }

  /// Splits a text segment around the tokens found in it.
  func split(_ text: Substring) -> [TextSegment] {
    guard !byFirstScalar.isEmpty else { return [.text(text)] }
    let scalars = text.unicodeScalars
    var segments: [TextSegment] = []
    var textStart = scalars.startIndex
    var index = scalars.startIndex
    while index < scalars.endIndex {
      guard let candidates = byFirstScalar[scalars[index]],
        let (token, end) = match(candidates, at: index, in: scalars, after: textStart)
      else {
        index = scalars.index(after: index)
        continue
      }
      var matchStart = index
      var matchEnd = end
      if token.leftStrip {
        while matchStart > textStart, scalars[scalars.index(before: matchStart)].properties.isWhitespace {
          matchStart = scalars.index(before: matchStart)
        }
      }
      if token.rightStrip {
        while matchEnd < scalars.endIndex, scalars[matchEnd].properties.isWhitespace {
          matchEnd = scalars.index(after: matchEnd)
        }
      }
      if textStart < matchStart { segments.append(.text(Substring(scalars[textStart..<matchStart]))) }
      segments.append(.token(token.id))
      index = matchEnd
      textStart = matchEnd
    }
    if textStart < scalars.endIndex { segments.append(.text(Substring(scalars[textStart..<scalars.endIndex]))) }
    return segments
  }

  private func match(
    _ candidates: [BPEAddedToken], at index: Substring.UnicodeScalarView.Index, in scalars: Substring.UnicodeScalarView,
    after textStart: Substring.UnicodeScalarView.Index
  ) -> (BPEAddedToken, Substring.UnicodeScalarView.Index)? {
    for token in candidates {
      var i = index
      var matched = true
      for scalar in token.content.unicodeScalars {
        guard i < scalars.endIndex, scalars[i] == scalar else {
          matched = false
          break
        }
        i = scalars.index(after: i)
      }
      guard matched else { continue }
      if token.singleWord {
        if index > scalars.startIndex, Self.isWordScalar(scalars[scalars.index(before: index)]) { continue }
        if i < scalars.endIndex, Self.isWordScalar(scalars[i]) { continue }
      }
      return (token, i)
    }
    return nil
  }

  private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
  }
}
