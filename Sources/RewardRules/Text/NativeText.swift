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
  /// The first literal occurrence of `needle` (nil when it is empty), compared byte for byte.
  func literalRange(of needle: String) -> Range<String.Index>? {
    guard !needle.isEmpty, let offset = ByteSearch.first(Array(needle.utf8), in: Array(utf8)) else { return nil }
    return utf8.index(startIndex, offsetBy: offset)..<utf8.index(startIndex, offsetBy: offset + needle.utf8.count)
  }

  func containsLiteral(_ needle: String) -> Bool { literalRange(of: needle) != nil }

  /// Every literal occurrence of `needle` (non-empty) replaced, left to right, without overlaps.
  func replacingLiteral(_ needle: String, with replacement: String) -> String {
    let bytes = Array(utf8)
    let pattern = Array(needle.utf8)
    guard !pattern.isEmpty, var match = ByteSearch.first(pattern, in: bytes) else { return self }
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count)
    var copied = 0
    while true {
      result.append(contentsOf: bytes[copied..<match])
      result.append(contentsOf: replacement.utf8)
      copied = match + pattern.count
      guard let next = ByteSearch.first(pattern, in: bytes, from: copied) else { break }
      match = next
    }
    result.append(contentsOf: bytes[copied...])
    return String(decoding: result, as: UTF8.self)
  }
}

/// Literal search in UTF-8 bytes, shared by the math rule, literal format patterns and the text
/// helpers above.
enum ByteSearch {
  /// The first offset at or after `start` where `needle` occurs (an empty needle: `start`).
  static func first(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
    guard let head = needle.first else { return start }
    var i = start
    while i + needle.count <= haystack.count {
      if haystack[i] == head, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }

  /// The offset of the last occurrence of the non-empty `needle`, or nil.
  static func last(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard let head = needle.first, haystack.count >= needle.count else { return nil }
    var i = haystack.count - needle.count
    while i >= 0 {
      if haystack[i] == head, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i -= 1
    }
    return nil
  }
}
