import RewardCore

/// The text a featurizer sees for a candidate, built deliberately: the response first, then
/// the end of the conversation (the last user turn), within a word budget. A long conversation
/// loses its beginning, never the response: the response keeps up to the whole budget (its
/// head), and the last user turn gets what remains, keeping its end (the words nearest the response).
public struct ModelText: Sendable {
  /// Hashed, lower-cased tokens of the response and of the kept context.
  public var responseTokens: [UInt64]
  public var contextTokens: [UInt64]
  /// Words in the whole response (before any truncation), for length features.
  public var responseWordCount: Int

  public init(candidate: Candidate, maxWords: Int) {
    var response = Tokenizer.tokens(candidate.response)
    responseWordCount = response.count
    if response.count > maxWords { response.removeLast(response.count - maxWords) }
    let remaining = maxWords - response.count
    var context: [UInt64] = []
    if remaining > 0, let lastUser = candidate.prompt.lastUserTurn {
      context = Tokenizer.tokens(lastUser)
      if context.count > remaining { context.removeFirst(context.count - remaining) }
    }
    responseTokens = response
    contextTokens = context
  }
}

/// Word tokens for hashing: maximal runs of letters and digits (lower-cased) and each punctuation
/// or symbol character on its own; whitespace separates. Tokens are hashed while scanning, so no
/// strings are built.
enum Tokenizer {
  static func tokens(_ text: String) -> [UInt64] {
    var tokens: [UInt64] = []
    var hash: UInt64 = 0
    var inWord = false
    @inline(__always) func flush() {
      if inWord { tokens.append(hash) }
      inWord = false
      hash = 0xCBF2_9CE4_8422_2325
    }
    flush()
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if value < 0x80 {
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
          hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
          inWord = true
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
          hash = (hash ^ UInt64(byte | 0x20)) &* 0x100_0000_01B3
          inWord = true
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
          flush()
        default:
          flush()
          tokens.append((0xCBF2_9CE4_8422_2325 ^ UInt64(byte)) &* 0x100_0000_01B3 ^ 0x5555)
        }
      } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
        for lower in scalar.properties.lowercaseMapping.unicodeScalars {
          hash = (hash ^ UInt64(lower.value)) &* 0x100_0000_01B3
        }
        inWord = true
      } else if scalar.properties.isWhitespace {
        flush()
      } else {
        flush()
        tokens.append((0xCBF2_9CE4_8422_2325 ^ UInt64(value)) &* 0x100_0000_01B3 ^ 0x5555)
      }
    }
    flush()
    return tokens
  }
}
