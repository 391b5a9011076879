/// Typed reads of one JSON record's fields: the one reader behind data files, request bodies and
/// spec parameters. Every failure is an `InputError` whose location names the file and line (or the
/// request) and the field's full path (`items[2].messages[0].role`), and says what was expected.
/// Front-ends that need their own error type (the server's 400s, the spec loader's `SpecError`)
/// convert the error; they do not re-implement the reads.
public struct RecordFields: Sendable {
  public let fields: JSONObject
  /// Where the record is. `location.field` is the record's own path inside its document
  /// (`items[2]`, `components[1]`), nil for a top-level record.
  public let location: SourceLocation

  public init(_ fields: JSONObject, at location: SourceLocation) {
    self.fields = fields
    self.location = location
  }

  /// The full path of `key` in this record (`items[2].reference`, or `reference` at top level).
  public func path(_ key: String) -> String {
    guard let prefix = location.field, !prefix.isEmpty else { return key }
    return key.hasPrefix("[") ? prefix + key : "\(prefix).\(key)"
  }

  public func location(of key: String) -> SourceLocation { location.field(path(key)) }

  /// Whether the field is there and not null (JSON null counts as absent everywhere).
  public func has(_ key: String) -> Bool { optionalValue(key) != nil }

  /// The value, or nil when absent or null.
  public func optionalValue(_ key: String) -> JSONValue? {
    guard let value = fields[key], !value.isNull else { return nil }
    return value
  }

  public func value(_ key: String) throws(InputError) -> JSONValue {
    guard let value = optionalValue(key) else {
      let present = fields.keys.map { "'\($0)'" }.joined(separator: ", ")
      throw InputError(
        .missingField, at: location(of: key),
        present.isEmpty
          ? "missing required field (the record is empty)" : "missing required field (the record has \(present))")
    }
    return value
  }

  public func string(_ key: String) throws(InputError) -> String {
    try Self.string(value(key), at: location(of: key))
  }

  public func optionalString(_ key: String) throws(InputError) -> String? {
    has(key) ? try string(key) : nil
  }

  /// A string, or a number written as JSON (`42` → "42"): references, ids and group keys are often
  /// numbers. Booleans, lists and objects are errors, not text.
  public func text(_ key: String) throws(InputError) -> String {
    try Self.text(value(key), at: location(of: key))
  }

  public func optionalText(_ key: String) throws(InputError) -> String? {
    has(key) ? try text(key) : nil
  }

  /// A finite JSON number; with `acceptingNumericStrings`, also a string holding one (CSV cells,
  /// AlpacaEval's `preference`).
  public func number(_ key: String, acceptingNumericStrings: Bool = false) throws(InputError) -> Double {
    let found = try value(key)
    if let number = found.doubleValue, number.isFinite { return number }
    if acceptingNumericStrings, let text = found.stringValue, let number = Double(text.trimmingWhitespace()),
      number.isFinite
    {
      return number
    }
    throw InputError(
      .wrongType, at: location(of: key),
      "expected a finite number, found \(Self.describe(found, expectingNumber: true))"
    )
  }

  /// As `number`, nil when absent (or, with `acceptingNumericStrings`, a blank string).
  public func optionalNumber(_ key: String, acceptingNumericStrings: Bool = false) throws(InputError) -> Double? {
    guard has(key) else { return nil }
    if acceptingNumericStrings, let text = fields[key]?.stringValue, text.trimmingWhitespace().isEmpty { return nil }
    return try number(key, acceptingNumericStrings: acceptingNumericStrings)
  }

  public func integer(_ key: String) throws(InputError) -> Int {
    let found = try value(key)
    guard case .int(let number) = found, let exact = Int(exactly: number) else {
      throw InputError(.wrongType, at: location(of: key), "expected an integer, found \(Self.describe(found))")
    }
    return exact
  }

  public func bool(_ key: String) throws(InputError) -> Bool {
    let found = try value(key)
    guard case .bool(let flag) = found else {
      throw InputError(.wrongType, at: location(of: key), "expected true or false, found \(Self.describe(found))")
    }
    return flag
  }

