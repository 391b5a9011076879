import Foundation
import Hummingbird
import RewardCore
import RewardEngine
import Testing

/// The client against a scripted server: retries, deadlines, garbage, limits, load balancing.
@Suite struct OpenAIEngineTests {
  let judgeRequest = ChatRequest(
    messages: [.system("You are a judge."), .user("Rate: 2+2=4")], sampling: SamplingParameters(temperature: 0, seed: 1)
  )

  func engine(
    _ urls: [String], maxInFlight: Int = 4, retries: Int = 3, timeout: Duration = .seconds(10),
    maxRetryAfter: Duration = .seconds(60), rpm: Int? = nil, key: String? = nil
  ) throws -> OpenAIEngine {
    try OpenAIEngine(
      settings: OpenAIEngineSettings(
        baseURLs: urls, model: "judge-model", apiKey: key.map(APIKey.init), maxInFlight: maxInFlight,
        requestsPerMinute: rpm, timeout: timeout,
        retry: RetryPolicy(
          maxRetries: retries, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(50),
          maxRetryAfter: maxRetryAfter)))
  }

  @Test func chatRoundTripCountsTokensAndSendsTheKeyOnlyInTheHeader() async throws {
    let stub = StubEngine()
    try await stub.serve { url in
      let client = try engine([url], key: "sk-secret-123")
      let response = try await client.chat(judgeRequest)
      #expect(response.text == "[[7]]")
      #expect(response.finishReason == "stop")
      _ = try await client.chat(judgeRequest)
      let usage = client.usage.snapshot
      #expect(usage.tokens == TokenUsage(promptTokens: 22, completionTokens: 6))
      #expect(usage.requests == 2 && usage.responses == 2 && usage.retries == 0 && usage.failures == 0)
      #expect(stub.authorizations == ["Bearer sk-secret-123", "Bearer sk-secret-123"])
      #expect(stub.bodies.first?["model"] == "judge-model")
      #expect(stub.bodies.first?["seed"] == 1)
      // The key never shows in the settings' printed forms.
      #expect(!"\(client.settings)".contains("sk-secret"))
      #expect(!String(reflecting: client.settings).contains("sk-secret"))
      #expect(client.usage.prometheusText().contains("rewardkit_engine_prompt_tokens_total 22"))
    }
  }

  @Test func retries429HonouringRetryAfter() async throws {
    let stub = StubEngine { _, body, number in
      number == 0
        ? StubEngine.text("slow down", status: .tooManyRequests, headers: [.retryAfter: "1"])
        : StubEngine.completion(text: "ok", body: body)
    }
    try await stub.serve { url in
      let client = try engine([url])
      let start = ContinuousClock.now
      #expect(try await client.chat(judgeRequest).text == "ok")
      // The backoff alone would be ≤ 50 ms; Retry-After asked for a second.
      #expect(ContinuousClock.now - start >= .milliseconds(950))
      #expect(stub.requestCount == 2)
      #expect(client.usage.snapshot.retries == 1)
    }
  }

  @Test func retryAfterIsCapped() async throws {
    let stub = StubEngine { _, body, number in
      number == 0
        ? StubEngine.text("later", status: .serviceUnavailable, headers: [.retryAfter: "3600"])
        : StubEngine.completion(text: "ok", body: body)
    }
    try await stub.serve { url in
      let client = try engine([url], maxRetryAfter: .milliseconds(200))
      let start = ContinuousClock.now
      #expect(try await client.chat(judgeRequest).text == "ok")
      let elapsed = ContinuousClock.now - start
      #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(60))
    }
  }

