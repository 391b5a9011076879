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

/// A port on 127.0.0.1 that was free a moment ago (bound, then released), for a server to start
/// on. Not for a "nothing listens here" test: another test's server may be given it at once.
func freePort() throws -> Int {
  let descriptor = try boundLoopbackSocket()
  defer { close(descriptor.socket) }
  return descriptor.port
}

/// Runs `body` with a port on 127.0.0.1 that refuses connections: a socket holds it, bound but not
/// listening (and without SO_REUSEADDR, so no server can bind it), until `body` returns. Released
/// at once, the port could reach another test's server, which would then answer the "refused" call.
func withRefusingPort<T>(_ body: (Int) async throws -> T) async throws -> T {
  let holder = try boundLoopbackSocket()
  defer { close(holder.socket) }
  return try await body(holder.port)
}

private func boundLoopbackSocket() throws -> (socket: Int32, port: Int) {
  let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard descriptor >= 0 else { throw ConfigurationError("could not open a socket") }
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
  guard bound else {
    close(descriptor)
    throw ConfigurationError("could not bind a port")
  }
  return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
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

/// Holds the requests that reach a stub until the test lets them through, and counts how many it
/// holds at once: "in flight" that does not depend on how fast a loaded machine schedules them.
final class Turnstile: Sendable {
  private struct State {
    var held: [CheckedContinuation<Void, Never>] = []
    var isOpen = false
    var mostHeld = 0
  }

  private let state = Mutex(State())

  /// Requests held right now.
  var heldCount: Int { state.withLock { $0.held.count } }
  /// The most requests ever held at once.
  var mostHeld: Int { state.withLock { $0.mostHeld } }

  /// Waits until let through (at once when open for good).
  func pass() async {
    await withCheckedContinuation { continuation in
      let passes = state.withLock { state in
        if state.isOpen { return true }
        state.held.append(continuation)
        state.mostHeld = max(state.mostHeld, state.held.count)
        return false
      }
      if passes { continuation.resume() }
    }
  }

  /// Lets the longest-held request through.
  func letOneThrough() {
    let first = state.withLock { $0.held.isEmpty ? nil : $0.held.removeFirst() }
    first?.resume()
  }

  /// Lets every held request and every later one through.
  func openForGood() {
    let held = state.withLock { state in
      state.isOpen = true
      defer { state.held.removeAll() }
      return state.held
    }
    for request in held { request.resume() }
  }
}

/// Waits until `condition` holds: checks 10 ms apart for at most about 30 s (a loaded two-core
/// machine is slow; only a failing test waits that long).
func eventually(_ condition: () async -> Bool) async -> Bool {
  for _ in 0..<3000 {
    if await condition() { return true }
    try? await Task.sleep(for: .milliseconds(10))
  }
  return false
}
