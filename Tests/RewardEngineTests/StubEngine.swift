import Foundation
import Hummingbird
import Logging
import RewardCore
import RewardEngine
import ServiceLifecycle
import Synchronization

/// A scripted OpenAI-compatible server on 127.0.0.1 (an ephemeral port) for fault injection:
/// each request is answered by `reply`, which sees the request's path, JSON body and its number
/// (from 0, over the stub's life). It records every request and the most requests it had in flight.
final class StubEngine: Sendable {
  typealias Reply = @Sendable (_ path: String, _ body: JSONObject, _ number: Int) async throws -> Response

  private struct State {
    var requests: [(path: String, body: JSONObject, authorization: String?)] = []
    var inFlight = 0
    var maxInFlight = 0
  }

  private let state = Mutex(State())
  private let reply: Reply

  init(reply: @escaping Reply = { _, body, _ in StubEngine.completion(text: "[[7]]", body: body) }) {
    self.reply = reply
  }

  var requestCount: Int { state.withLock { $0.requests.count } }
  var bodies: [JSONObject] { state.withLock { $0.requests.map(\.body) } }
  var authorizations: [String?] { state.withLock { $0.requests.map(\.authorization) } }
  var maxInFlight: Int { state.withLock { $0.maxInFlight } }

  private func handle(_ request: Request) async throws -> Response {
    let bytes = try await request.body.collect(upTo: 1 << 24)
    let body = (try? JSONParser.parse(bytes: Array(bytes.readableBytesView)))?.objectValue ?? JSONObject()
    let number = state.withLock { state in
      state.requests.append((request.uri.path, body, request.headers[.authorization]))
      state.inFlight += 1
      state.maxInFlight = max(state.maxInFlight, state.inFlight)
      return state.requests.count - 1
    }
    defer { state.withLock { $0.inFlight -= 1 } }
    return try await reply(request.uri.path, body, number)
  }

  /// Serves on an ephemeral port while `body` runs, passing the base URL (`http://127.0.0.1:P/v1`).
  func serve<T>(_ body: (String) async throws -> T) async throws -> T {
    let router = Router()
    router.post("v1/chat/completions") { request, _ in try await self.handle(request) }
    router.post("v1/completions") { request, _ in try await self.handle(request) }
    router.post("v1/embeddings") { request, _ in try await self.handle(request) }
    router.get("v1/models") { request, _ in try await self.handle(request) }
    let (ports, sink) = AsyncStream.makeStream(of: Int.self)
    let quiet = Logger(label: "stub") { _ in SwiftLogNoOpLogHandler() }
    let app = Application(
      router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
      onServerRunning: { sink.yield($0.localAddress?.port ?? 0) }, logger: quiet)
    let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
    let running = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    let port = await iterator.next() ?? 0
    let result: T
    do {
      result = try await body("http://127.0.0.1:\(port)/v1")
    } catch {
      await group.triggerGracefulShutdown()
      _ = try? await running.value
      throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
    return result
  }

  // MARK: Canned answers

  static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var fields = headers
    fields[.contentType] = "application/json"
    return Response(status: status, headers: fields, body: .init(byteBuffer: .init(string: value.jsonText)))
  }

  static func text(
    _ text: String, status: HTTPResponse.Status, contentType: String = "text/plain", headers: HTTPFields = [:]
  )
    -> Response
  {
    var fields = headers
    fields[.contentType] = contentType
    return Response(status: status, headers: fields, body: .init(byteBuffer: .init(string: text)))
  }

  /// A chat completion as llama-server and vLLM write it.
  static func completion(
    text: String, body: JSONObject = JSONObject(), finishReason: String = "stop", promptTokens: Int64 = 11,
    completionTokens: Int64 = 3, extraMessage: [(String, JSONValue)] = [], logprobs: JSONValue = .null
  ) -> Response {
    var message = JSONObject([("role", "assistant"), ("content", .string(text))])
    for (key, value) in extraMessage { message[key] = value }
    let choice: JSONValue = [
      "index": 0, "message": .object(message), "logprobs": logprobs, "finish_reason": .string(finishReason),
    ]
    return json([
      "id": "chatcmpl-1", "object": "chat.completion", "created": 1_764_480_000,
      "model": body["model"] ?? "stub", "choices": [choice],
      "usage": [
        "prompt_tokens": .int(promptTokens), "completion_tokens": .int(completionTokens),
        "total_tokens": .int(promptTokens + completionTokens),
      ],
    ])
  }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
func closedPort() throws -> Int {
  let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(descriptor) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = 0
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) { pointer in
    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
      bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
    }
  }
  guard bound else { throw ConfigurationError("could not bind a port") }
  return Int(UInt16(bigEndian: address.sin_port))
}

/// A chat engine that answers from a script and counts its calls (for cache tests and judges).
final class ScriptedEngine: ChatEngine {
  let modelName: String
  private let calls = Mutex(0)
  private let answer: @Sendable (ChatRequest) -> ChatResponse

  init(
    modelName: String = "scripted",
    answer: @escaping @Sendable (ChatRequest) -> ChatResponse = { request in
      ChatResponse(
        text: "echo: \(request.messages.last?.content ?? "") seed \(request.sampling.seed ?? -1)", finishReason: "stop",
        usage: TokenUsage(promptTokens: 5, completionTokens: 2))
    }
  ) {
    self.modelName = modelName
    self.answer = answer
  }

  var callCount: Int { calls.withLock { $0 } }

  func chat(_ request: ChatRequest) async throws -> ChatResponse {
    calls.withLock { $0 += 1 }
    return answer(request)
  }
}
