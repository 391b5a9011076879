/// Where in the input a problem is: file, 1-based line, and field (a key path such as
/// `chosen[1].content`). Every error about user data carries one.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
  public var file: String
  public var line: Int?
  public var field: String?

  public init(file: String, line: Int? = nil, field: String? = nil) {
    self.file = file
    self.line = line
    self.field = field
  }

  public func field(_ name: String) -> SourceLocation {
    var copy = self
    copy.field = name
    return copy
  }

  public var description: String {
    var text = file
    if let line { text += ":\(line)" }
    if let field { text += ": field '\(field)'" }
    return text
  }
}

/// An error in data a user gave us. The message says where, what was found and what was expected.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What kind of problem it is: `--skip-invalid` reports skipped records grouped by this.
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    case missingFile = "missing file"
    case unreadableFile = "unreadable file"
    case malformedJSON = "malformed JSON"
    case malformedCSV = "malformed CSV"
    case invalidUTF8 = "invalid UTF-8"
    case missingField = "missing field"
    case wrongType = "wrong type"
    case invalidValue = "invalid value"
    case emptyResponse = "empty response"
    case tie = "tie"
    case unknownFormat = "unknown format"
  }

  public var kind: Kind
  public var location: SourceLocation
  public var message: String

  public init(_ kind: Kind, at location: SourceLocation, _ message: String) {
    self.kind = kind
    self.location = location
    self.message = message
  }

  public var description: String { "\(location): \(kind.rawValue): \(message)" }
}

/// An error in how a command or library function was configured (not in the data).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
