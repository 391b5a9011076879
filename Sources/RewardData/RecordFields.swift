import RewardCore

/// Typed access to one record's fields; every failure is an `InputError` naming file, line and field.
struct RecordFields {
  let record: SourceRecord

  var location: SourceLocation { record.location }

  func has(_ key: String) -> Bool {
    guard let value = record.fields[key] else { return false }
    return !value.isNull
  }

  func value(_ key: String) throws(InputError) -> JSONValue {
    guard let value = record.fields[key], !value.isNull else {
      throw InputError(
        .missingField, at: location.field(key),
        "expected this field; the record has \(record.fields.keys.map { "'\($0)'" }.joined(separator: ", "))")
    }
    return value
  }

  func string(_ key: String) throws(InputError) -> String {
    let value = try value(key)
    guard let text = value.stringValue else {
      throw InputError(.wrongType, at: location.field(key), "expected a string, found \(value.typeName)")
    }
    return text
  }

  func optionalString(_ key: String) throws(InputError) -> String? {
    guard has(key) else { return nil }
    let value = try value(key)
    switch value {
    case .string(let s): return s
    case .int(let i): return String(i)  // ids are often numbers
    default: throw InputError(.wrongType, at: location.field(key), "expected a string, found \(value.typeName)")
    }
  }

  /// A number, also accepted as a string holding one (CSV cells, AlpacaEval's `preference`).
  func number(_ key: String) throws(InputError) -> Double {
    let value = try value(key)
    if let number = value.doubleValue { return number }
    if let text = value.stringValue, let number = Double(text.trimmingWhitespace()), number.isFinite { return number }
    throw InputError(.wrongType, at: location.field(key), "expected a number, found \(describe(value))")
  }

  func optionalNumber(_ key: String) throws(InputError) -> Double? {
    guard has(key) else { return nil }
    if let text = record.fields[key]?.stringValue, text.trimmingWhitespace().isEmpty { return nil }
    return try number(key)
  }

  /// A list of strings (RewardBench 2's `chosen`/`rejected`).
  func strings(_ key: String) throws(InputError) -> [String] {
    let value = try value(key)
    guard let items = value.arrayValue else {
      throw InputError(.wrongType, at: location.field(key), "expected a list of strings, found \(value.typeName)")
    }
    var strings: [String] = []
    for (index, item) in items.enumerated() {
      guard let text = item.stringValue else {
        throw InputError(
          .wrongType, at: location.field("\(key)[\(index)]"), "expected a string, found \(item.typeName)")
      }
      strings.append(text)
    }
    return strings
  }

  private func describe(_ value: JSONValue) -> String {
    if let text = value.stringValue { return "the string \"\(text.prefix(40))\"" }
    return value.typeName
  }
}

extension String {
  func trimmingWhitespace() -> String {
    var scalars = Substring(self)
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    return String(scalars)
  }

  var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
