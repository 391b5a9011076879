import Foundation
import RewardCore
import RewardServer
import Testing

@Suite struct SafetyTests {
  @Test func bearerAuth() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec), configure: { $0.apiKey = "s3cret" }) { server in
      let body = #"{"query": ["x"]}"#
      let missing = try await server.post("/get_reward", body)
      #expect(missing.status == 401)
      #expect(missing.headers.first(name: "www-authenticate") == "Bearer")
      #expect(missing.error?["type"] == "unauthorized")
      let wrong = try await server.post("/get_reward", body, headers: [("Authorization", "Bearer s3cre")])
      #expect(wrong.status == 401)
      let right = try await server.post("/get_reward", body, headers: [("Authorization", "Bearer s3cret")])
      #expect(right.status == 200)
      #expect(try await server.get("/metrics").status == 401)
      #expect(try await server.get("/health").status == 200)
    }
  }

  @Test func malformedAndMisshapenRequestsGet400NamingTheField() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let cases: [(path: String, body: String, field: String?, words: String)] = [
        ("/get_reward", #"{"query": ["a", }"#, nil, "line 1, column 17"),
        ("/get_reward", #"["a"]"#, nil, "must be a JSON object"),
        ("/get_reward", #"{"prompts": ["a"]}"#, "query", "missing required field"),
        ("/get_reward", #"{"query": ["a", 2]}"#, "query[1]", "expected a string, found number"),
        ("/get_reward", #"{"query": ["a"], "prompts": ["a", "b"]}"#, "prompts", "has 2 entries"),
        ("/get_reward", #"{"query": ["a"], "labels": [true]}"#, "labels[0]", "expected the reference answer"),
        ("/v1/rewards", #"{"items": {}}"#, "items", "expected an array, found object"),
        (
          "/v1/compare", #"{"pairs": [{"prompt": "p", "messages": [], "a": "x", "b": "y"}]}"#, "pairs[0].messages",
          "not both"
        ),
        ("/classify", #"{"input": [null]}"#, "input[0]", "expected a string"),
        ("/get_reward", "", nil, "empty input"),
        ("/get_reward", String(repeating: "[", count: 5000), nil, "malformed JSON"),
      ]
      for item in cases {
        let reply = try await server.post(item.path, item.body)
        #expect(reply.status == 400, "\(item.body) → \(reply.status) \(reply.text)")
        #expect(reply.error?["type"] == "bad_request")
        if let field = item.field { #expect(reply.error?["field"]?.stringValue == field, "\(reply.text)") }
        #expect(reply.error?["message"]?.stringValue?.contains(item.words) == true, "\(reply.text)")
      }
      let unknown = try await server.get("/nope")
      #expect(unknown.status == 404 && unknown.error?["type"] == "not_found")
      #expect(try await server.get("/health").status == 200)  // Still up after all of that.
    }
  }

  @Test func bodyLimitGives413() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec), configure: { $0.maxBodyBytes = 1000 }) { server in
      let big = #"{"query": [""# + String(repeating: "x", count: 2000) + #""]}"#
      let reply = try await server.post("/get_reward", big)
      #expect(reply.status == 413)
      #expect(reply.error?["type"] == "payload_too_large")
      #expect(try await server.post("/get_reward", #"{"query": ["x"]}"#).status == 200)
    }
  }

  /// With the model busy, the queue fills to its bound; the next request gets 503 with Retry-After
  /// at once, and the queued ones still complete once the model frees up.
  @Test func fullQueueAnswers503WithRetryAfter() async throws {
    let model = GatedModel()
    try await ServerHarness.with(
      served(model),
      configure: {
        $0.maxQueuedItems = 4
        $0.scoringThreads = 1
      }
    ) { server in
      async let first = server.post("/v1/rewards", #"{"items": [{"prompt": "p", "response": "a"}]}"#)
      #expect(await eventually { model.started == 1 })  // Taken by the only worker: no longer queued.
      async let second = server.post("/get_reward", #"{"query": ["bb", "cc", "dd", "ee"]}"#)
      #expect(await eventually { server.server.metrics.queuedItems == 4 })
      let rejected = try await server.post("/get_reward", #"{"query": ["f"]}"#)
      #expect(rejected.status == 503)
      #expect(rejected.headers.first(name: "retry-after") == "1")
      #expect(rejected.error?["type"] == "overloaded")
      model.release()
      #expect(try await first.status == 200)
      #expect(try await second.object["rewards"]?.doubles == [2, 2, 2, 2])
      // Larger than the whole queue: 413 (while the queue is full, admission answers 503 before
      // the body is read, so this is checked once it has drained).
      let tooBig = try await server.post("/get_reward", #"{"query": ["1", "2", "3", "4", "5"]}"#)
      #expect(tooBig.status == 413)
    }
  }

  @Test func requestTimeoutGives504() async throws {
    let model = GatedModel()
    try await ServerHarness.with(served(model), configure: { $0.requestTimeoutSeconds = 0.2 }) { server in
      let reply = try await server.post("/get_reward", #"{"query": ["a"]}"#)
      #expect(reply.status == 504)
      #expect(reply.error?["type"] == "timeout")
      model.release()
      #expect(try await server.post("/get_reward", #"{"query": ["a"]}"#).status == 200)
    }
  }

  /// A batch that fails is retried request by request, so only the request that caused it fails.
  @Test func scoringFailureIsContainedToItsRequest() async throws {
    try await ServerHarness.with(
      served(FailingModel()),
      configure: {
        $0.maxWaitMilliseconds = 300
        $0.scoringThreads = 1
      }
    ) { server in
      async let bad = server.post("/get_reward", #"{"query": ["boom"]}"#)
      async let good = server.post("/get_reward", #"{"query": ["fine"]}"#)
      let (badReply, goodReply) = try await (bad, good)
      #expect(badReply.status == 500)
      #expect(badReply.error?["type"] == "scoring_failed")
      #expect(badReply.error?["message"]?.stringValue?.contains("the model exploded") == true)
      #expect(goodReply.status == 200 && goodReply.object["rewards"]?.doubles == [1])
    }
  }

  /// Graceful shutdown (what SIGTERM triggers) lets the request in flight finish with its answer.
  @Test func shutdownDrainsInFlightRequests() async throws {
    let model = GatedModel()
    var inFlight: Task<ServerHarness.Reply, any Error>?
    try await ServerHarness.with(served(model)) { server in
      inFlight = Task { try await server.post("/get_reward", #"{"query": ["abc"]}"#) }
      #expect(await eventually { model.started == 1 })
      Task {
        try await Task.sleep(for: .milliseconds(200))
        model.release()
      }
    }
    // `with` has returned: shutdown completed, after the in-flight request was answered.
    let reply = try await inFlight!.value
    #expect(reply.status == 200)
    #expect(reply.object["rewards"]?.doubles == [3])
  }
}
