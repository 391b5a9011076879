import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RewardCore
import RewardServer
import RewardSpec
import ServiceLifecycle
import Synchronization

/// A real server on 127.0.0.1 with an ephemeral port, called over HTTP with AsyncHTTPClient.
struct ServerHarness: Sendable {
  let baseURL: String
  let port: Int
  let server: RewardServer
  let group: ServiceGroup

  struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var text: String
    var json: JSONValue? { try? JSONParser.parse(text) }
    var object: JSONObject { json?.objectValue ?? JSONObject() }
    var error: JSONObject? { object["error"]?.objectValue }
  }

  static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

  /// Starts a server for `served`, runs `body`, then shuts it down gracefully and waits for it.
  static func with(
    _ served: ServedModel, configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (ServerHarness) async throws -> Void
  ) async throws {
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.maxWaitMilliseconds = 0
    configuration.scoringThreads = 2
    configure(&configuration)
    let server = RewardServer(configuration: configuration, served: served, logger: quiet)
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let group = server.serviceGroup(onListening: { portSink.yield($0) })
    let running = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw ConfigurationError("the server did not start") }
    let harness = ServerHarness(baseURL: "http://127.0.0.1:\(port)", port: port, server: server, group: group)
    do {
      try await body(harness)
    } catch {
      await group.triggerGracefulShutdown()
      _ = try? await running.value
      throw error
    }
    await group.triggerGracefulShutdown()
    try await running.value
  }

  func post(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> Reply {
    try await send(.POST, path, body: body, headers: headers)
  }

  func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
    try await send(.GET, path, body: nil, headers: headers)
  }

  func send(_ method: HTTPMethod, _ path: String, body: String?, headers: [(String, String)]) async throws -> Reply {
    var request = HTTPClientRequest(url: baseURL + path)
    request.method = method
    if let body {
      request.headers.add(name: "Content-Type", value: "application/json")
      request.body = .bytes(ByteBuffer(string: body))
    }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
    return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: bytes))
  }
}

/// A spec file in a fresh temporary directory.
func specFile(_ text: String, name: String = "spec.yaml") throws -> String {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rewardkit-server-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  let path = directory.appendingPathComponent(name).path
  try text.write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

/// Math correctness plus a `<think>` format check: the rule spec the benchmarks serve too.
let mathFormatSpec = """
  name: math-format
  components:
    - kind: math
      weight: 1.0
    - name: think_format
      kind: format
      pattern: "<think>[\\\\s\\\\S]*</think>"
      weight: 0.5
  not_applicable: zero
  """

let groupSpec = """
  name: grpo
  components:
    - kind: math
  normalize: group
  """

func servedSpec(_ text: String, registry: ComponentRegistry = .standard) throws -> ServedModel {
  try ServedModel.spec(path: specFile(text), registry: registry)
}

/// The standard kinds plus `zero`: a model component that always scores 0 and, like a network,
/// benefits from batching, so that a spec using it waits to gather micro-batches.
let registryWithBatchingModel = ComponentRegistry.standard.registering("zero") { _ throws(SpecError) in
  struct Zero: RewardModel {
    let name = "zero"
    func score(_ candidates: [Candidate]) async throws -> [Reward] { candidates.map { _ in Reward(0) } }
  }
  return ModelComponent(Zero())
}

/// Holds whoever calls `wait()` until `open()`; open for good after that.
final class Gate: Sendable {
  private let state = Mutex<(isOpen: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

  func wait() async {
    await withCheckedContinuation { continuation in
      let passes = state.withLock { state in
        if !state.isOpen { state.waiting.append(continuation) }
        return state.isOpen
      }
      if passes { continuation.resume() }
    }
  }

  func open() {
    let waiting = state.withLock { state in
      state.isOpen = true
      defer { state.waiting = [] }
      return state.waiting
    }
    for waiter in waiting { waiter.resume() }
  }
}

/// A model whose `score` waits until released: makes queueing, overload, timeouts and draining
/// observable. Each reward is the response's length.
final class GatedModel: RewardModel, @unchecked Sendable {
  // `lock` guards `open` and `waiters`.
  private let lock = NSLock()
  private var open = false
  private var waiters: [CheckedContinuation<Void, Never>] = []
  private(set) var calls = 0
  let name = "gated"

  func release() {
    lock.lock()
    open = true
    let waiting = waiters
    waiters = []
    lock.unlock()
    for waiter in waiting { waiter.resume() }
  }

  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    await withCheckedContinuation { continuation in
      lock.lock()
      calls += 1
      if open {
        lock.unlock()
        continuation.resume()
      } else {
        waiters.append(continuation)
        lock.unlock()
      }
    }
    return candidates.map { Reward(Double($0.response.count)) }
  }

  var started: Int {
    lock.lock()
    defer { lock.unlock() }
    return calls
  }
}

/// Fails every batch that contains the response "boom".
struct FailingModel: RewardModel {
  let name = "failing"
  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    if candidates.contains(where: { $0.response == "boom" }) { throw ConfigurationError("the model exploded") }
    return candidates.map { _ in Reward(1) }
  }
}

func served(_ model: any RewardModel) -> ServedModel {
  ServedModel(model: model, description: JSONObject([("name", .string(model.name)), ("type", "test")]))
}

/// Waits until `condition` holds: at most 3000 checks 10 ms apart, so 30 s and more. It returns
/// as soon as the condition holds, so only a failing test waits that long; 5 s was too short
/// for a loaded two-core machine running seven builds.
func eventually(attempts: Int = 3000, _ condition: () async -> Bool) async -> Bool {
  for _ in 0..<attempts {
    if await condition() { return true }
    try? await Task.sleep(for: .milliseconds(10))
  }
  return false
}

extension JSONValue {
  var doubles: [Double] { arrayValue?.compactMap(\.doubleValue) ?? [] }
}
