import Foundation

/// The BERT text normaliser of Hugging Face `tokenizers` (`BertNormalizer`), step for step:
/// clean control characters and map whitespace to spaces, put spaces around CJK ideographs,
/// strip accents (NFD, then drop non-spacing marks), and lower-case character by character.
public struct BertNormalizer: Sendable, Equatable {
  public var cleanText: Bool
  public var handleChineseCharacters: Bool
  public var stripAccents: Bool
  public var lowercase: Bool

  public init(
    cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true
  ) {
    self.cleanText = cleanText
    self.handleChineseCharacters = handleChineseCharacters
    // As in `tokenizers`: an unset strip_accents follows lowercase.
    self.stripAccents = stripAccents ?? lowercase
    self.lowercase = lowercase
  }

  public func normalize(_ text: Substring) -> [Unicode.Scalar] {
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      if cleanText {
        if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
        if Self.isWhitespace(scalar) {
          scalars.append(" ")
          continue
        }
      }
      if handleChineseCharacters && Self.isChineseCharacter(scalar) {
        scalars.append(" ")
        scalars.append(scalar)
        scalars.append(" ")
      } else {
        scalars.append(scalar)
      }
    }
    if stripAccents && scalars.contains(where: { !$0.isASCII }) {
      var text = String.UnicodeScalarView()
      text.append(contentsOf: scalars)
      // Canonical decomposition only (not compatibility), as `tokenizers` does.
      let decomposed = String(text).decomposedStringWithCanonicalMapping
      scalars = decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
    }
    if lowercase {
      var lowered: [Unicode.Scalar] = []
      lowered.reserveCapacity(scalars.count)
      for scalar in scalars {
        if scalar.isASCII {
          let v = scalar.value
          lowered.append(v >= 65 && v <= 90 ? Unicode.Scalar(v + 32)! : scalar)
        } else {
          // Per character, without context (no final-sigma rule), like Rust's char::to_lowercase.
          lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
      }
      scalars = lowered
    }
    return scalars
  }

  /// Tab, newline and carriage return count as whitespace, never as control characters.
  static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
  }

  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned: return true
    default: return false
    }
  }

  /// The CJK ranges of `tokenizers`' `is_chinese_char` (which starts Extension E at U+2B920).
  static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
      0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      return true
    default: return false
    }
  }
}

/// BERT's pre-tokeniser: split on whitespace (dropped) and around every punctuation character
/// (kept as a word of its own). Punctuation is ASCII punctuation (which includes symbols such
/// as `$+<=>^|~`) or any Unicode P* category.
public enum BertPreTokenizer {
  public static func split(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
    var words: [ArraySlice<Unicode.Scalar>] = []
    var start: Int? = nil
    for (i, scalar) in scalars.enumerated() {
      if BertNormalizer.isWhitespace(scalar) {
        if let s = start { words.append(scalars[s..<i]) }
        start = nil
      } else if isPunctuation(scalar) {
        if let s = start { words.append(scalars[s..<i]) }
        words.append(scalars[i..<i + 1])
        start = nil
      } else if start == nil {
        start = i
      }
    }
    if let s = start { words.append(scalars[s..<scalars.count]) }
    return words
  }

  static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 33...47, 58...64, 91...96, 123...126: return true
    case 0..<128: return false
    default:
      switch scalar.properties.generalCategory {
      case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation, .initialPunctuation,
        .otherPunctuation, .openPunctuation:
        return true
      default: return false
      }
    }
  }
}
