import RewardCore

/// Anthropic HH-RLHF transcripts: `\n\nHuman: …\n\nAssistant: …` turns in one string.
enum HHTranscript {
  static let humanMarker = "\n\nHuman:"
  static let assistantMarker = "\n\nAssistant:"

  static func looksLikeTranscript(_ text: String) -> Bool {
    (text.hasPrefix(humanMarker) || text.hasPrefix("Human:")) && text.contains(assistantMarker)
  }

  /// Splits a transcript into turns; text before the first marker is an error.
  static func turns(_ text: String) -> [Message]? {
    var turns: [Message] = []
    var rest = Substring(text)
    if rest.hasPrefix("Human:") { rest = "\n\n" + rest }
    while !rest.isEmpty {
      let role: Role
      if rest.hasPrefix(humanMarker) {
        role = .user
        rest = rest.dropFirst(humanMarker.count)
      } else if rest.hasPrefix(assistantMarker) {
        role = .assistant
        rest = rest.dropFirst(assistantMarker.count)
      } else {
        return nil
      }
      let next = [rest.range(of: humanMarker), rest.range(of: assistantMarker)].compactMap { $0?.lowerBound }.min()
      let end = next ?? rest.endIndex
      var content = rest[..<end]
      if content.hasPrefix(" ") { content = content.dropFirst() }
      turns.append(Message(role: role, content: String(content)))
      rest = rest[end...]
    }
    return turns
  }

  /// Renders turns back in transcript form (for responses that span several turns).
  static func render(_ turns: ArraySlice<Message>) -> String {
    var text = ""
    for (offset, turn) in turns.enumerated() {
      if offset == 0 && turn.role == .assistant {
        text += turn.content
      } else {
        text += (turn.role == .assistant ? assistantMarker : humanMarker) + " " + turn.content
      }
    }
    return text
  }

  /// The shared prompt and the two responses, as TRL's HH-RLHF preparation does: the prompt is
  /// the turns both transcripts share up to the last assistant turn they diverge at (or the last
  /// assistant turn when identical); each response is the rest of its transcript. When one side
  /// goes on for more turns (9 records of helpful-base test), its response keeps those turns, in
  /// transcript form, instead of silently dropping them.
  static func split(
    chosen: [Message], rejected: [Message]
  ) -> (prompt: Conversation, chosen: String, rejected: String)? {
    var shared = 0
    while shared < min(chosen.count, rejected.count) && chosen[shared] == rejected[shared] { shared += 1 }
    var start = min(shared, chosen.count - 1, rejected.count - 1)
    while start >= 0 && !(chosen[start].role == .assistant && rejected[start].role == .assistant) { start -= 1 }
    guard start >= 0 else { return nil }
    return (Array(chosen[..<start]), render(chosen[start...]), render(rejected[start...]))
  }
}
