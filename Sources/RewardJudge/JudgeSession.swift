import Foundation
import RewardCore
import RewardEngine

/// Settings every protocol shares.
public struct JudgeSettings: Sendable {
  public var sampling = SamplingParameters(temperature: 0, maxTokens: 1024)
  public var policy: ParsePolicy = .last
  /// Extra attempts after an unparseable reply, each with a reminder turn (as JudgeBench does).
  public var retries = 1
  /// Items judged at once (each is one or more engine requests).
  public var concurrency = 8
  /// Seeds the per-item random order and, with `sampling.seed` unset, nothing else.
  public var seed: UInt64 = 0

  public init() {}
}

/// What one exchange with the judge produced: the parsed value or why not, and its cost.
struct Exchange<Value: Sendable>: Sendable {
  var value: Result<Value, Unparseable>
  /// Every reply text, in order (retries included), for the rationale.
  var replies: [String]
  /// Tool calls and their results, as lines for the rationale.
  var toolLog: [String]
  var usage: TokenUsage
  var retries: Int
  /// Engine requests made (tool rounds and retries included).
  var calls = 0
  /// The reply the value was parsed from (for its logprobs).
  var lastResponse: ChatResponse?
}

/// Asks the engine and re-asks, with a reminder, while the reply is unparseable.
struct JudgeSession: Sendable {
  let engine: any ChatEngine
  let settings: JudgeSettings
  let ledger: JudgeLedger

  func ask<Value: Sendable>(
    _ messages: [ChatMessage], sampling: SamplingParameters? = nil, tools: JudgeTools? = nil,
    maxToolTurns: Int = 0, candidate: Candidate? = nil,
    parse: (String) -> Result<Value, Unparseable>
  ) async throws -> Exchange<Value> {
    let clock = ContinuousClock()
    let started = clock.now
    var conversation = messages
    var exchange = Exchange<Value>(
      value: .failure(Unparseable("no reply")), replies: [], toolLog: [], usage: TokenUsage(), retries: 0,
      lastResponse: nil)
    defer {
      ledger.recordCalls(exchange.calls, usage: exchange.usage, seconds: (clock.now - started).seconds)
    }
    for attempt in 0...settings.retries {
      let response = try await converse(
        &conversation, sampling: sampling ?? settings.sampling, tools: tools, maxToolTurns: maxToolTurns,
        candidate: candidate, exchange: &exchange)
      exchange.replies.append(response.text)
      exchange.lastResponse = response
      exchange.value = parse(response.text)
      guard case .failure(let problem) = exchange.value, attempt < settings.retries else { break }
      exchange.retries += 1
      conversation.append(.assistant(response.text))
      conversation.append(
        .user(
          "Your reply could not be read (\(problem.reason)). Reply again and end with your verdict exactly in "
            + "the format the instructions require."))
    }
    return exchange
  }

  /// One reply, after letting the judge call tools for at most `maxToolTurns` rounds.
  private func converse<Value: Sendable>(
    _ conversation: inout [ChatMessage], sampling: SamplingParameters, tools: JudgeTools?, maxToolTurns: Int,
    candidate: Candidate?, exchange: inout Exchange<Value>
  ) async throws -> ChatResponse {
    guard let tools, maxToolTurns > 0 else {
      let response = try await engine.chat(ChatRequest(messages: conversation, sampling: sampling))
      exchange.calls += 1
      exchange.usage = exchange.usage + response.usage
      return response
    }
    for _ in 0..<maxToolTurns {
      let response = try await engine.chat(
        ChatRequest(messages: conversation, sampling: sampling, tools: tools.definitions))
      exchange.calls += 1
      exchange.usage = exchange.usage + response.usage
      guard !response.toolCalls.isEmpty else { return response }
      conversation.append(ChatMessage(role: "assistant", content: response.text, toolCalls: response.toolCalls))
      for call in response.toolCalls {
        let result = tools.run(call, for: candidate)
        exchange.toolLog.append("tool \(call.name)(\(call.arguments)) → \(result)")
        conversation.append(ChatMessage(role: "tool", content: result, toolCallID: call.id))
      }
    }
    // The bound is reached: ask for the verdict with no tools offered.
    conversation.append(.user("You have used all your tool calls. Give your final verdict now."))
    let response = try await engine.chat(ChatRequest(messages: conversation, sampling: sampling))
    exchange.calls += 1
    exchange.usage = exchange.usage + response.usage
    return response
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Runs `body` over `items` with at most `limit` in flight, keeping the input order.
func boundedMap<Item: Sendable, Output: Sendable>(
  _ items: [Item], limit: Int, progress: (@Sendable (Int, Int) -> Void)? = nil,
  _ body: @escaping @Sendable (Int, Item) async throws -> Output
) async throws -> [Output] {
  try await withThrowingTaskGroup(of: (Int, Output).self) { group in
    var results = [Output?](repeating: nil, count: items.count)
    var next = 0
    var done = 0
    for _ in 0..<min(max(1, limit), items.count) {
      let index = next
      group.addTask { (index, try await body(index, items[index])) }
      next += 1
    }
    while let (index, output) = try await group.next() {
      results[index] = output
      done += 1
      progress?(done, items.count)
      if next < items.count {
        let index = next
        group.addTask { (index, try await body(index, items[index])) }
        next += 1
      }
    }
    return results.map { $0! }
  }
}

/// The question as a judge reads it: the last user turn alone, or the whole conversation when
/// there were earlier turns.
func questionText(_ prompt: Conversation) -> String {
  if prompt.count == 1, let only = prompt.first { return only.content }
  return prompt.map { "\($0.role.rawValue.capitalized): \($0.content)" }.joined(separator: "\n\n")
}

/// A per-content seed, so an item gets the same random order whatever batch it arrives in.
func itemSeed(_ seed: UInt64, _ texts: [String]) -> UInt64 {
  var hasher = StableHasher(seed: seed)
  for text in texts {
    hasher.combine(text)
    hasher.combine(byte: 0)
  }
  return hasher.finalized
}
