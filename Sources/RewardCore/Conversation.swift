/// Who said a turn of a conversation.
public enum Role: String, Sendable, Hashable, CaseIterable {
  case system, user, assistant, tool
}

/// One turn of a conversation.
public struct Message: Sendable, Hashable {
  public var role: Role
  public var content: String

  public init(role: Role, content: String) {
    self.role = role
    self.content = content
  }

  public static func user(_ content: String) -> Message { Message(role: .user, content: content) }
  public static func assistant(_ content: String) -> Message { Message(role: .assistant, content: content) }
  public static func system(_ content: String) -> Message { Message(role: .system, content: content) }
}

/// The turns before a response: system prompt, user turns and earlier assistant turns.
public typealias Conversation = [Message]

extension Array where Element == Message {
  /// The content of the last user turn, if any.
  public var lastUserTurn: String? { last(where: { $0.role == .user })?.content }
}
