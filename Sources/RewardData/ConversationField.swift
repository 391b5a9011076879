import RewardCore

/// Prompt and response fields as every reader takes them, for readers outside this module (the
/// best-of-N file reader in RewardEval): a string, or an OpenAI/TRL-style list of messages.
public enum ConversationField {
  /// A prompt: a string (one user turn; empty: no turns) or a list of messages.
  public static func prompt(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> Conversation {
    if let text = value.stringValue { return text.isEmpty ? [] : [.user(text)] }
    if value.arrayValue != nil { return try MessageParsing.messages(value, at: location) }
    throw InputError(.wrongType, at: location, "expected a string or a list of messages, found \(value.typeName)")
  }

  /// A response: a string, or a list of messages whose contents are joined by a blank line.
  public static func response(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String {
    if let text = value.stringValue { return text }
    if value.arrayValue != nil { return MessageParsing.responseText(try MessageParsing.messages(value, at: location)) }
    throw InputError(.wrongType, at: location, "expected a string or a list of messages, found \(value.typeName)")
  }
}
