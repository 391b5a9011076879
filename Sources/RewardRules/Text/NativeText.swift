/// Native replacements for the Foundation string calls on the math reward's hot path. Foundation's
/// `trimmingCharacters`, `range(of:)` and `replacingOccurrences` bridge through NSString on Linux,
/// which cost the math reward about a third of its time in the reward server.
///
/// Trimming uses exactly Foundation's `.whitespaces` / `.whitespacesAndNewlines` sets; searching is
/// literal, on UTF-8 bytes (which only ever match at scalar boundaries).
extension String {
  /// Without spaces (general category Zs), tabs and zero-width spaces at either end.
  func trimmingSpaces() -> String { self[...].trimmingSpaces() }

  /// Without spaces, tabs and line breaks at either end.
  func trimmingSpacesAndNewlines() -> String { self[...].trimmingSpacesAndNewlines() }
}

extension Substring {
  func trimmingSpaces() -> String { trimming(where: isSpace) }

  func trimmingSpacesAndNewlines() -> String { trimming { isSpace($0) || isNewline($0) } }

  private func trimming(where isTrimmed: (Unicode.Scalar) -> Bool) -> String {
    let scalars = unicodeScalars
    var start = scalars.startIndex
    var end = scalars.endIndex
    while start < end, isTrimmed(scalars[start]) { start = scalars.index(after: start) }
    while end > start, isTrimmed(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
    // Scalar-view slicing keeps a lone combining mark that follows a trimmed space, as Foundation does.
    return String(Substring(scalars[start..<end]))
  }
}

private func isSpace(_ scalar: Unicode.Scalar) -> Bool {
  if scalar.isASCII { return scalar == " " || scalar == "\t" }
  return scalar.properties.generalCategory == .spaceSeparator || scalar.value == 0x200B
}

private func isNewline(_ scalar: Unicode.Scalar) -> Bool {
  switch scalar.value {
  case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
  default: return false
  }
}

extension String {
  /// The first literal occurrence of `needle` (non-empty), compared byte for byte.
  func literalRange(of needle: String) -> Range<String.Index>? {
    guard let offset = Self.firstOffset(of: Array(needle.utf8), in: Array(utf8), from: 0) else { return nil }
    return utf8.index(startIndex, offsetBy: offset)..<utf8.index(startIndex, offsetBy: offset + needle.utf8.count)
  }

  func containsLiteral(_ needle: String) -> Bool { literalRange(of: needle) != nil }

  /// Every literal occurrence of `needle` (non-empty) replaced, left to right, without overlaps.
  func replacingLiteral(_ needle: String, with replacement: String) -> String {
    let bytes = Array(utf8)
    let pattern = Array(needle.utf8)
    guard var match = Self.firstOffset(of: pattern, in: bytes, from: 0) else { return self }
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count)
    var copied = 0
    while true {
      result.append(contentsOf: bytes[copied..<match])
      result.append(contentsOf: replacement.utf8)
      copied = match + pattern.count
      guard let next = Self.firstOffset(of: pattern, in: bytes, from: copied) else { break }
      match = next
    }
    result.append(contentsOf: bytes[copied...])
    return String(decoding: result, as: UTF8.self)
  }

  /// The offset of the first occurrence of `needle` in `haystack` at or after `start`, or nil.
  static func firstOffset(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
    guard let first = needle.first, haystack.count - start >= needle.count else { return nil }
    var i = start
    while i <= haystack.count - needle.count {
      if haystack[i] == first {
        var j = 1
        while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
        if j == needle.count { return i }
      }
      i += 1
    }
    return nil
  }
}
