import RewardCore

/// A problem in a reward spec, found when it is loaded: where (file and key path, such as
/// `components[1].pattern`) and what is wrong. Specs fail at load, never halfway through scoring.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String?
  public var path: String
  public var message: String

  public init(file: String? = nil, path: String, _ message: String) {
    self.file = file
    self.path = path
    self.message = message
  }

  public var description: String {
    let location = path.isEmpty ? "(top level)" : path
    return file.map { "\($0): \(location): \(message)" } ?? "\(location): \(message)"
  }
}

extension JSONValue {
  /// What a value is, for "expected …, found …" messages: its type, or for a number that is not
  /// finite, which one (a YAML `.nan` weight is "NaN", not "number").
  var specDescription: String {
    if case .double(let number) = self, !number.isFinite {
      return number.isNaN ? "NaN" : (number > 0 ? "infinity" : "-infinity")
    }
    return typeName
  }
}
