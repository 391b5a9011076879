/// A problem with a model directory or its files: names the file, the field or tensor, and what
/// was expected, so a person knows what to fix or download.
public struct BackboneError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var field: String?
  public var message: String

  public init(file: String, field: String? = nil, _ message: String) {
    self.file = file
    self.field = field
    self.message = message
  }

  public var description: String {
    if let field { return "\(file): field '\(field)': \(message)" }
    return "\(file): \(message)"
  }
}