  public func array(_ key: String) throws(InputError) -> [JSONValue] {
    let found = try value(key)
    guard let items = found.arrayValue else {
      throw InputError(.wrongType, at: location(of: key), "expected an array, found \(Self.describe(found))")
    }
    return items
  }

  /// A list of strings (RewardBench 2's `chosen`/`rejected`, vLLM's `input`).
  public func strings(_ key: String) throws(InputError) -> [String] {
    let found = try value(key)
    guard let items = found.arrayValue else {
      throw InputError(.wrongType, at: location(of: key), "expected a list of strings, found \(Self.describe(found))")
    }
    var strings: [String] = []
    strings.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
      strings.append(try Self.string(item, at: location(of: "\(key)[\(index)]")))
    }
    return strings
  }

  /// A list of finite numbers (a checkpoint's coefficients); every element is checked.
  public func numbers(_ key: String) throws(InputError) -> [Double] {
    let items = try array(key)
    var numbers: [Double] = []
    numbers.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
      guard let number = item.doubleValue, number.isFinite else {
        throw InputError(
          .wrongType, at: location(of: "\(key)[\(index)]"),
          "expected a finite number, found \(Self.describe(item, expectingNumber: true))")
      }
      numbers.append(number)
    }
    return numbers
  }

  /// An error for a value that has the right type but not an allowed value ("expected ≥ 1, found 0").
  public func invalid(_ key: String, _ message: String) -> InputError {
    InputError(.invalidValue, at: location(of: key), message)
  }

  public func object(_ key: String) throws(InputError) -> JSONObject {
    let found = try value(key)
    guard let object = found.objectValue else {
      throw InputError(.wrongType, at: location(of: key), "expected an object, found \(Self.describe(found))")
    }
    return object
  }

  public func optionalObject(_ key: String) throws(InputError) -> JSONObject? {
    has(key) ? try object(key) : nil
  }

  /// The field's object as a record of its own, with paths under `key`.
  public func record(_ key: String) throws(InputError) -> RecordFields {
    RecordFields(try object(key), at: location(of: key))
  }

  /// A list of objects, each a record with paths `key[i]`.
  public func records(_ key: String) throws(InputError) -> [RecordFields] {
    try Self.records(array(key), at: location(of: key))
  }

  // MARK: Values without a key (list elements, a request's whole body)

  public static func records(_ items: [JSONValue], at location: SourceLocation) throws(InputError) -> [RecordFields] {
    var records: [RecordFields] = []
    records.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
      let itemLocation = location.field("\(location.field ?? "")[\(index)]")
      guard let object = item.objectValue else {
        throw InputError(.wrongType, at: itemLocation, "expected an object, found \(describe(item))")
      }
      records.append(RecordFields(object, at: itemLocation))
    }
    return records
  }

  public static func string(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String {
    guard let text = value.stringValue else {
      throw InputError(.wrongType, at: location, "expected a string, found \(describe(value))")
    }
    return text
  }

  public static func text(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String {
    switch value {
    case .string(let text): return text
    case .int, .double: return value.jsonText
    default: throw InputError(.wrongType, at: location, "expected a string or a number, found \(describe(value))")
    }
  }

  /// A value's type as error messages name it ("expected a string, found number"); a string where
  /// a number was expected is shown (briefly), since "found string" would not say which.
  public static func describe(_ value: JSONValue, expectingNumber: Bool = false) -> String {
    if case .double(let number) = value, !number.isFinite {
      return number.isNaN ? "NaN" : number > 0 ? "infinity" : "-infinity"
    }
    guard expectingNumber, let text = value.stringValue else { return value.typeName }
    return "the string \"\(text.excerpt())\""
  }
}

extension String {
  /// The text without leading and trailing whitespace (Foundation-free).
  public func trimmingWhitespace() -> String {
    var scalars = Substring(self)
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    return String(scalars)
  }

  public var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
