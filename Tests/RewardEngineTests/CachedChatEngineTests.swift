import Foundation
import RewardCore
import RewardEngine
import Testing

@Suite struct CachedChatEngineTests {
  func temporaryDirectory() -> String {
    NSTemporaryDirectory() + "rewardkit-engine-cache-\(UUID().uuidString)"
  }

  /// The requests one evaluation makes: 20 items, 2 seeded samples each.
  func evaluationRequests() -> [ChatRequest] {
    (0..<20).flatMap { item in
      (0..<2).map { sample in
        ChatRequest(
          messages: [.system("Rate 1-10."), .user("item \(item)")],
          sampling: SamplingParameters(temperature: 0.8, maxTokens: 8, seed: 100 + sample, topLogprobs: 2))
      }
    }
  }

  func run(_ engine: some ChatEngine, _ requests: [ChatRequest]) async throws -> [ChatResponse] {
    try await withThrowingTaskGroup(of: (Int, ChatResponse).self) { group in
      for (index, request) in requests.enumerated() { group.addTask { (index, try await engine.chat(request)) } }
      var responses = [ChatResponse?](repeating: nil, count: requests.count)
      for try await (index, response) in group { responses[index] = response }
      return responses.map { $0! }
    }
  }

  @Test func aRerunMakesZeroEngineCalls() async throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let answer: @Sendable (ChatRequest) -> ChatResponse = { request in
      ChatResponse(
        text: "[[\(request.messages.last!.content.count % 9 + 1)]] seed \(request.sampling.seed!)",
        finishReason: "stop",
        logprobs: [TokenLogprob(token: "[[", logprob: -0.25, top: [.init(token: "[[", logprob: -0.25)])],
        usage: TokenUsage(promptTokens: 9, completionTokens: 4))
    }
    let first = ScriptedEngine(answer: answer)
    let cache = try RequestCache(directory: directory)
    let firstRun = try await run(CachedChatEngine(wrapping: first, cache: cache), evaluationRequests())
    #expect(first.callCount == 40)
    #expect(firstRun.allSatisfy { !$0.cached })

    // A new process: a new engine and cache object over the same directory.
    let second = ScriptedEngine(answer: answer)
    let cached = CachedChatEngine(wrapping: second, cache: try RequestCache(directory: directory))
    let rerun = try await run(cached, evaluationRequests())
    #expect(second.callCount == 0)
    #expect(rerun.allSatisfy { $0.cached })
    #expect(
      rerun.map {
        var copy = $0; copy.cached = false; return copy
      } == firstRun)
    #expect(cached.usage.snapshot.cacheHits == 40 && cached.usage.snapshot.cacheMisses == 0)
  }

  @Test func everythingTheEngineSeesIsInTheKeyAndNothingElse() async throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let engine = ScriptedEngine()
    let cached = CachedChatEngine(wrapping: engine, cache: try RequestCache(directory: directory))
    let base = ChatRequest(messages: [.user("q")], sampling: SamplingParameters(temperature: 1, seed: 1))
    var variants = [base]
    var other = base
    other.sampling.seed = 2
    variants.append(other)
    other = base
    other.sampleIndex = 1
    variants.append(other)
    other = base
    other.sampling.temperature = 0.5
    variants.append(other)
    other = base
    other.tools = [ToolDefinition(name: "calculator", description: "math", parameters: ["type": "object"])]
    variants.append(other)
    other = base
    other.messages = [.system("s"), .user("q")]
    variants.append(other)
    for request in variants { _ = try await cached.chat(request) }
    #expect(engine.callCount == variants.count)
    for request in variants { _ = try await cached.chat(request) }
    #expect(engine.callCount == variants.count)
    // Another model name is another cache.
    let otherModel = CachedChatEngine(
      wrapping: ScriptedEngine(modelName: "other"), cache: try RequestCache(directory: directory))
    #expect(!(try await otherModel.chat(base)).cached)
  }

  @Test func readOnlyNeverWritesAndOffNeverReads() async throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let cache = try RequestCache(directory: directory)
    let request = ChatRequest(messages: [.user("q")])
    let engine = ScriptedEngine()
    _ = try await CachedChatEngine(wrapping: engine, cache: cache, mode: .readOnly).chat(request)
    _ = try await CachedChatEngine(wrapping: engine, cache: cache, mode: .readOnly).chat(request)
    #expect(engine.callCount == 2)
    _ = try await CachedChatEngine(wrapping: engine, cache: cache, mode: .readWrite).chat(request)
    #expect(try await CachedChatEngine(wrapping: engine, cache: cache, mode: .readOnly).chat(request).cached)
    #expect(try await !CachedChatEngine(wrapping: engine, cache: cache, mode: .off).chat(request).cached)
    #expect(engine.callCount == 4)
  }

  @Test func brokenOrForeignEntriesAreMissesAndInterruptedWritesLeaveNoEntry() async throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let cache = try RequestCache(directory: directory)
    let engine = ScriptedEngine()
    let cached = CachedChatEngine(wrapping: engine, cache: cache)
    let request = ChatRequest(messages: [.user("q")], sampling: SamplingParameters(seed: 7))
    _ = try await cached.chat(request)
    let canonical = CachedChatEngine.canonicalRequest(request, model: engine.modelName)
    let key = RequestCache.key(canonical)
    let path = "\(directory)/\(key.prefix(2))/\(key).json"
    let files = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(key.prefix(2))")
    #expect(files == ["\(key).json"])  // no temporary files left behind

    // Truncated (a crash while a disk filled up): a miss, then rewritten.
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try String(text.prefix(text.count / 2)).write(toFile: path, atomically: false, encoding: .utf8)
    #expect(!(try await cached.chat(request)).cached)
    #expect(try await cached.chat(request).cached)
    // An entry whose stored request differs (a hash collision) is never served.
    let entry = try JSONParser.parse(String(contentsOfFile: path, encoding: .utf8)).objectValue!
    var forged = entry
    forged["request"] = CachedChatEngine.canonicalRequest(ChatRequest(messages: [.user("other")]), model: "scripted")
    try JSONValue.object(forged).jsonText.write(toFile: path, atomically: false, encoding: .utf8)
    #expect(!(try await cached.chat(request)).cached)
    // A stray temporary file from an interrupted writer is ignored.
    try "{\"format\":".write(toFile: path + ".tmp-1-2", atomically: false, encoding: .utf8)
    #expect(try await cached.chat(request).cached)
    #expect(engine.callCount == 3)
  }

  @Test func concurrentWritersOfOneKeyLeaveOneValidEntry() async throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let engine = ScriptedEngine()
    let cached = CachedChatEngine(wrapping: engine, cache: try RequestCache(directory: directory))
    let request = ChatRequest(messages: [.user("same")])
    _ = try await run(cached, Array(repeating: request, count: 32))
    let fresh = ScriptedEngine()
    #expect(
      try await CachedChatEngine(wrapping: fresh, cache: try RequestCache(directory: directory)).chat(request).cached)
    #expect(fresh.callCount == 0)
    let key = RequestCache.key(CachedChatEngine.canonicalRequest(request, model: "scripted"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(key.prefix(2))") == ["\(key).json"])
  }
}
