import Foundation
import Hummingbird
import Logging
import RewardCore
import RewardRemote
import RewardServer
import ServiceLifecycle
import Synchronization
import Testing

/// A stub vLLM server speaking the documented `/classify` JSON. Each input's "reward" is its length;
/// results come back in reverse order (clients must use `index`). It can fail the first requests,
/// or hold every reply until `serve`'s body has returned (a server slower than any deadline).
final class StubVLLM: Sendable {
  let requests = Mutex<[JSONObject]>([])
  let failuresLeft: Mutex<Int>
  let failureStatus: HTTPResponse.Status
  let holdsReplies: Bool
  private let replies = Gate()

  init(failures: Int = 0, status: HTTPResponse.Status = .serviceUnavailable, holdsReplies: Bool = false) {
    failuresLeft = Mutex(failures)
    failureStatus = status
    self.holdsReplies = holdsReplies
  }

  func respond(_ request: Request) async throws -> Response {
    let body = try await request.body.collect(upTo: 1 << 20)
    let object = try JSONParser.parse(bytes: Array(body.readableBytesView)).objectValue ?? JSONObject()
    requests.withLock { $0.append(object) }
    if holdsReplies { await replies.wait() }
    let fail = failuresLeft.withLock { left in
      defer { left -= 1 }
      return left > 0
    }
    if fail {
      return Response(
        status: failureStatus, headers: [.contentType: "text/plain"], body: .init(byteBuffer: .init(string: "busy")))
    }
    let inputs = object["input"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let data: [JSONValue] = inputs.enumerated().reversed().map { index, text in
      [
        "index": .int(Int64(index)), "label": "LABEL_0", "probs": [.double(Double(text.count)), 0.25],
        "num_classes": 2,
      ]
    }
    let reply: JSONValue = [
      "id": "classify-1", "object": "list", "created": 1_745_383_065, "model": object["model"] ?? .null,
      "data": .array(data),
      "usage": ["prompt_tokens": 10, "total_tokens": 10, "completion_tokens": 0, "prompt_tokens_details": nil],
    ]
    return Response(
      status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: reply.jsonText)))
  }

  /// Serves `/classify` on an ephemeral port for the duration of `body`.
  func serve(_ body: (String) async throws -> Void) async throws {
    let router = Router()
    router.post("classify") { request, _ in try await self.respond(request) }
    let (ports, sink) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
      router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
      onServerRunning: { sink.yield($0.localAddress?.port ?? 0) }, logger: ServerHarness.quiet)
    let group = ServiceGroup(configuration: .init(services: [app], logger: ServerHarness.quiet))
    let running = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    let port = await iterator.next() ?? 0
    do {
      try await body("http://127.0.0.1:\(port)/classify")
    } catch {
      replies.open()  // Graceful shutdown waits for the replies in flight.
      await group.triggerGracefulShutdown()
      _ = try? await running.value
      throw error
    }
    replies.open()
    await group.triggerGracefulShutdown()
    try await running.value
  }
}

@Suite struct RemoteRewardModelTests {
  func settings(_ url: String) -> RemoteSettings {
    var settings = RemoteSettings(url: url, wireProtocol: .vllmClassify)
    settings.batchSize = 2
    settings.model = "Skywork-Reward"
    settings.retry.initialBackoff = .milliseconds(10)
    settings.timeout = .seconds(5)
    return settings
  }

  let candidates = [
    Candidate(prompt: [.user("q")], response: "a"), Candidate(prompt: [], response: "bb"),
    Candidate(prompt: [.user("qq")], response: "ccc"), Candidate(prompt: [], response: "dddd"),
    Candidate(prompt: [], response: "eeeee"),
  ]