  @Test func serverErrorsAreRetriedThenReportedClientErrorsAreNot() async throws {
    let flaky = StubEngine { _, body, number in
      number < 2 ? StubEngine.text("oops", status: .internalServerError) : StubEngine.completion(text: "ok", body: body)
    }
    try await flaky.serve { url in
      let reply = try await engine([url]).chat(judgeRequest)
      #expect(reply.text == "ok")
      #expect(flaky.requestCount == 3)
    }
    let down = StubEngine { _, _, _ in StubEngine.text("model crashed", status: .badGateway) }
    try await down.serve { url in
      let client = try engine([url], retries: 2)
      await #expect(throws: EngineError.http(endpoint: url + "/chat/completions", status: 502, body: "model crashed")) {
        try await client.chat(judgeRequest)
      }
      #expect(down.requestCount == 3)
      #expect(client.usage.snapshot.failures == 1)
    }
    let refusing = StubEngine { _, _, _ in StubEngine.text(#"{"error":"bad request"}"#, status: .badRequest) }
    try await refusing.serve { url in
      await #expect(throws: EngineError.self) { try await engine([url]).chat(judgeRequest) }
      #expect(refusing.requestCount == 1)
    }
  }

  /// The replica answers only after the test (it used to answer after 2 s: a race against the
  /// 300 ms deadline that a starved timer on a loaded machine could lose).
  @Test func slowRepliesHitTheDeadlineAndAreRetried() async throws {
    let replies = Turnstile()
    let slow = StubEngine { _, body, _ in
      await replies.pass()
      return StubEngine.completion(text: "late", body: body)
    }
    try await slow.serve { url in
      defer { replies.openForGood() }  // The stub's shutdown waits for its replies.
      let client = try engine([url], retries: 1, timeout: .milliseconds(300))
      do {
        _ = try await client.chat(judgeRequest)
        Issue.record("expected a timeout")
      } catch EngineError.unreachable(let endpoint, let reason) {
        #expect(endpoint == url + "/chat/completions")
        #expect(reason.contains("no complete answer within 0.3 s"))
      }
      #expect(slow.requestCount == 2)
    }
  }

  /// The body's end comes only after the test, so the deadline must cut the body off.
  @Test func theDeadlineCoversTheBodyNotOnlyTheHeaders() async throws {
    let rest = Turnstile()
    let trickle = StubEngine { _, _, _ in
      Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: ResponseBody { writer in
          try await writer.write(ByteBuffer(string: #"{"choices":["#))
          await rest.pass()
          try await writer.write(ByteBuffer(string: "]}"))
          try await writer.finish(nil)
        })
    }
    try await trickle.serve { url in
      defer { rest.openForGood() }
      let client = try engine([url], retries: 0, timeout: .milliseconds(400))
      await #expect(throws: EngineError.self) { try await client.chat(judgeRequest) }
    }
  }

  @Test func garbageWrongContentTypeAndEmptyChoicesAreMalformedAndNotRetried() async throws {
    let answers: [@Sendable () -> Response] = [
      { StubEngine.text("{\"choices\": [tru", status: .ok, contentType: "application/json") },
      { StubEngine.text("<html>proxy error</html>", status: .ok, contentType: "text/html") },
      { StubEngine.json(["id": "x", "choices": []]) },
      { StubEngine.json(["choices": [["message": ["content": ["parts": "x"]]]]]) },
    ]
    let expected = [
      "not JSON (line 1, column", "Content-Type 'text/html', expected application/json", "choices: empty list",
      "choices[0].message.content: expected a string or null, found object",
    ]
    for (answer, reason) in zip(answers, expected) {
      let stub = StubEngine { _, _, _ in answer() }
      try await stub.serve { url in
        let client = try engine([url])
        do {
          _ = try await client.chat(judgeRequest)
          Issue.record("expected a malformed response")
        } catch EngineError.malformedResponse(let endpoint, let message) {
          #expect(endpoint == url + "/chat/completions")
          #expect(message.hasPrefix(reason), "\(message)")
        }
        #expect(stub.requestCount == 1)
        #expect(client.usage.snapshot.failures == 1 && client.usage.snapshot.responses == 0)
      }
    }
  }

  @Test func refusedConnectionsAreRetriedThenNamed() async throws {
    try await withRefusingPort { port in
      let url = "http://127.0.0.1:\(port)/v1"
      let client = try engine([url], retries: 2)
      do {
        _ = try await client.chat(judgeRequest)
        Issue.record("expected unreachable")
      } catch EngineError.unreachable(let endpoint, _) {
        #expect(endpoint == url + "/chat/completions")
      }
      #expect(client.usage.snapshot.requests == 3 && client.usage.snapshot.retries == 2)
    }
  }

  @Test func aRetryGoesToAnotherReplica() async throws {
    let good = StubEngine()
    try await good.serve { goodURL in
      try await withRefusingPort { port in
        let client = try engine(["http://127.0.0.1:\(port)/v1", goodURL], maxInFlight: 2, retries: 1)
        for _ in 0..<6 { #expect(try await client.chat(judgeRequest).text == "[[7]]") }
        #expect(good.requestCount == 6)
      }
    }
  }

  /// Never more than `maxInFlight` requests in flight across the replicas; the ones beyond wait in
  /// the client. The replicas hold every request until the test lets it through, so nothing rests
  /// on three requests happening to overlap (at load 13 only two did, with a 50 ms reply). Two
  /// replicas, so that AsyncHTTPClient's own limit of 3 connections per host cannot stand in for
  /// the engine's cap.
  @Test func requestsInFlightAreCapped() async throws {
    let gate = Turnstile()
    let reply: StubEngine.Reply = { _, body, _ in
      await gate.pass()
      return StubEngine.completion(text: "ok", body: body)
    }
    let (first, second) = (StubEngine(reply: reply), StubEngine(reply: reply))
    try await first.serve { firstURL in
      try await second.serve { secondURL in
        let client = try engine([firstURL, secondURL], maxInFlight: 3, retries: 0, timeout: .seconds(600))
        let arrived = { first.requestCount + second.requestCount }
        try await withThrowingTaskGroup(of: Void.self) { group in
          // On a failed `#require`, before the group waits for its requests: nothing stays held.
          defer { gate.openForGood() }
          for _ in 0..<15 { group.addTask { _ = try await client.chat(judgeRequest) } }
          try #require(await eventually { gate.heldCount >= 3 })
          // A broken cap lets a fourth through within this wait (all 15 go at once); a correct
          // one never does, however slow the machine.
          try await Task.sleep(for: .milliseconds(300))
          try #require(arrived() == 3)
          // Each request let through frees one slot, taken by exactly one waiting request.
          for count in 4...15 {
            gate.letOneThrough()
            try #require(await eventually { arrived() >= count && gate.heldCount == 3 }, "\(count)")
            try #require(arrived() == count)
          }
          gate.openForGood()
          try await group.waitForAll()
        }
        #expect(arrived() == 15)
        #expect(gate.mostHeld == 3)
      }
    }
  }

  /// Least in flight: a replica that holds its requests gets new work only while it has fewer in
  /// flight than the other. The slow replica holds everything until the fast one has served the
  /// rest, so the split is decided by the policy, not by how long 5 ms takes on a loaded machine.
  @Test func leastInFlightSendsMoreWorkToTheFasterReplica() async throws {
    let slowGate = Turnstile()
    let fast = StubEngine { _, body, _ in StubEngine.completion(text: "fast", body: body) }
    let slow = StubEngine { _, body, _ in
      await slowGate.pass()
      return StubEngine.completion(text: "slow", body: body)
    }
    try await fast.serve { fastURL in
      try await slow.serve { slowURL in
        let client = try engine([slowURL, fastURL], maxInFlight: 4, retries: 0, timeout: .seconds(600))
        try await withThrowingTaskGroup(of: Void.self) { group in
          defer { slowGate.openForGood() }
          for _ in 0..<40 { group.addTask { _ = try await client.chat(judgeRequest) } }
          // With k requests held by the slow replica the fast one has at most 4 − k in flight, and
          // a new request goes to the slow one only if k is smaller (or equal, on the rotation):
          // so k stays at most 2 and the fast replica serves all the others meanwhile.
          try #require(await eventually { fast.requestCount + slowGate.heldCount == 40 })
          #expect((1...2).contains(slowGate.mostHeld), "\(slowGate.mostHeld)")
          slowGate.openForGood()
          try await group.waitForAll()
        }
        #expect(fast.requestCount + slow.requestCount == 40)
        #expect(fast.requestCount >= 38, "fast \(fast.requestCount), slow \(slow.requestCount)")
      }
    }
  }

  @Test func requestsPerMinuteBudgetDelaysTheRequestsBeyondIt() async throws {
    let stub = StubEngine()
    try await stub.serve { url in
      // 60 a minute: a full bucket of 60 goes at once, the 61st waits about a second.
      let client = try engine([url], maxInFlight: 8, rpm: 60)
      let start = ContinuousClock.now
      try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<61 { group.addTask { _ = try await client.chat(judgeRequest) } }
        try await group.waitForAll()
      }
      #expect(ContinuousClock.now - start >= .milliseconds(900))
      #expect(client.usage.snapshot.rateLimitWaitSeconds >= 0.9)
      #expect(stub.requestCount == 61)
    }
  }

  @Test func completionsAndEmbeddingsUseTheSameClient() async throws {
    let stub = StubEngine { path, body, _ in
      if path.hasSuffix("/embeddings") {
        let inputs = body["input"]?.arrayValue ?? []
        return StubEngine.json([
          "data": .array(
            inputs.enumerated().reversed().map { index, _ in
              ["index": .int(Int64(index)), "embedding": [.double(Double(index)), 1.0]]
            }), "usage": ["prompt_tokens": 6, "total_tokens": 6],
        ])
      }
      return StubEngine.json([
        "choices": [["text": " 4", "finish_reason": "length"]], "usage": ["prompt_tokens": 5, "completion_tokens": 1],
      ])
    }
    try await stub.serve { url in
      let client = try engine([url])
      let completion = try await client.complete(
        CompletionRequest(prompt: "2+2=", sampling: SamplingParameters(maxTokens: 1)))
      #expect(completion.text == " 4" && completion.finishReason == "length")
      #expect(try await client.embed(["a", "b", "c"]) == [[0, 1], [1, 1], [2, 1]])
      #expect(client.usage.snapshot.tokens == TokenUsage(promptTokens: 11, completionTokens: 1))
      #expect(stub.bodies.first?["prompt"] == "2+2=")
    }
  }

  @Test func retryPolicyBacksOffExponentiallyWithJitterAndReadsRetryAfter() {
    let policy = RetryPolicy(
      maxRetries: 5, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1), maxRetryAfter: .seconds(10))
    #expect(policy.delay(attempt: 0, retryAfter: nil, random: 1) == .milliseconds(100))
    #expect(policy.delay(attempt: 0, retryAfter: nil, random: 0) == .milliseconds(50))
    #expect(policy.delay(attempt: 3, retryAfter: nil, random: 1) == .milliseconds(800))
    #expect(policy.delay(attempt: 9, retryAfter: nil, random: 1) == .seconds(1))
    #expect(policy.delay(attempt: 0, retryAfter: .seconds(3), random: 1) == .seconds(3))
    #expect(policy.delay(attempt: 0, retryAfter: .seconds(600), random: 1) == .seconds(10))
    #expect(RetryPolicy.parseRetryAfter("2") == .seconds(2))
    #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
    #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: now) == .seconds(30))
    #expect([408, 429, 500, 503].allSatisfy { RetryPolicy.isTransient(status: $0) })
    #expect(![400, 401, 404, 422].contains { RetryPolicy.isTransient(status: $0) })
  }

  @Test func baseURLsAreNormalizedAndCredentialsNeverShown() throws {
    #expect(try OpenAIEngineSettings.normalizedBaseURL("http://127.0.0.1:8091") == "http://127.0.0.1:8091/v1")
    #expect(try OpenAIEngineSettings.normalizedBaseURL("https://api.example.com/v1/") == "https://api.example.com/v1")
    #expect(throws: ConfigurationError.self) { try OpenAIEngineSettings.normalizedBaseURL("localhost:8000") }
    #expect(OpenAIEngineSettings.redactingCredentials("http://u:pw@host:1/v1") == "http://host:1/v1")
  }
}
