/// A problem in a chat template: a construct this subset does not implement, a syntax error, an
/// error while rendering, or the template's own `raise_exception(...)`.
public struct ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  /// 1-based line in the template source, when known.
  public var line: Int?

  public init(_ message: String, line: Int? = nil) {
    self.message = message
    self.line = line
  }

  public var description: String {
    if let line { return "chat template, line \(line): \(message)" }
    return "chat template: \(message)"
  }

  static func unsupported(_ what: String, line: Int) -> ChatTemplateError {
    ChatTemplateError("unsupported Jinja: '\(what)' at line \(line)", line: line)
  }
}

/// One token inside a `{{ }}` or `{% %}` tag.
enum JinjaToken: Equatable {
  case name(String)
  case string(String)
  case int(Int)
  case double(Double)
  case op(String)
}

/// The template split into text and tags, with the environment's whitespace rules applied:
/// `trim_blocks` (the newline after a block tag goes), `lstrip_blocks` (spaces before a block tag
/// on its own line go), and `-` markers (all whitespace on that side goes), as `transformers` sets
/// up Jinja.
enum JinjaSegment {
  case text(String)
  case output([JinjaToken], line: Int)
  case statement([JinjaToken], line: Int)
}

struct JinjaLexer {
  private let source: [Unicode.Scalar]
  private var position = 0
  private var line = 1

  init(_ source: String) {
    self.source = Array(source.unicodeScalars)
  }

  static func segments(_ source: String) throws(ChatTemplateError) -> [JinjaSegment] {
    var lexer = JinjaLexer(source)
    return try lexer.run()
  }

  private enum TagKind { case output, statement, comment }

  private mutating func run() throws(ChatTemplateError) -> [JinjaSegment] {
    var segments: [JinjaSegment] = []
    var text: [Unicode.Scalar] = []
    // Set after a tag: what to strip from the start of the next text.
    var stripNextText = false
    var trimNextNewline = false
    func flushText() {
      if !text.isEmpty { segments.append(.text(String(String.UnicodeScalarView(text)))) }
      text.removeAll()
    }
    while position < source.count {
      guard let kind = tagStart(at: position) else {
        let scalar = source[position]
        if stripNextText, scalar.properties.isWhitespace {
          if scalar == "\n" { line += 1 }
          position += 1
          continue
        }
        stripNextText = false
        if trimNextNewline {
          trimNextNewline = false
          if scalar == "\n" {
            line += 1
            position += 1
            continue
          }
        }
        if scalar == "\n" { line += 1 }
        text.append(scalar)
        position += 1
        continue
      }
      stripNextText = false
      trimNextNewline = false
      let tagLine = line
      let tagStartPosition = position
      position += 2
      var marker: Unicode.Scalar? = nil
      if position < source.count, source[position] == "-" || source[position] == "+" {
        marker = source[position]
        position += 1
      }
      if marker == "-" {
        while let last = text.last, last.properties.isWhitespace { text.removeLast() }
      } else if kind != .output, marker != "+" {
        // lstrip_blocks: spaces and tabs between the line start (in the source) and a block tag.
        var k = tagStartPosition
        while k > 0, source[k - 1] == " " || source[k - 1] == "\t" { k -= 1 }
        if k == 0 || source[k - 1] == "\n" {
          var count = tagStartPosition - k
          while count > 0, let last = text.last, last == " " || last == "\t" {
            text.removeLast()
            count -= 1
          }
        }
      }
      flushText()
      let close: [Unicode.Scalar] =
        switch kind {
        case .output: ["}", "}"]
        case .statement: ["%", "}"]
        case .comment: ["#", "}"]
        }
      guard let end = find(close, from: position) else {
        throw ChatTemplateError("a tag opened here is never closed", line: tagLine)
      }
      var bodyEnd = end
      var closeMarker: Unicode.Scalar? = nil
      if bodyEnd > position, source[bodyEnd - 1] == "-" || source[bodyEnd - 1] == "+" {
        closeMarker = source[bodyEnd - 1]
        bodyEnd -= 1
      }
      let body = Array(source[position..<bodyEnd])
      for scalar in source[position..<end] where scalar == "\n" { line += 1 }
      position = end + 2
      switch kind {
      case .comment: break
      case .output: segments.append(.output(try Self.tokens(body, line: tagLine), line: tagLine))
      case .statement:
        let tokens = try Self.tokens(body, line: tagLine)
        if tokens.first == .name("raw") { throw ChatTemplateError.unsupported("raw", line: tagLine) }
        segments.append(.statement(tokens, line: tagLine))
      }
      if closeMarker == "-" {
        stripNextText = true
      } else if kind != .output, closeMarker != "+" {
        trimNextNewline = true
      }
    }
    flushText()
    return segments
  }

  private func tagStart(at i: Int) -> TagKind? {
    guard i + 1 < source.count, source[i] == "{" else { return nil }
    switch source[i + 1] {
    case "{": return .output
    case "%": return .statement
    case "#": return .comment
    default: return nil
    }
  }

