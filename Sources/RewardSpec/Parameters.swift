import RewardCore

/// Typed access to one component's parameters, with errors that name the key path
/// (`components[1].pattern: expected a string, found number`). Every key read is recorded, so
/// `finish()` can reject misspelt parameters instead of silently ignoring them.
public struct Parameters: Sendable {
  public let path: String
  public let file: String?
  private let object: JSONObject
  private var used: Set<String>

  public init(_ object: JSONObject, path: String, file: String? = nil, alreadyUsed: Set<String> = []) {
    self.object = object
    self.path = path
    self.file = file
    self.used = alreadyUsed
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
    let found = try requiredValue(key)
    guard let string = found.stringValue else { throw error(key, "expected a string, found \(found.typeName)") }
    return string
  }

  public mutating func string(_ key: String, default fallback: String) throws(SpecError) -> String {
    value(key) == nil ? fallback : try string(key)
  }

  public mutating func optionalString(_ key: String) throws(SpecError) -> String? {
    value(key) == nil ? nil : try string(key)
  }

  public mutating func double(_ key: String) throws(SpecError) -> Double {
    let found = try requiredValue(key)
    guard let number = found.doubleValue, number.isFinite else {
      throw error(key, "expected a finite number, found \(found.specDescription)")
    }
    return number
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
    guard let found = value(key) else { return fallback }
    guard case .int(let number) = found else { throw error(key, "expected an integer, found \(found.typeName)") }
    if let range, !range.contains(Int(number)) {
      throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
    }
    return Int(number)
  }

  public mutating func bool(_ key: String, default fallback: Bool) throws(SpecError) -> Bool {
    guard let found = value(key) else { return fallback }
    guard case .bool(let flag) = found else { throw error(key, "expected true or false, found \(found.typeName)") }
    return flag
  }

  public mutating func stringArray(_ key: String, default fallback: [String]? = nil) throws(SpecError) -> [String] {
    guard let found = value(key) else {
      if let fallback { return fallback }
      throw error(key, "missing required parameter")
    }
    guard let items = found.arrayValue else { throw error(key, "expected a list of strings, found \(found.typeName)") }
    var strings: [String] = []
    for (index, item) in items.enumerated() {
      guard let string = item.stringValue else {
        throw error("\(key)[\(index)]", "expected a string, found \(item.typeName)")
      }
      strings.append(string)
    }
    return strings
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
