import RewardCore

/// Typed access to one component's parameters, with errors that name the key path
/// (`components[1].pattern: expected a string, found number`). The reads are RewardCore's one
/// record reader (`RecordFields`); this adds the spec's error type and records every key read, so
/// `finish()` can reject misspelt parameters instead of silently ignoring them.
public struct Parameters: Sendable {
  public let path: String
  public let file: String?
  private let fields: RecordFields
  private var object: JSONObject { fields.fields }
  private var used: Set<String>

  public init(_ object: JSONObject, path: String, file: String? = nil, alreadyUsed: Set<String> = []) {
    self.fields = RecordFields(object, at: SourceLocation(file: file ?? "spec", field: path.isEmpty ? nil : path))
    self.path = path
    self.file = file
    self.used = alreadyUsed
  }

  /// Runs a read of the shared reader, its `InputError` becoming a `SpecError` at the same path.
  private func read<T>(_ key: String, _ body: (RecordFields) throws(InputError) -> T) throws(SpecError) -> T {
    do {
      return try body(fields)
    } catch {
      throw SpecError(file: file, path: error.location.field ?? fields.path(key), error.message)
    }
  }

  public func error(_ key: String?, _ message: String) -> SpecError {
    guard let key else { return SpecError(file: file, path: path, message) }
    return SpecError(file: file, path: path.isEmpty ? key : "\(path).\(key)", message)
  }

  public mutating func value(_ key: String) -> JSONValue? {
    used.insert(key)
    guard let value = object[key], !value.isNull else { return nil }
    return value
  }

  public mutating func requiredValue(_ key: String) throws(SpecError) -> JSONValue {
    guard let value = value(key) else { throw error(key, "missing required parameter") }
    return value
  }

  public mutating func string(_ key: String) throws(SpecError) -> String {
    _ = try requiredValue(key)
    return try read(key) { (fields) throws(InputError) in try fields.string(key) }
  }

  public mutating func string(_ key: String, default fallback: String) throws(SpecError) -> String {
    value(key) == nil ? fallback : try string(key)
  }

  public mutating func optionalString(_ key: String) throws(SpecError) -> String? {
    value(key) == nil ? nil : try string(key)
  }

  public mutating func double(_ key: String) throws(SpecError) -> Double {
    _ = try requiredValue(key)
    return try read(key) { (fields) throws(InputError) in try fields.number(key) }
  }

  public mutating func double(_ key: String, default fallback: Double) throws(SpecError) -> Double {
    value(key) == nil ? fallback : try double(key)
  }

  public mutating func optionalDouble(_ key: String) throws(SpecError) -> Double? {
    value(key) == nil ? nil : try double(key)
  }

  public mutating func int(_ key: String, default fallback: Int, range: ClosedRange<Int>? = nil) throws(SpecError)
    -> Int
  {
    guard value(key) != nil else { return fallback }
    let number = try read(key) { (fields) throws(InputError) in try fields.integer(key) }
    if let range, !range.contains(number) {
      throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
    }
    return number
  }

  public mutating func bool(_ key: String, default fallback: Bool) throws(SpecError) -> Bool {
    guard value(key) != nil else { return fallback }
    return try read(key) { (fields) throws(InputError) in try fields.bool(key) }
  }

  public mutating func stringArray(_ key: String, default fallback: [String]? = nil) throws(SpecError) -> [String] {
    guard value(key) != nil else {
      if let fallback { return fallback }
      throw error(key, "missing required parameter")
    }
    return try read(key) { (fields) throws(InputError) in try fields.strings(key) }
  }

  /// One of a fixed set of words (`unit: tokens`).
  public mutating func choice(_ key: String, among choices: [String], default fallback: String) throws(SpecError)
    -> String
  {
    let chosen = try string(key, default: fallback)
    guard choices.contains(chosen) else {
      throw error(key, "expected one of \(choices.joined(separator: ", ")), found '\(chosen.excerpt())'")
    }
    return chosen
  }

  /// Rejects keys nobody asked for: a misspelt parameter is an error, not a silent default.
  public func finish() throws(SpecError) {
    for key in object.keys where !used.contains(key) {
      let known = used.sorted().joined(separator: ", ")
      throw error(key.excerpt(), "unknown parameter (known here: \(known))")
    }
  }
}