  /// The next `close` outside string literals (a `}}` inside a quoted string does not end a tag).
  private func find(_ close: [Unicode.Scalar], from start: Int) -> Int? {
    var i = start
    var quote: Unicode.Scalar? = nil
    while i + 1 < source.count {
      let c = source[i]
      if let q = quote {
        if c == "\\" {
          i += 2
          continue
        }
        if c == q { quote = nil }
      } else if close[0] == "#" {
        if c == "#", source[i + 1] == "}" { return i }
      } else if c == "'" || c == "\"" {
        quote = c
      } else if c == close[0], source[i + 1] == close[1] {
        return i
      }
      i += 1
    }
    return nil
  }

  // MARK: Tokens inside a tag

  private static let twoCharacterOperators: Set<String> = ["==", "!=", "<=", ">=", "//", "**"]
  private static let oneCharacterOperators: Set<Unicode.Scalar> = [
    "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "=", "<", ">",
  ]

  static func tokens(_ body: [Unicode.Scalar], line: Int) throws(ChatTemplateError) -> [JinjaToken] {
    var tokens: [JinjaToken] = []
    var i = 0
    var line = line
    while i < body.count {
      let c = body[i]
      if c.properties.isWhitespace {
        if c == "\n" { line += 1 }
        i += 1
      } else if c == "_" || c.properties.isAlphabetic {
        var j = i
        while j < body.count, body[j] == "_" || body[j].properties.isAlphabetic || ("0"..."9").contains(body[j]) {
          j += 1
        }
        tokens.append(.name(String(String.UnicodeScalarView(body[i..<j]))))
        i = j
      } else if ("0"..."9").contains(c) {
        var j = i
        var isFloat = false
        while j < body.count, ("0"..."9").contains(body[j]) || body[j] == "_" { j += 1 }
        if j + 1 < body.count, body[j] == ".", ("0"..."9").contains(body[j + 1]) {
          isFloat = true
          j += 1
          while j < body.count, ("0"..."9").contains(body[j]) { j += 1 }
        }
        let text = String(String.UnicodeScalarView(body[i..<j])).replacingUnderscores()
        if isFloat {
          tokens.append(.double(Double(text) ?? 0))
        } else {
          guard let value = Int(text) else { throw ChatTemplateError("integer \(text) is too large", line: line) }
          tokens.append(.int(value))
        }
        i = j
      } else if c == "'" || c == "\"" {
        var j = i + 1
        var value = String.UnicodeScalarView()
        while j < body.count, body[j] != c {
          if body[j] == "\\", j + 1 < body.count {
            j += 1
            let (scalars, next) = try unescape(body, at: j, line: line)
            value.append(contentsOf: scalars)
            j = next
            continue
          }
          if body[j] == "\n" { line += 1 }
          value.append(body[j])
          j += 1
        }
        guard j < body.count else { throw ChatTemplateError("a string literal is never closed", line: line) }
        tokens.append(.string(String(value)))
        i = j + 1
      } else {
        if i + 1 < body.count {
          let pair = String(String.UnicodeScalarView([c, body[i + 1]]))
          if twoCharacterOperators.contains(pair) {
            tokens.append(.op(pair))
            i += 2
            continue
          }
        }
        guard oneCharacterOperators.contains(c) else {
          throw ChatTemplateError.unsupported(String(c), line: line)
        }
        tokens.append(.op(String(c)))
        i += 1
      }
    }
    return tokens
  }

  /// Python string escapes (Jinja unescapes literals the way Python does).
  private static func unescape(_ body: [Unicode.Scalar], at j: Int, line: Int) throws(ChatTemplateError) -> (
    [Unicode.Scalar], Int
  ) {
    let c = body[j]
    switch c {
    case "n": return (["\n"], j + 1)
    case "t": return (["\t"], j + 1)
    case "r": return (["\r"], j + 1)
    case "\\", "'", "\"": return ([c], j + 1)
    case "b": return (["\u{8}"], j + 1)
    case "f": return (["\u{C}"], j + 1)
    case "v": return (["\u{B}"], j + 1)
    case "0": return (["\u{0}"], j + 1)
    case "\n": return ([], j + 1)
    case "x", "u", "U":
      let width = c == "x" ? 2 : c == "u" ? 4 : 8
      let end = min(body.count, j + 1 + width)
      let hex = String(String.UnicodeScalarView(body[(j + 1)..<end]))
      guard hex.count == width, let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
        throw ChatTemplateError("bad \\\(c) escape '\(hex)'", line: line)
      }
      return ([scalar], end)
    default:
      // Python keeps unknown escapes as they are.
      return (["\\", c], j + 1)
    }
  }
}

extension String {
  fileprivate func replacingUnderscores() -> String { filter { $0 != "_" } }
}
