/// GPT-2's byte ↔ character table: every byte is spelled as one printable character, so that a
/// byte-level vocabulary is a set of ordinary strings (space is `Ġ`, newline `Ċ`).
enum ByteLevel {
  /// The character that spells each byte.
  static let characters: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: " ", count: 256)
    var printable = Set<Int>()
    for range in [0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF] { printable.formUnion(range) }
    var next = 256
    for byte in 0..<256 {
      if printable.contains(byte) {
        table[byte] = Unicode.Scalar(UInt32(byte))!
      } else {
        table[byte] = Unicode.Scalar(UInt32(next))!
        next += 1
      }
    }
    return table
  }()

  /// The byte each spelling character stands for.
  static let bytes: [Unicode.Scalar: UInt8] = {
    var map: [Unicode.Scalar: UInt8] = [:]
    for (byte, character) in characters.enumerated() { map[character] = UInt8(byte) }
    return map
  }()

  /// The spelling of some bytes.
  static func spell<S: Sequence<UInt8>>(_ bytes: S) -> String {
    var text = String.UnicodeScalarView()
    for byte in bytes { text.append(characters[Int(byte)]) }
    return String(text)
  }

  /// Whether a string uses only the 256 spelling characters.
  static func isSpelled(_ token: String) -> Bool {
    token.unicodeScalars.allSatisfy { bytes[$0] != nil }
  }
}
