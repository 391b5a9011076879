import Foundation

/// Operators, filters, tests and methods with the semantics of Jinja on Python. Anything not here
/// is an error naming it, never a silently different result.
enum JinjaBuiltins {
  // MARK: Access

  static func attribute(_ value: JinjaValue, _ name: String) -> JinjaValue {
    switch value {
    case .object(let object): return object[name] ?? .undefined(name)
    case .namespace(let namespace): return namespace.values[name] ?? .undefined(name)
    default: return .undefined(name)
    }
  }

  static func item(_ value: JinjaValue, _ index: JinjaValue) throws -> JinjaValue {
    switch (value, index) {
    case (.object(let object), .string(let key)): return object[key] ?? .undefined(key)
    case (.namespace(let namespace), .string(let key)): return namespace.values[key] ?? .undefined(key)
    case (.array(let items), .int(let i)):
      let position = i < 0 ? items.count + i : i
      return items.indices.contains(position) ? items[position] : .undefined("[\(i)]")
    case (.string(let text), .int(let i)):
      let scalars = Array(text.unicodeScalars)
      let position = i < 0 ? scalars.count + i : i
      return scalars.indices.contains(position) ? .string(String(scalars[position])) : .undefined("[\(i)]")
    case (.undefined(let name), _):
      throw ChatTemplateError("'\(name)' is undefined (cannot take an item of it)")
    default:
      return .undefined("[\(index.pythonRepr)]")
    }
  }

  /// Python slicing `[start:stop:step]` on lists and strings.
  static func slice(_ value: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws
    -> JinjaValue
  {
    func int(_ v: JinjaValue?) throws -> Int? {
      switch v {
      case nil, .none?: return nil
      case .int(let i)?: return i
      case let other?: throw ChatTemplateError("slice indices must be integers, not \(other.typeName)")
      }
    }
    let step = try int(step) ?? 1
    guard step != 0 else { throw ChatTemplateError("slice step cannot be zero") }
    func indices(_ count: Int) throws -> [Int] {
      func clamp(_ i: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
        guard var i else { return fallback }
        if i < 0 { i += count }
        return min(max(i, low), high)
      }
      if step > 0 {
        let a = clamp(try int(start), 0, low: 0, high: count)
        let b = clamp(try int(stop), count, low: 0, high: count)
        return Array(stride(from: a, to: b, by: step))
      }
      let a = clamp(try int(start), count - 1, low: -1, high: count - 1)
      let b = clamp(try int(stop), -1, low: -1, high: count - 1)
      return Array(stride(from: a, to: b, by: step))
    }
    switch value {
    case .array(let items): return .array(try indices(items.count).map { items[$0] })
    case .string(let text):
      let scalars = Array(text.unicodeScalars)
      var out = String.UnicodeScalarView()
      for i in try indices(scalars.count) { out.append(scalars[i]) }
      return .string(String(out))
    default: throw ChatTemplateError("cannot slice a \(value.typeName)")
    }
  }

  static func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
    switch value {
    case .array(let items): return items
    case .object(let object): return object.entries.map { .string($0.key) }
    case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
    case .undefined: return []
    default: throw ChatTemplateError("a \(value.typeName) is not iterable")
    }
  }

  // MARK: Operators