  @Test func vllmClassifyInBatchesInOrder() async throws {
    let stub = StubVLLM()
    try await stub.serve { url in
      let model = RemoteRewardModel(settings: settings(url))
      let rewards = try await model.score(candidates)
      // "q\na" has 3 characters, "qq\nccc" 6.
      #expect(rewards.map(\.value) == [3, 2, 6, 4, 5])
      let requests = stub.requests.withLock { $0 }
      #expect(requests.count == 3)
      #expect(requests.allSatisfy { $0["model"] == "Skywork-Reward" })
      #expect(requests.map { $0["input"]?.arrayValue?.count ?? 0 }.sorted() == [1, 2, 2])
      var second = settings(url)
      second.labelIndex = 1
      #expect(try await RemoteRewardModel(settings: second).score([candidates[0]]).map(\.value) == [0.25])
    }
  }

  @Test func retriesTransientFailuresWithBackoff() async throws {
    let stub = StubVLLM(failures: 2)
    try await stub.serve { url in
      let rewards = try await RemoteRewardModel(settings: settings(url)).score([candidates[1]])
      #expect(rewards.map(\.value) == [2])
      #expect(stub.requests.withLock { $0.count } == 3)
    }
  }

  @Test func givesUpAfterRetriesAndOnClientErrors() async throws {
    let stub = StubVLLM(failures: 100)
    try await stub.serve { url in
      var limited = settings(url)
      limited.retry.maxRetries = 2
      let error = await #expect(throws: RemoteRewardError.self) {
        try await RemoteRewardModel(settings: limited).score([candidates[1]])
      }
      #expect(error?.description.contains("HTTP 503") == true)
      #expect(error?.url == url)
      #expect(stub.requests.withLock { $0.count } == 3)
    }
    let badRequest = StubVLLM(failures: 100, status: .badRequest)
    try await badRequest.serve { url in
      await #expect(throws: RemoteRewardError.self) {
        try await RemoteRewardModel(settings: settings(url)).score([candidates[1]])
      }
      #expect(badRequest.requests.withLock { $0.count } == 1)  // A 400 is not retried.
    }
  }

  /// The client gives up at its deadline instead of waiting for a slow server. The stub answers
  /// only once the test is over (it used to answer after 8 s, against a 6 s bound: a race a loaded
  /// machine could lose); the bound is loose because a loaded CI machine (tests run in parallel
  /// on two cores) can delay the resumption after the 200 ms deadline by seconds.
  @Test func timesOut() async throws {
    let stub = StubVLLM(holdsReplies: true)
    try await stub.serve { url in
      var quick = settings(url)
      quick.timeout = .milliseconds(200)
      quick.retry.maxRetries = 0
      let started = ContinuousClock.now
      let error = await #expect(throws: RemoteRewardError.self) {
        try await RemoteRewardModel(settings: quick).score([candidates[1]])
      }
      #expect(error?.message.contains("no complete response within") == true, "\(String(describing: error))")
      #expect(ContinuousClock.now - started < .seconds(30))
    }
  }

  /// RewardKit's remote model against RewardKit's own `/get_reward`: the same rewards as local scoring,
  /// with components carried back from `extra_logs`.
  @Test func openRLHFProtocolAgainstOurServer() async throws {
    let served = try servedSpec(mathFormatSpec)
    let items = [
      Candidate(prompt: [.user("6*7?")], response: "<think>x</think> \\boxed{42}", reference: "42"),
      Candidate(prompt: [.user("6*7?")], response: "\\boxed{41}", reference: "42"),
      Candidate(prompt: [], response: "<think></think>"),
    ]
    let local = try await served.model.score(items)
    try await ServerHarness.with(served) { server in
      var settings = RemoteSettings(url: server.baseURL + "/get_reward", wireProtocol: .openrlhf)
      settings.batchSize = 2
      let remote = try await RemoteRewardModel(name: "remote", settings: settings).score(items)
      #expect(remote.map(\.value) == local.map(\.value))
      #expect(remote[0].components.map(\.name) == ["math", "think_format"])
      #expect(remote[0].components.map(\.value) == [1, 1])
    }
  }
}
