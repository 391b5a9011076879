import RewardCore

/// Reads function calls written in Python syntax, the format BFCL asks prompt-based models for:
/// `[get_weather(city="Paris", days=3), math.factorial(number=5)]`. Arguments must be keywords
/// with literal values: numbers, strings, `True`/`False`/`None`, lists, tuples (read as lists) and
/// dicts. Nesting is capped, so adversarial input fails fast instead of overflowing the stack.
public enum PythonCallParser {
  public static let maximumDepth = 32

  /// The calls, or nil when the text is not a call or a list of calls.
  public static func parse(_ text: String) -> [ToolCall]? {
    var reader = Reader(Array(text.unicodeScalars))
    reader.skipSpace()
    var calls: [ToolCall] = []
    if reader.peek == "[" {
      reader.advance()
      reader.skipSpace()
      while reader.peek != "]" {
        guard let call = reader.call() else { return nil }
        calls.append(call)
        reader.skipSpace()
        if reader.peek == "," {
          reader.advance()
          reader.skipSpace()
        } else if reader.peek != "]" {
          return nil
        }
      }
      reader.advance()
    } else {
      guard let call = reader.call() else { return nil }
      calls.append(call)
    }
    reader.skipSpace()
    return reader.atEnd ? calls : nil
  }

  private struct Reader {
    let scalars: [Unicode.Scalar]
    var position = 0
    var depth = 0

    init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

    var atEnd: Bool { position >= scalars.count }
    var peek: Unicode.Scalar? { atEnd ? nil : scalars[position] }
    mutating func advance() { position += 1 }

    mutating func skipSpace() {
      while let c = peek, c == " " || c == "\n" || c == "\t" || c == "\r" { advance() }
    }

    mutating func identifier() -> String? {
      var name = String.UnicodeScalarView()
      while let c = peek,
        c.properties.isAlphabetic || c == "_" || c == "." || (c.isASCII && c.properties.numericType != nil)
      {
        name.append(c)
        advance()
      }
      return name.isEmpty ? nil : String(name)
    }

    mutating func call() -> ToolCall? {
      guard let name = identifier() else { return nil }
      skipSpace()
      guard peek == "(" else { return nil }
      advance()
      var arguments = JSONObject()
      skipSpace()
      while peek != ")" {
        guard let key = identifier() else { return nil }
        skipSpace()
        guard peek == "=" else { return nil }
        advance()
        skipSpace()
        guard let value = value(), arguments[key] == nil else { return nil }
        arguments[key] = value
        skipSpace()
        if peek == "," {
          advance()
          skipSpace()
        } else if peek != ")" {
          return nil
        }
      }
      advance()
      return ToolCall(name: name, arguments: arguments)
    }

    mutating func value() -> JSONValue? {
      guard let c = peek else { return nil }
      depth += 1
      defer { depth -= 1 }
      guard depth <= PythonCallParser.maximumDepth else { return nil }
      switch c {
      case "\"", "'": return string(quote: c)
      case "[": return sequence(close: "]")
      case "(": return sequence(close: ")")
      case "{": return dictionary()
      default:
        if c == "-" || c == "+" || c == "." || (c.isASCII && c.properties.numericType != nil) { return number() }
        guard let word = identifier() else { return nil }
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .null
        default: return nil
        }
      }
    }

    mutating func string(quote: Unicode.Scalar) -> JSONValue? {
      advance()
      var text = String.UnicodeScalarView()
      while let c = peek, c != quote {
        advance()
        if c == "\\", let escaped = peek {
          advance()
          switch escaped {
          case "n": text.append("\n")
          case "t": text.append("\t")
          case "r": text.append("\r")
          default: text.append(escaped)
          }
        } else {
          text.append(c)
        }
      }
      guard peek == quote else { return nil }
      advance()
      return .string(String(text))
    }

    mutating func number() -> JSONValue? {
      var text = ""
      while let c = peek, c.isASCII, "+-.0123456789eE_".unicodeScalars.contains(c) {
        if c != "_" { text.unicodeScalars.append(c) }
        advance()
      }
      if let integer = Int64(text) { return .int(integer) }
      if let real = Double(text), real.isFinite { return .double(real) }
      return nil
    }

    mutating func sequence(close: Unicode.Scalar) -> JSONValue? {
      advance()
      var items: [JSONValue] = []
      skipSpace()
      while peek != close {
        guard let item = value() else { return nil }
        items.append(item)
        skipSpace()
        if peek == "," {
          advance()
          skipSpace()
        } else if peek != close {
          return nil
        }
      }
      advance()
      return .array(items)
    }

    mutating func dictionary() -> JSONValue? {
      advance()
      var object = JSONObject()
      skipSpace()
      while peek != "}" {
        guard let keyValue = value(), let key = keyValue.stringValue else { return nil }
        skipSpace()
        guard peek == ":" else { return nil }
        advance()
        skipSpace()
        guard let item = value() else { return nil }
        object[key] = item
        skipSpace()
        if peek == "," {
          advance()
          skipSpace()
        } else if peek != "}" {
          return nil
        }
      }
      advance()
      return .object(object)
    }
  }
}