  static func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
    switch op {
    case "==": return .bool(a.equals(b))
    case "!=": return .bool(!a.equals(b))
    case "<", ">", "<=", ">=":
      let order: Int
      if let x = a.numeric, let y = b.numeric {
        order = x < y ? -1 : x > y ? 1 : 0
      } else if case .string(let x) = a, case .string(let y) = b {
        order = x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) ? -1 : x == y ? 0 : 1
      } else {
        throw ChatTemplateError("cannot compare a \(a.typeName) with a \(b.typeName) using '\(op)'")
      }
      switch op {
      case "<": return .bool(order < 0)
      case ">": return .bool(order > 0)
      case "<=": return .bool(order <= 0)
      default: return .bool(order >= 0)
      }
    case "in":
      switch b {
      case .string(let haystack):
        guard case .string(let needle) = a else {
          throw ChatTemplateError("'in <string>' needs a string on the left, not a \(a.typeName)")
        }
        return .bool(needle.isEmpty || haystack.contains(needle))
      case .array(let items): return .bool(items.contains { $0.equals(a) })
      case .object(let object):
        guard case .string(let key) = a else { return .bool(false) }
        return .bool(object[key] != nil)
      case .namespace(let namespace):
        guard case .string(let key) = a else { return .bool(false) }
        return .bool(namespace.values[key] != nil)
      case .undefined(let name): throw ChatTemplateError("'\(name)' is undefined (cannot test 'in' it)")
      default: throw ChatTemplateError("a \(b.typeName) is not a container for 'in'")
      }
    case "~": return .string(a.pythonString + b.pythonString)
    default: break
    }
    if case .undefined(let name) = a { throw ChatTemplateError("'\(name)' is undefined (in '\(op)')") }
    if case .undefined(let name) = b { throw ChatTemplateError("'\(name)' is undefined (in '\(op)')") }
    switch (op, a, b) {
    case ("+", .string(let x), .string(let y)): return .string(x + y)
    case ("+", .array(let x), .array(let y)): return .array(x + y)
    case ("*", .string(let x), .int(let n)), ("*", .int(let n), .string(let x)):
      guard n <= 0 || x.utf8.count * min(n, 1 << 30) <= 1 << 26 else {
        throw ChatTemplateError("string repetition of \(n) is too large")
      }
      return .string(String(repeating: x, count: max(0, n)))
    default: break
    }
    guard let x = a.numeric, let y = b.numeric else {
      throw ChatTemplateError("unsupported operand types for '\(op)': \(a.typeName) and \(b.typeName)")
    }
    let bothInts = isInt(a) && isInt(b)
    // Integer results that overflow are errors (Python has big integers; a crash is not an option).
    func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
      guard !result.overflow else { throw ChatTemplateError("integer overflow in '\(op)'") }
      return .int(result.partialValue)
    }
    switch op {
    case "+": return bothInts ? try checked(intValue(a).addingReportingOverflow(intValue(b))) : .double(x + y)
    case "-": return bothInts ? try checked(intValue(a).subtractingReportingOverflow(intValue(b))) : .double(x - y)
    case "*": return bothInts ? try checked(intValue(a).multipliedReportingOverflow(by: intValue(b))) : .double(x * y)
    case "/":
      guard y != 0 else { throw ChatTemplateError("division by zero") }
      return .double(x / y)
    case "//":
      guard y != 0 else { throw ChatTemplateError("integer division by zero") }
      if bothInts {
        guard !(intValue(a) == Int.min && intValue(b) == -1) else {
          throw ChatTemplateError("integer overflow in '//'")
        }
        let (q, r) = intValue(a).quotientAndRemainder(dividingBy: intValue(b))
        return .int(r != 0 && (r < 0) != (intValue(b) < 0) ? q - 1 : q)
      }
      return .double((x / y).rounded(.down))
    case "%":
      guard y != 0 else { throw ChatTemplateError("modulo by zero") }
      if bothInts {
        guard intValue(b) != -1 else { return .int(0) }
        let r = intValue(a) % intValue(b)
        return .int(r != 0 && (r < 0) != (intValue(b) < 0) ? r + intValue(b) : r)
      }
      let r = x.truncatingRemainder(dividingBy: y)
      return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
    case "**":
      if bothInts, intValue(b) >= 0 {
        var result = 1
        for _ in 0..<min(intValue(b), 64) {
          result = try checked(result.multipliedReportingOverflow(by: intValue(a))).asInt
        }
        if intValue(b) > 64, abs(intValue(a)) > 1 { throw ChatTemplateError("integer overflow in '**'") }
        if intValue(b) > 64, intValue(a) == -1 { return .int(intValue(b) % 2 == 0 ? 1 : -1) }
        return .int(result)
      }
      return .double(pow(x, y))
    default: throw ChatTemplateError("unsupported operator '\(op)'")
    }
  }

  private static func isInt(_ v: JinjaValue) -> Bool {
    switch v {
    case .int, .bool: true
    default: false
    }
  }

  private static func intValue(_ v: JinjaValue) -> Int {
    switch v {
    case .int(let i): i
    case .bool(let b): b ? 1 : 0
    default: 0
    }
  }

  // MARK: Tests (`is …`)

  static func test(_ name: String, _ value: JinjaValue, _ args: [JinjaValue]) throws -> Bool {
    func argument() throws -> JinjaValue {
      guard let first = args.first else { throw ChatTemplateError("test '\(name)' needs an argument") }
      return first
    }
    switch name {
    case "defined": return !value.isUndefined
    case "undefined": return value.isUndefined
    case "none": if case .none = value { return true } else { return false }
    case "string": if case .string = value { return true } else { return false }
    case "number": return [.int(0), .double(0)].contains { sameKind($0, value) }
    case "integer": if case .int = value { return true } else { return false }
    case "float": if case .double = value { return true } else { return false }
    case "boolean": if case .bool = value { return true } else { return false }
    case "true": if case .bool(true) = value { return true } else { return false }
    case "false": if case .bool(false) = value { return true } else { return false }
    case "mapping":
      switch value {
      case .object, .namespace: return true
      default: return false
      }
    case "iterable":
      switch value {
      case .array, .object, .string, .namespace: return true
      default: return false
      }
    case "sequence":
      switch value {
      case .array, .object, .string: return true
      default: return false
      }
    case "callable": if case .function = value { return true } else { return false }
    case "equalto", "eq", "==", "sameas": return value.equals(try argument())
    case "ne", "!=": return !value.equals(try argument())
    case "gt", "greaterthan", ">": return try binary(">", value, try argument()).isTruthy
    case "ge", ">=": return try binary(">=", value, try argument()).isTruthy
    case "lt", "lessthan", "<": return try binary("<", value, try argument()).isTruthy
    case "le", "<=": return try binary("<=", value, try argument()).isTruthy
    case "in": return try binary("in", value, try argument()).isTruthy
    case "odd", "even", "divisibleby":
      guard case .int(let i) = value else { throw ChatTemplateError("test '\(name)' needs an integer") }
      if name == "odd" { return i % 2 != 0 }
      if name == "even" { return i % 2 == 0 }
      guard case .int(let d) = try argument(), d != 0 else {
        throw ChatTemplateError("divisibleby needs a non-zero integer")
      }
      return i % d == 0
    case "lower", "upper":
      guard case .string(let s) = value else { return false }
      return name == "lower" ? s == s.lowercased() : s == s.uppercased()
    default: throw ChatTemplateError("unsupported Jinja: test '\(name)'")
    }
  }

  private static func sameKind(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
    switch (a, b) {
    case (.int, .int), (.double, .double): true
    default: false
    }
  }

  // MARK: Filters (`| …`)

  static func filter(_ name: String, _ value: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)])
    throws -> JinjaValue
  {
    func arg(_ i: Int, _ key: String) -> JinjaValue? {
      if i < args.count { return args[i] }
      return kwargs.first { $0.0 == key }?.1
    }
    func string() throws -> String {
      switch value {
      case .string(let s): return s
      case .undefined: return ""
      default: return value.pythonString
      }
    }
    switch name {
    case "trim":
      if case .string(let chars)? = arg(0, "chars") { return .string(strip(try string(), Set(chars.unicodeScalars))) }
      return .string(strip(try string(), nil))
    case "upper": return .string(try string().uppercased())
    case "lower": return .string(try string().lowercased())
    case "capitalize":
      let s = try string()
      return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
    case "title": return .string(jinjaTitle(try string()))
    case "string": return .string(value.pythonString)
    case "safe": return value
    case "length", "count":
      switch value {
      case .string(let s): return .int(s.unicodeScalars.count)
      case .array(let a): return .int(a.count)
      case .object(let o): return .int(o.count)
      case .undefined: return .int(0)
      default: throw ChatTemplateError("object of type \(value.typeName) has no length")
      }
    case "first", "last":
      let items = try iterate(value)
      return (name == "first" ? items.first : items.last) ?? .undefined(name)
    case "list": return .array(try iterate(value))
    case "reverse":
      if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
      return .array(try iterate(value).reversed())
    case "default", "d":
      let fallback = arg(0, "default_value") ?? .string("")
      let boolean = arg(1, "boolean")?.isTruthy ?? false
      if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
      return value
    case "join":
      let separator = arg(0, "d")?.pythonString ?? ""
      var items = try iterate(value)
      if let attribute = arg(1, "attribute") { items = items.map { Self.attribute($0, attribute.pythonString) } }
      return .string(items.map(\.pythonString).joined(separator: separator))
    case "items":
      switch value {
      case .object(let o): return .array(o.entries.map { .array([.string($0.key), $0.value]) })
      case .undefined: return .array([])
      default: throw ChatTemplateError("filter 'items' needs a dict, not a \(value.typeName)")
      }
    case "tojson":
      let indent: Int?
      switch arg(0, "indent") {
      case .int(let n)?: indent = n
      case nil, .none?: indent = nil
      case let other?: throw ChatTemplateError("tojson indent must be an integer, not \(other.typeName)")
      }
      let sortKeys = arg(3, "sort_keys")?.isTruthy ?? false
      let ensureASCII = arg(1, "ensure_ascii")?.isTruthy ?? false
      var separators: (String, String)? = nil
      if case .array(let pair)? = arg(2, "separators"), pair.count == 2 {
        separators = (pair[0].pythonString, pair[1].pythonString)
      }
      return .string(
        try JSONDump(indent: indent, sortKeys: sortKeys, ensureASCII: ensureASCII, separators: separators).dump(value))
    case "selectattr", "rejectattr", "select", "reject":
      let items = try iterate(value)
      let byAttribute = name.hasSuffix("attr")
      guard !byAttribute || !args.isEmpty else { throw ChatTemplateError("filter '\(name)' needs an attribute name") }
      let attributeName = byAttribute ? args[0].pythonString : nil
      let testArgs = Array(args.dropFirst(byAttribute ? 1 : 0))
      let keep = name.hasPrefix("select")
      return .array(
        try items.filter { item in
          let subject = attributeName.map { Self.attribute(item, $0) } ?? item
          let passed: Bool
          if let testName = testArgs.first {
            passed = try test(testName.pythonString, subject, Array(testArgs.dropFirst()))
          } else {
            passed = subject.isTruthy
          }
          return passed == keep
        })
    case "map":
      let items = try iterate(value)
      if let attribute = kwargs.first(where: { $0.0 == "attribute" })?.1 {
        let fallback = kwargs.first(where: { $0.0 == "default" })?.1
        return .array(
          items.map { item in
            let v = Self.attribute(item, attribute.pythonString)
            return v.isUndefined ? (fallback ?? v) : v
          })
      }
      guard let filterName = args.first else { throw ChatTemplateError("filter 'map' needs a filter or attribute=") }
      return .array(try items.map { try filter(filterName.pythonString, $0, Array(args.dropFirst()), []) })
    case "unique":
      var seen: [JinjaValue] = []
      for item in try iterate(value) where !seen.contains(where: { $0.equals(item) }) { seen.append(item) }
      return .array(seen)
    case "int":
      switch value {
      case .int: return value
      case .double(let d): return d.isFinite && abs(d) < 9e18 ? .int(Int(d)) : arg(0, "default") ?? .int(0)
      case .bool(let b): return .int(b ? 1 : 0)
      case .string(let s):
        // Jinja tries int(), then int(float()), then the default.
        let trimmed = s.trimmingCharacters(in: .whitespaces)
        if let i = Int(trimmed) { return .int(i) }
        if let d = Double(trimmed), d.isFinite, abs(d) < 9e18 { return .int(Int(d)) }
        return arg(0, "default") ?? .int(0)
      default: return arg(0, "default") ?? .int(0)
      }
    case "float":
      if let d = value.numeric { return .double(d) }
      if case .string(let s) = value, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
      return arg(0, "default") ?? .double(0)
    case "abs":
      switch value {
      case .int(let i): return .int(abs(i))
      case .double(let d): return .double(abs(d))
      default: throw ChatTemplateError("filter 'abs' needs a number")
      }
    case "replace":
      guard case .string(let old)? = arg(0, "old"), case .string(let new)? = arg(1, "new") else {
        throw ChatTemplateError("filter 'replace' needs two strings")
      }
      return .string(try string().replacingOccurrences(of: old, with: new))
    case "indent":
      let width: String
      switch arg(0, "width") {
      case .string(let s)?: width = s
      case .int(let n)?: width = String(repeating: " ", count: n)
      default: width = "    "
      }
      let first = arg(1, "first")?.isTruthy ?? false
      let blank = arg(2, "blank")?.isTruthy ?? false
      let lines = try string().components(separatedBy: "\n")
      var out: [String] = []
      for (i, line) in lines.enumerated() {
        if i == 0 && !first {
          out.append(line)
        } else if line.isEmpty && !blank {
          out.append(line)
        } else {
          out.append(width + line)
        }
      }
      return .string(out.joined(separator: "\n"))
    case "sum":
      var total: JinjaValue = .int(0)
      for item in try iterate(value) { total = try binary("+", total, item) }
      return total
    case "min", "max":
      let items = try iterate(value)
      guard var best = items.first else { return .undefined(name) }
      for item in items.dropFirst() where try binary(name == "min" ? "<" : ">", item, best).isTruthy { best = item }
      return best
    case "sort":
      let reverse = arg(0, "reverse")?.isTruthy ?? false
      let caseSensitive = arg(1, "case_sensitive")?.isTruthy ?? false
      let attribute = arg(2, "attribute")?.pythonString
      func key(_ v: JinjaValue) -> JinjaValue {
        let k = attribute.map { Self.attribute(v, $0) } ?? v
        if !caseSensitive, case .string(let text) = k { return .string(text.lowercased()) }
        return k
      }
      var failure: Error? = nil
      // Stable, as Python's `sorted`.
      let sorted = try iterate(value).enumerated().sorted { a, b in
        do {
          if try binary("<", key(a.element), key(b.element)).isTruthy { return !reverse }
          if try binary("<", key(b.element), key(a.element)).isTruthy { return reverse }
        } catch {
          failure = error
        }
        return a.offset < b.offset
      }
      if let failure { throw failure }
      return .array(sorted.map(\.element))
    case "dictsort":
      guard case .object(let o) = value else { throw ChatTemplateError("filter 'dictsort' needs a dict") }
      let sorted = o.entries.sorted { $0.key.lowercased() < $1.key.lowercased() }
      return .array(sorted.map { .array([.string($0.key), $0.value]) })
    default:
      throw ChatTemplateError("unsupported Jinja: filter '\(name)'")
    }
  }

  /// Python's `str.strip([chars])` (whitespace when `chars` is nil).
  static func strip(_ s: String, _ chars: Set<Unicode.Scalar>?, leading: Bool = true, trailing: Bool = true) -> String {
    let scalars = Array(s.unicodeScalars)
    func strippable(_ c: Unicode.Scalar) -> Bool { chars.map { $0.contains(c) } ?? isPythonSpace(c) }
    var start = 0
    var end = scalars.count
    if leading { while start < end, strippable(scalars[start]) { start += 1 } }
    if trailing { while end > start, strippable(scalars[end - 1]) { end -= 1 } }
    return String(String.UnicodeScalarView(scalars[start..<end]))
  }

  /// Jinja's `title` filter: each word (split at spaces, hyphens and opening brackets) gets its
  /// first character upper-cased and the rest lower-cased.
  static func jinjaTitle(_ s: String) -> String {
    var out = ""
    var atWordStart = true
    for c in s {
      let isSeparator = c.isWhitespace || "-({[<".contains(c)
      out += isSeparator ? String(c) : atWordStart ? c.uppercased() : c.lowercased()
      atWordStart = isSeparator
    }
    return out
  }

  /// Python's `str.title()`: a cased character after an uncased one starts a word.
  static func pythonTitle(_ s: String) -> String {
    var out = ""
    var previousCased = false
    for c in s {
      out += previousCased ? c.lowercased() : c.uppercased()
      previousCased = c.isCased
    }
    return out
  }

  /// Python's `str.isspace()` per character (White_Space plus the separators 0x1C–0x1F).
  static func isPythonSpace(_ c: Unicode.Scalar) -> Bool {
    c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
  }

  // MARK: Methods

  static func callMethod(
    _ receiver: JinjaValue, _ method: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]
  )
    throws -> JinjaValue
  {
    func stringArg(_ i: Int) throws -> String? {
      guard i < args.count else { return nil }
      switch args[i] {
      case .string(let s): return s
      case .none: return nil
      default: throw ChatTemplateError("\(method)() needs a string argument, not \(args[i].typeName)")
      }
    }
    switch receiver {
    case .string(let s):
      switch method {
      case "strip", "lstrip", "rstrip":
        let chars = try stringArg(0).map { Set($0.unicodeScalars) }
        return .string(strip(s, chars, leading: method != "rstrip", trailing: method != "lstrip"))
      case "startswith", "endswith":
        let candidates: [String]
        switch args.first {
        case .string(let p)?: candidates = [p]
        case .array(let items)?: candidates = items.map(\.pythonString)
        default: throw ChatTemplateError("\(method)() needs a string or a tuple of strings")
        }
        return .bool(
          candidates.contains {
            method == "startswith" ? s.unicodeScalars.starts(with: $0.unicodeScalars) : hasSuffix(s, $0)
          })
      case "split", "rsplit":
        let separator = try stringArg(0)
        var maxSplit = -1
        if args.count > 1, case .int(let n) = args[1] { maxSplit = n }
        if let n = kwargs.first(where: { $0.0 == "maxsplit" })?.1, case .int(let m) = n { maxSplit = m }
        return .array(
          try pythonSplit(s, separator, maxSplit: maxSplit, fromRight: method == "rsplit").map { .string($0) })
      case "splitlines":
        return .array(
          s.split(omittingEmptySubsequences: false) { $0.isNewline }.map { .string(String($0)) }.dropLast(
            s.hasSuffix("\n") ? 1 : 0))
      case "replace":
        guard let old = try stringArg(0), let new = try stringArg(1) else {
          throw ChatTemplateError("replace() needs two strings")
        }
        if args.count > 2 { throw ChatTemplateError("unsupported Jinja: replace() with a count") }
        return .string(old.isEmpty ? s : s.replacingOccurrences(of: old, with: new))
      case "upper": return .string(s.uppercased())
      case "lower": return .string(s.lowercased())
      case "title": return .string(pythonTitle(s))
      case "capitalize": return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
      case "find":
        guard let needle = try stringArg(0) else { throw ChatTemplateError("find() needs a string") }
        guard let range = s.range(of: needle) else { return .int(-1) }
        return .int(s.unicodeScalars.distance(from: s.startIndex, to: range.lowerBound))
      case "count":
        guard let needle = try stringArg(0), !needle.isEmpty else { throw ChatTemplateError("count() needs a string") }
        return .int(s.components(separatedBy: needle).count - 1)
      case "join":
        guard let items = args.first else { throw ChatTemplateError("join() needs a list") }
        return .string(try iterate(items).map(\.pythonString).joined(separator: s))
      case "isdigit": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal })
      case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(isPythonSpace))
      default: break
      }
    case .object(let o):
      switch method {
      case "items": return .array(o.entries.map { .array([.string($0.key), $0.value]) })
      case "keys": return .array(o.entries.map { .string($0.key) })
      case "values": return .array(o.entries.map(\.value))
      case "get":
        guard let key = try stringArg(0) else { throw ChatTemplateError("get() needs a string key") }
        return o[key] ?? (args.count > 1 ? args[1] : .none)
      default: break
      }
    case .undefined(let name):
      throw ChatTemplateError("'\(name)' is undefined (cannot call .\(method)() on it)")
    default: break
    }
    throw ChatTemplateError("unsupported Jinja: method '\(method)' on a \(receiver.typeName)")
  }

  private static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
    let a = Array(s.unicodeScalars)
    let b = Array(suffix.unicodeScalars)
    return b.count <= a.count && Array(a[(a.count - b.count)...]) == b
  }

  /// Python's `str.split(sep, maxsplit)` / `rsplit`.
  static func pythonSplit(_ s: String, _ separator: String?, maxSplit: Int, fromRight: Bool) throws -> [String] {
    if let separator {
      guard !separator.isEmpty else { throw ChatTemplateError("split() separator is empty") }
      var parts = s.components(separatedBy: separator)
      if maxSplit >= 0, parts.count > maxSplit + 1 {
        if fromRight {
          let head = parts[..<(parts.count - maxSplit)].joined(separator: separator)
          parts = [head] + parts[(parts.count - maxSplit)...]
        } else {
          let tail = parts[maxSplit...].joined(separator: separator)
          parts = Array(parts[..<maxSplit]) + [tail]
        }
      }
      return parts
    }
    // Whitespace split: runs of whitespace, no empty parts.
    guard maxSplit < 0 else { throw ChatTemplateError("unsupported Jinja: split() on whitespace with maxsplit") }
    var parts: [String] = []
    var current = String.UnicodeScalarView()
    for c in s.unicodeScalars {
      if isPythonSpace(c) {
        if !current.isEmpty { parts.append(String(current)) }
        current = String.UnicodeScalarView()
      } else {
        current.append(c)
      }
    }
    if !current.isEmpty { parts.append(String(current)) }
    return parts
  }
}

