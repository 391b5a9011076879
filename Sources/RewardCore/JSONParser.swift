/// A JSON syntax error with the 1-based line and column where parsing stopped.
public struct JSONSyntaxError: Error, Sendable, Equatable {
  public var line: Int
  public var column: Int
  public var message: String

  public init(line: Int, column: Int, message: String) {
    self.line = line
    self.column = column
    self.message = message
  }
}

/// A strict JSON parser (RFC 8259) over UTF-8 bytes that tracks lines, so that errors in a large
/// JSON array can name the line a person should open. Foundation's parser reports neither line
/// nor cause on Linux, which is why this exists.
public struct JSONParser {
  private let bytes: [UInt8]
  private var index: Int
  private var line = 1
  private var lineStart = 0
  /// Deeper nesting is rejected instead of overflowing the stack on hostile input.
  public static let maximumDepth = 512

  public init(bytes: [UInt8], startLine: Int = 1) {
    self.bytes = bytes
    self.index = 0
    self.line = startLine
  }

  /// Parses a whole document: one value and nothing but whitespace after it.
  public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    var parser = JSONParser(bytes: Array(text.utf8))
    return try parser.parseDocument()
  }

  public static func parse(bytes: [UInt8], startLine: Int = 1) throws(JSONSyntaxError) -> JSONValue {
    var parser = JSONParser(bytes: bytes, startLine: startLine)
    return try parser.parseDocument()
  }

  public mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
    skipWhitespace()
    if index >= bytes.count { throw error("empty input, expected a JSON value") }
    let value = try parseValue(depth: 0)
    skipWhitespace()
    if index < bytes.count { throw error("unexpected \(describeCurrent()) after the JSON value") }
    return value
  }

  /// Parses a top-level array and returns each element with the line on which it starts.
  public mutating func parseArrayElementsWithLines() throws(JSONSyntaxError) -> [(line: Int, value: JSONValue)] {
    skipWhitespace()
    guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else {
      throw error("expected '[' to open a JSON array, found \(describeCurrent())")
    }
    let elements = try parseElementsWithLines(depth: 0)
    skipWhitespace()
    if index < bytes.count { throw error("unexpected \(describeCurrent()) after the JSON array") }
    return elements
  }

  /// Parses a whole document and keeps the lines on which its top-level parts start: an array's
  /// elements, or an object's entries (and the elements of entries that are arrays), so container
  /// files can name the line of each record.
  public mutating func parseOutline() throws(JSONSyntaxError) -> JSONOutline {
    skipWhitespace()
    if index >= bytes.count { throw error("empty input, expected a JSON value") }
    let outline: JSONOutline
    switch bytes[index] {
    case UInt8(ascii: "["): outline = .array(try parseElementsWithLines(depth: 0))
    case UInt8(ascii: "{"): outline = .object(try parseEntriesWithLines())
    default: outline = .scalar(try parseValue(depth: 0))
    }
    skipWhitespace()
    if index < bytes.count { throw error("unexpected \(describeCurrent()) after the JSON value") }
    return outline
  }

  private mutating func parseElementsWithLines(depth: Int) throws(JSONSyntaxError) -> [(line: Int, value: JSONValue)] {
    index += 1  // '['
    var elements: [(line: Int, value: JSONValue)] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "]") {
      index += 1
      return elements
    }
    while true {
      skipWhitespace()
      let elementLine = line
      elements.append((elementLine, try parseValue(depth: depth + 1)))
      skipWhitespace()
      guard let next = peek() else { throw error("unterminated array, expected ',' or ']'") }
      index += 1
      if next == UInt8(ascii: "]") { return elements }
      if next != UInt8(ascii: ",") {
        index -= 1
        throw error("expected ',' or ']' in array, found \(describeCurrent())")
      }
    }
  }

  private mutating func parseEntriesWithLines() throws(JSONSyntaxError) -> [JSONOutline.Entry] {
    index += 1  // '{'
    var entries: [JSONOutline.Entry] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "}") {
      index += 1
      return entries
    }
    while true {
      skipWhitespace()
      guard peek() == UInt8(ascii: "\"") else {
        throw error("expected a string key in object, found \(describeCurrent())")
      }
      let key = try parseString()
      skipWhitespace()
      guard peek() == UInt8(ascii: ":") else {
        throw error("expected ':' after key \"\(key)\", found \(describeCurrent())")
      }
      index += 1
      skipWhitespace()
      let entry: JSONOutline.Entry
      if peek() == UInt8(ascii: "[") {
        let elementsLine = line
        let elements = try parseElementsWithLines(depth: 1)
        entry = JSONOutline.Entry(
          key: key, line: elementsLine, value: .array(elements.map(\.value)), elementLines: elements.map(\.line))
      } else {
        let valueLine = line
        entry = JSONOutline.Entry(key: key, line: valueLine, value: try parseValue(depth: 1), elementLines: nil)
      }
      // Duplicate keys: the last one wins, as for nested objects.
      if let existing = entries.firstIndex(where: { $0.key == key }) {
        entries[existing] = entry
      } else {
        entries.append(entry)
      }
      skipWhitespace()
      guard let next = peek() else { throw error("unterminated object, expected ',' or '}'") }
      index += 1
      if next == UInt8(ascii: "}") { return entries }
      guard next == UInt8(ascii: ",") else {
        index -= 1
        throw error("expected ',' or '}' in object, found \(describeCurrent())")
      }
    }
  }

  // MARK: - Values

  private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    guard let byte = peek() else { throw error("unexpected end of input, expected a value") }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectLiteral("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw error("unexpected \(describeCurrent()), expected a value")
    }
  }

  private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    index += 1
    var entries: [(key: String, value: JSONValue)] = []
    // Large objects (a tokenizer's 30k-entry vocabulary) get a hash index for the duplicate
    // check, which would otherwise be quadratic.
    var positions: [String: Int] = [:]
    skipWhitespace()
    if peek() == UInt8(ascii: "}") {
      index += 1
      return .object(JSONObject(entries))
    }
    while true {
      skipWhitespace()
      guard peek() == UInt8(ascii: "\"") else {
        throw error("expected a string key in object, found \(describeCurrent())")
      }
      let key = try parseString()
      skipWhitespace()
      guard peek() == UInt8(ascii: ":") else {
        throw error("expected ':' after key \"\(key)\", found \(describeCurrent())")
      }
      index += 1
      skipWhitespace()
      let value = try parseValue(depth: depth + 1)
      // Duplicate keys: the last one wins, as in most parsers, but only one entry is kept.
      if entries.count < 16 {
        if let existing = entries.firstIndex(where: { $0.key == key }) {
          entries[existing].value = value
        } else {
          entries.append((key, value))
        }
      } else {
        if positions.isEmpty {
          for (i, entry) in entries.enumerated() { positions[entry.key] = i }
        }
        if let existing = positions[key] {
          entries[existing].value = value
        } else {
          positions[key] = entries.count
          entries.append((key, value))
        }
      }
      skipWhitespace()
      guard let next = peek() else { throw error("unterminated object, expected ',' or '}'") }
      if next == UInt8(ascii: "}") {
        index += 1
        return .object(JSONObject(entries))
      }
      guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}' in object, found \(describeCurrent())") }
      index += 1
    }
  }

  private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
    index += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "]") {
      index += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard let next = peek() else { throw error("unterminated array, expected ',' or ']'") }
      if next == UInt8(ascii: "]") {
        index += 1
        return .array(elements)
      }
      guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']' in array, found \(describeCurrent())") }
      index += 1
    }
  }

  /// Strings without escapes are one validated copy of their bytes. A string with escapes (long
  /// responses are full of `\n`) is assembled in one buffer reserved for its largest possible
  /// size, so the runs between escapes are plain copies, and validated once at the end. Building
  /// strings scalar by scalar instead cost a third of a reward server's time.
  private mutating func parseString() throws(JSONSyntaxError) -> String {
    index += 1  // opening quote
    let start = index
    index = endOfPlainRun(from: index)
    guard index < bytes.count else { throw error("unterminated string") }
    switch bytes[index] {
    case UInt8(ascii: "\""):
      guard let text = String(validating: bytes[start..<index], as: UTF8.self) else {
        throw invalidUTF8(in: start..<index)
      }
      index += 1
      return text
    case UInt8(ascii: "\\"): return try parseEscapedString(from: start)
    default: throw unescapedControlCharacter()
    }
  }

  /// The rest of a string whose content starts at `start` and whose first escape is at `index`.
  private mutating func parseEscapedString(from start: Int) throws(JSONSyntaxError) -> String {
    // Escapes only shrink text (`\uXXXX` is 6 bytes for at most 3 of UTF-8; a surrogate pair 12 for 4).
    var assembled: [UInt8] = []
    assembled.reserveCapacity(bytes.count - start)
    var runStart = start
    while true {
      bytes.withUnsafeBufferPointer { buffer in
        assembled.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<index]))
      }
      guard index < bytes.count else { throw error("unterminated string") }
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        guard let text = String(validating: assembled, as: UTF8.self) else { throw invalidUTF8(in: start..<index) }
        index += 1
        return text
      }
      guard byte == UInt8(ascii: "\\") else { throw unescapedControlCharacter() }
      index += 1
      let scalar = try parseEscape()
      if scalar.isASCII {
        assembled.append(UInt8(scalar.value))
      } else {
        assembled.append(contentsOf: UTF8.encode(scalar)!)
      }
      runStart = index
      index = endOfPlainRun(from: index)
    }
  }

  private func unescapedControlCharacter() -> JSONSyntaxError {
    let byte = bytes[index]
    if byte == UInt8(ascii: "\n") { return error("unterminated string (raw newline inside a string)") }
    return error("control character 0x\(String(byte, radix: 16)) inside a string must be escaped")
  }

  /// The first offset at or after `start` holding a quote, a backslash or a control character
  /// (or the end): everything before it is string content as is.
  private func endOfPlainRun(from start: Int) -> Int {
    bytes.withUnsafeBufferPointer { buffer in
      var i = start
      while i < buffer.count {
        let byte = buffer[i]
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return i }
        i += 1
      }
      return buffer.count
    }
  }

  /// The error for a string whose raw bytes are not UTF-8, placed at the first bad byte (escapes
  /// are ASCII, so the raw bytes are where any invalid sequence is).
  private mutating func invalidUTF8(in range: Range<Int>) -> JSONSyntaxError {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes[range].makeIterator()
    var offset = range.lowerBound
    while case .valid(let scalar) = parser.parseScalar(from: &iterator) { offset += scalar.count }
    index = offset
    return error("invalid UTF-8 inside a string")
  }

  private mutating func parseEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
    guard let byte = peek() else { throw error("unterminated escape sequence") }
    index += 1
    switch byte {
    case UInt8(ascii: "\""): return "\""
    case UInt8(ascii: "\\"): return "\\"
    case UInt8(ascii: "/"): return "/"
    case UInt8(ascii: "b"): return "\u{08}"
    case UInt8(ascii: "f"): return "\u{0C}"
    case UInt8(ascii: "n"): return "\n"
    case UInt8(ascii: "r"): return "\r"
    case UInt8(ascii: "t"): return "\t"
    case UInt8(ascii: "u"):
      let high = try parseHex4()
      if (0xD800...0xDBFF).contains(high) {
        // A surrogate pair; a lone surrogate becomes U+FFFD as browsers and Python do.
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
          let save = index
          index += 2
          let low = try parseHex4()
          if (0xDC00...0xDFFF).contains(low) {
            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            return Unicode.Scalar(value) ?? "\u{FFFD}"
          }
          index = save
        }
        return "\u{FFFD}"
      }
      return Unicode.Scalar(high) ?? "\u{FFFD}"
    default:
      index -= 1
      let shown = byte >= 0x20 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "0x\(String(byte, radix: 16))"
      throw error("invalid escape '\\\(shown)'")
    }
  }

  private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw error("invalid hex digit in \\u escape")
      }
      value = value * 16 + digit
      index += 1
    }
    return value
  }

  private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
    let start = index
    var isInteger = true
    if peek() == UInt8(ascii: "-") { index += 1 }
    guard let first = peek(), isDigit(first) else { throw error("invalid number: expected a digit") }
    if first == UInt8(ascii: "0") {
      index += 1
      if let next = peek(), isDigit(next) { throw error("invalid number: leading zero") }
    } else {
      while let d = peek(), isDigit(d) { index += 1 }
    }
    if peek() == UInt8(ascii: ".") {
      isInteger = false
      index += 1
      guard let d = peek(), isDigit(d) else { throw error("invalid number: expected a digit after '.'") }
      while let d = peek(), isDigit(d) { index += 1 }
    }
    if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
      isInteger = false
      index += 1
      if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
      guard let d = peek(), isDigit(d) else { throw error("invalid number: expected a digit in the exponent") }
      while let d = peek(), isDigit(d) { index += 1 }
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if isInteger, let value = Int64(text) { return .int(value) }
    guard let value = Double(text), value.isFinite else { throw error("number \(text.excerpt()) is out of range") }
    return .double(value)
  }

  // MARK: - Helpers

  private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

  private mutating func expectLiteral(_ literal: String) throws(JSONSyntaxError) {
    let expected = Array(literal.utf8)
    let count = expected.count
    let matches = index + count <= bytes.count && (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
    guard matches else { throw error("unexpected \(describeCurrent()), expected a value") }
    index += count
  }

  private mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): index += 1
      case UInt8(ascii: "\n"):
        index += 1
        line += 1
        lineStart = index
      default: return
      }
    }
  }

  private func describeCurrent() -> String {
    guard let byte = peek() else { return "end of input" }
    if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "byte 0x\(String(byte, radix: 16))"
  }

  private func error(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(line: line, column: index - lineStart + 1, message: message)
  }
}

/// A document's top level with the lines its parts start on (see `JSONParser.parseOutline`).
public enum JSONOutline: Sendable {
  public struct Entry: Sendable {
    public var key: String
    public var line: Int
    public var value: JSONValue
    /// The line of each element when `value` is an array.
    public var elementLines: [Int]?
  }

  case array([(line: Int, value: JSONValue)])
  case object([Entry])
  case scalar(JSONValue)
}
