import Foundation
import Hummingbird
import Logging
import RewardCore
import RewardEngine
import RewardJudge
import RewardServer
import RewardSpec
import ServiceLifecycle
import Testing

/// A minimal OpenAI-compatible engine on 127.0.0.1: a judge reply per chat request (an unreadable
/// one when the prompt contains "garbage"), 11 prompt and 3 completion tokens each.
func withFakeEngine<T>(_ body: (String) async throws -> T) async throws -> T {
  let router = Router()
  router.post("v1/chat/completions") { request, _ -> Response in
    let bytes = try await request.body.collect(upTo: 1 << 24)
    let text = String(buffer: bytes)
    let reply = text.contains("garbage") ? "I would rather not say." : "Clear and correct. Rating: [[7]]"
    let answer: JSONValue = [
      "choices": [["index": 0, "message": ["role": "assistant", "content": .string(reply)], "finish_reason": "stop"]],
      "usage": ["prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14],
    ]
    return Response(
      status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: answer.jsonText)))
  }
  router.get("v1/models") { _, _ -> Response in
    Response(
      status: .ok, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: .init(string: #"{"object": "list", "data": [{"id": "fake-judge"}]}"#)))
  }
  let (ports, sink) = AsyncStream.makeStream(of: Int.self)
  let quiet = Logger(label: "fake-engine") { _ in SwiftLogNoOpLogHandler() }
  let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { sink.yield($0.localAddress?.port ?? 0) }, logger: quiet)
  let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
  let running = Task { try await group.run() }
  var iterator = ports.makeAsyncIterator()
  let port = await iterator.next() ?? 0
  do {
    let result = try await body("http://127.0.0.1:\(port)/v1")
    await group.triggerGracefulShutdown()
    try await running.value
    return result
  } catch {
    await group.triggerGracefulShutdown()
    _ = try? await running.value
    throw error
  }
}

@Suite struct JudgeMetricsTests {
  func judgeSpec(_ url: String) throws -> String {
    try specFile(
      """
      name: judged
      components:
        - kind: judge
          name: style
          mode: pointwise
          template: builtin:pointwise
          retries: 1
          engine: {base_url: "\(url)", model: fake-judge, max_retries: 0}
      """)
  }

  @Test func metricsCountEachJudgesCallsFailuresRetriesAndTokens() async throws {
    try await withFakeEngine { url in
      let served = try ServedModel.spec(path: try judgeSpec(url))
      try await JudgeEngines.checkReachable(served.model)
      try await ServerHarness.with(served) { server in
        let reply = try await server.post(
          "/v1/rewards",
          """
          {"items": [{"prompt": "2+2?", "response": "4"}, {"prompt": "2+3?", "response": "5"},
                     {"prompt": "Say something.", "response": "garbage"}]}
          """)
        #expect(reply.status == 200)
        let text = try await server.get("/metrics").text
        let labels = #"{judge="style",engine_model="fake-judge"}"#
        for (series, value) in [
          ("items_total", 3), ("unparseable_total", 1), ("reminder_retries_total", 1), ("engine_errors_total", 0),
          // Two readable items take one call each; the garbage one a call and a reminder.
          ("calls_total", 4), ("prompt_tokens_total", 44), ("completion_tokens_total", 12),
          ("engine_requests_total", 4), ("engine_retries_total", 0),
        ] {
          #expect(text.contains("rewardkit_judge_\(series)\(labels) \(value)\n"), "\(series) in\n\(text)")
        }
        #expect(text.contains("# TYPE rewardkit_judge_unparseable_total counter"))
      }
    }
  }

  @Test func aServerWithoutJudgesHasNoJudgeSeries() async throws {
    try await ServerHarness.with(servedSpec("components: [{kind: length, target: 3}]")) { server in
      let text = try await server.get("/metrics").text
      #expect(!text.contains("rewardkit_judge_"))
    }
  }

  @Test func anUnreachableJudgeEngineFailsTheStartCheckNamingItsURL() async throws {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let path = try judgeSpec("http://127.0.0.1:1/v1")
    let served = try ServedModel.spec(path: path)
    await #expect {
      try await JudgeEngines.checkReachable(served.model)
    } throws: { error in
      let text = "\(error)"
      return text.contains("http://127.0.0.1:1/v1") && text.contains(path) && text.contains("components[0].engine")
        && text.contains("check: false")
    }
  }
}
