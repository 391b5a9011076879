import Foundation
import RewardCore
import RewardEngine

/// A test double for an engine: answers each request with what `script` returns for it, and
/// records every request it was sent.
final class ScriptedEngine: ChatEngine, @unchecked Sendable {
  let modelName = "scripted"
  private let lock = NSLock()
  private var sent: [ChatRequest] = []
  private let script: @Sendable (ChatRequest, Int) throws -> ChatResponse

  init(_ script: @escaping @Sendable (ChatRequest, Int) throws -> ChatResponse) {
    self.script = script
  }

  /// Replies with fixed texts in turn (the last one repeats).
  convenience init(texts: [String]) {
    self.init { _, call in
      ChatResponse(text: texts[min(call, texts.count - 1)], usage: TokenUsage(promptTokens: 10, completionTokens: 5))
    }
  }

  var requests: [ChatRequest] { lock.withLock { sent } }

  func chat(_ request: ChatRequest) async throws -> ChatResponse {
    let call = lock.withLock {
      sent.append(request)
      return sent.count - 1
    }
    return try script(request, call)
  }
}

extension ChatRequest {
  /// The user messages' text, joined (what the judge was shown).
  var shown: String { messages.filter { $0.role == "user" }.map(\.content).joined(separator: "\n") }
}

func candidate(_ question: String, _ response: String, reference: String? = nil, group: String? = nil) -> Candidate {
  Candidate(prompt: [.user(question)], response: response, reference: reference, group: group)
}