/// Python's `json.dumps` as transformers' `tojson` calls it (ensure_ascii=False by default, indent,
/// separators, sort_keys).
struct JSONDump {
  var indent: Int?
  var sortKeys: Bool
  var ensureASCII: Bool
  var separators: (String, String)?

  func dump(_ value: JinjaValue) throws -> String {
    var out = ""
    try write(value, depth: 0, into: &out)
    return out
  }

  private var itemSeparator: String { separators?.0 ?? (indent == nil ? ", " : ",") }
  private var keySeparator: String { separators?.1 ?? ": " }

  private func write(_ value: JinjaValue, depth: Int, into out: inout String) throws {
    switch value {
    case .none: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d):
      if d.isNaN {
        out += "NaN"
      } else if d.isInfinite {
        out += d > 0 ? "Infinity" : "-Infinity"
      } else {
        out += JinjaValue.pythonFloat(d)
      }
    case .string(let s): writeString(s, into: &out)
    case .array(let items):
      try writeContainer(items.map { (nil, $0) }, open: "[", close: "]", depth: depth, into: &out)
    case .object(let object):
      var entries = object.entries.map { (Optional($0.key), $0.value) }
      if sortKeys { entries.sort { $0.0! < $1.0! } }
      try writeContainer(entries, open: "{", close: "}", depth: depth, into: &out)
    case .namespace(let namespace): try write(.object(namespace.values), depth: depth, into: &out)
    case .undefined(let name): throw ChatTemplateError("tojson: '\(name)' is undefined")
    case .function(let f): throw ChatTemplateError("tojson: function '\(f.name)' is not JSON serializable")
    }
  }

  private func writeContainer(
    _ entries: [(String?, JinjaValue)], open: String, close: String, depth: Int, into out: inout String
  ) throws {
    guard !entries.isEmpty else {
      out += open + close
      return
    }
    out += open
    for (i, (key, value)) in entries.enumerated() {
      if i > 0 { out += itemSeparator }
      if let indent { out += "\n" + String(repeating: " ", count: indent * (depth + 1)) }
      if let key {
        writeString(key, into: &out)
        out += keySeparator
      }
      try write(value, depth: depth + 1, into: &out)
    }
    if let indent { out += "\n" + String(repeating: " ", count: indent * depth) }
    out += close
  }

  private func writeString(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{8}": out += "\\b"
      case "\u{C}": out += "\\f"
      default:
        if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
          if scalar.value > 0xFFFF {
            let v = scalar.value - 0x10000
            out += String(format: "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
          } else {
            out += String(format: "\\u%04x", scalar.value)
          }
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }
}
