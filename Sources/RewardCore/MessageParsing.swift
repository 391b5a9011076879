/// Reads OpenAI/TRL-style message lists: `[{"role": "user", "content": "…"}, …]`, where `content`
/// may also be a list of parts of which the text parts are kept.
public enum MessageParsing {
  public static func messages(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> [Message] {
    guard let items = value.arrayValue else {
      throw InputError(.wrongType, at: location, "expected a list of messages, found \(value.typeName)")
    }
    var messages: [Message] = []
    for (index, item) in items.enumerated() {
      let itemLocation = location.field("\(location.field ?? "")[\(index)]")
      guard let object = item.objectValue else {
        throw InputError(
          .wrongType, at: itemLocation, "expected a message object with 'role' and 'content', found \(item.typeName)")
      }
      guard let roleName = object["role"]?.stringValue else {
        throw InputError(.missingField, at: location.field(itemLocation.field! + ".role"), "expected a role string")
      }
      guard let role = Role(rawValue: roleName) else {
        throw InputError(
          .invalidValue, at: location.field(itemLocation.field! + ".role"),
          "unknown role '\(roleName)'; expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      let contentLocation = location.field(itemLocation.field! + ".content")
      messages.append(Message(role: role, content: try content(object["content"] ?? .null, at: contentLocation)))
    }
    return messages
  }

  private static func content(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String {
    switch value {
    case .string(let text): return text
    case .array(let parts):
      var text = ""
      for (index, part) in parts.enumerated() {
        guard let object = part.objectValue, let partText = object["text"]?.stringValue else {
          throw InputError(
            .wrongType, at: location.field("\(location.field ?? "content")[\(index)]"),
            "expected a text part {\"type\": \"text\", \"text\": …}; non-text parts are not supported")
        }
        text += partText
      }
      return text
    case .null:
      throw InputError(.missingField, at: location, "expected message content")
    default:
      throw InputError(.wrongType, at: location, "expected a string or a list of text parts, found \(value.typeName)")
    }
  }

  /// A response given as messages: the assistant turns' contents, joined by a blank line.
  public static func responseText(_ messages: [Message]) -> String {
    messages.map(\.content).joined(separator: "\n\n")
  }
}
