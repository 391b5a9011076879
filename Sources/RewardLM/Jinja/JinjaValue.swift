import Foundation
import RewardCore

/// A value inside a chat template, with Python's semantics where templates see them (truthiness,
/// `str()`, equality, `json.dumps`), since `transformers` renders templates with Jinja on Python.
public indirect enum JinjaValue: Sendable {
  /// A name or key that does not exist (Jinja's `Undefined`): prints as "", is false, fails in
  /// arithmetic.
  case undefined(String)
  case none
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JinjaValue])
  case object(JinjaObject)
  /// `namespace(...)`: the one mutable value (`{% set ns.x = … %}`), local to one rendering.
  case namespace(JinjaNamespace)
  /// A macro or built-in function.
  case function(JinjaFunction)

  /// Python's `bool()`.
  public var isTruthy: Bool {
    switch self {
    case .undefined, .none: false
    case .bool(let b): b
    case .int(let i): i != 0
    case .double(let d): d != 0
    case .string(let s): !s.isEmpty
    case .array(let a): !a.isEmpty
    case .object(let o): !o.isEmpty
    case .namespace, .function: true
    }
  }

  /// The integer of an `.int` (0 otherwise), for arithmetic already known to be on integers.
  var asInt: Int {
    if case .int(let i) = self { return i }
    return 0
  }

  public var isUndefined: Bool {
    if case .undefined = self { return true }
    return false
  }

  /// A short type name for errors.
  public var typeName: String {
    switch self {
    case .undefined: "undefined"
    case .none: "none"
    case .bool: "boolean"
    case .int: "integer"
    case .double: "float"
    case .string: "string"
    case .array: "list"
    case .object: "dict"
    case .namespace: "namespace"
    case .function: "function"
    }
  }

  /// Python's `str()` (how `{{ value }}` prints).
  public var pythonString: String {
    switch self {
    case .undefined: ""
    case .string(let s): s
    default: pythonRepr
    }
  }

  /// Python's `repr()` (how values inside lists and dicts print).
  public var pythonRepr: String {
    switch self {
    case .undefined: ""
    case .none: "None"
    case .bool(let b): b ? "True" : "False"
    case .int(let i): String(i)
    case .double(let d): Self.pythonFloat(d)
    case .string(let s): Self.pythonQuote(s)
    case .array(let a): "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
    case .object(let o):
      "{" + o.entries.map { Self.pythonQuote($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
    case .namespace(let n): "<Namespace " + JinjaValue.object(n.values).pythonRepr + ">"
    case .function(let f): "<function \(f.name)>"
    }
  }

  static func pythonFloat(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d > 0 ? "inf" : "-inf" }
    if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
    return "\(d)"
  }

  /// Python's string repr: single quotes unless the text has a single quote and no double one.
  static func pythonQuote(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if Character(scalar) == quote {
          out += "\\" + String(quote)
        } else if scalar.value < 0x20 || scalar.value == 0x7F {
          out += String(format: "\\x%02x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out.append(quote)
    return out
  }

  /// Python's `==`.
  public func equals(_ other: JinjaValue) -> Bool {
    switch (self, other) {
    case (.undefined, .undefined), (.none, .none): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
    case (.object(let a), .object(let b)):
      return a.entries.count == b.entries.count
        && a.entries.allSatisfy { entry in b[entry.key].map { entry.value.equals($0) } ?? false }
    case (.namespace(let a), .namespace(let b)): return a === b
    default:
      if let x = numeric, let y = other.numeric { return x == y }
      return false
    }
  }

  /// Numbers (and booleans, as in Python) as doubles.
  var numeric: Double? {
    switch self {
    case .int(let i): Double(i)
    case .double(let d): d
    case .bool(let b): b ? 1 : 0
    default: nil
    }
  }

  /// A JSON value as a template sees it (objects keep their key order).
  public init(json: JSONValue) {
    switch json {
    case .null: self = .none
    case .bool(let b): self = .bool(b)
    case .int(let i): self = .int(Int(i))
    case .double(let d): self = .double(d)
    case .string(let s): self = .string(s)
    case .array(let a): self = .array(a.map(JinjaValue.init(json:)))
    case .object(let o): self = .object(JinjaObject(o.entries.map { ($0.key, JinjaValue(json: $0.value)) }))
    }
  }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
}

/// A dict with its keys in insertion order (Python dicts keep it, and `tojson` shows it).
public struct JinjaObject: Sendable {
  public private(set) var entries: [(key: String, value: JinjaValue)] = []
  private var index: [String: Int] = [:]

  public init(_ entries: [(String, JinjaValue)] = []) {
    for (key, value) in entries { self[key] = value }
  }

  public var isEmpty: Bool { entries.isEmpty }
  public var count: Int { entries.count }

  public subscript(key: String) -> JinjaValue? {
    get { index[key].map { entries[$0].value } }
    set {
      if let position = index[key] {
        if let newValue { entries[position].value = newValue }
      } else if let newValue {
        index[key] = entries.count
        entries.append((key, newValue))
      }
    }
  }
}

/// `namespace()`: attributes a template may set from inside loops.
public final class JinjaNamespace: @unchecked Sendable {
  // Created and mutated only within one rendering, on one thread.
  var values: JinjaObject

  init(_ values: JinjaObject) { self.values = values }
}

/// A callable: positional and keyword arguments in, a value out.
public struct JinjaFunction: Sendable {
  public let name: String
  let call: @Sendable ([JinjaValue], [(String, JinjaValue)], inout JinjaRenderContext) throws -> JinjaValue

  init(
    name: String,
    call: @escaping @Sendable ([JinjaValue], [(String, JinjaValue)], inout JinjaRenderContext) throws -> JinjaValue
  ) {
    self.name = name
    self.call = call
  }
}

/// Per-rendering state a function may need (the output of a macro goes through it).
struct JinjaRenderContext {
  var interpreter: JinjaInterpreter
}
