import Foundation
import RewardCore
import RewardEngine
import Synchronization
import Testing

/// Where the real engine for these tests is: `REWARDKIT_LLAMA_URL` (scripts/test.sh starts
/// llama-server and sets it), or else a llama-server these tests start themselves when
/// `scripts/llama-server.sh install` has been run. Without either the suite is skipped, saying so.
enum LlamaServer {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  /// The installed binary and model, from `scripts/llama-server.sh paths`.
  static let installed: (server: String, model: String)? = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [packageRoot + "/scripts/llama-server.sh", "paths"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    var paths: [String: String] = [:]
    for line in output.split(separator: "\n") {
      let parts = line.split(separator: "=", maxSplits: 1)
      if parts.count == 2 { paths[String(parts[0])] = String(parts[1]) }
    }
    guard let server = paths["server"], let model = paths["model"],
      FileManager.default.isExecutableFile(atPath: server),
      FileManager.default.fileExists(atPath: model)
    else { return nil }
    return (server, model)
  }()

  static var available: Bool {
    ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_URL"] != nil || installed != nil
  }

  static let skipReason: Comment =
    "llama-server is not installed and REWARDKIT_LLAMA_URL is not set: run scripts/llama-server.sh install (scripts/test.sh does)"

  /// The server's base URL, starting one (once per test process, stopped at exit) if needed.
  static func baseURL() async throws -> String {
    if let url = ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_URL"] { return url }
    guard let installed else { throw ConfigurationError("llama-server is not installed") }
    let port = try ownPort.withLock { port in
      if port == 0 { port = try start(installed) }
      return port
    }
    let url = "http://127.0.0.1:\(port)/v1"
    let client = try OpenAIEngine(settings: OpenAIEngineSettings(baseURLs: [url], model: "smollm2"))
    for _ in 0..<240 {
      if (try? await client.checkReachable(timeout: .seconds(2))) != nil { return url }
      try await Task.sleep(for: .milliseconds(250))
    }
    throw ConfigurationError("llama-server on port \(port) did not become healthy in 60 s")
  }

  private static let ownPort = Mutex(0)

  /// Starts llama-server under a small shell watchdog that stops it once this test process is
  /// gone, however the process ends (an `atexit` hook does not run when the runner is killed).
  /// SIGKILL, because the child inherits the test runner's blocked TERM and INT.
  private static func start(_ installed: (server: String, model: String)) throws -> Int {
    let port = try freePort()
    let watchdog = """
      "$1" -m "$2" --host 127.0.0.1 --port "$3" -c 4096 --parallel 2 -t 1 --log-disable >/dev/null 2>&1 &
      server=$!
      while kill -0 "$4" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
      kill -KILL "$server" 2>/dev/null
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = [
      "-c", watchdog, "llama-watchdog", installed.server, installed.model, "\(port)",
      "\(ProcessInfo.processInfo.processIdentifier)",
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return port
  }
}

/// The client against a real llama-server with SmolLM2-135M-Instruct: real HTTP, tokenizer, chat
/// template, sampling, log-probabilities and grammar. The verdicts of a 135M model are poor; what
/// is checked is the protocol.
@Suite(.enabled(if: LlamaServer.available, LlamaServer.skipReason), .serialized)
struct LlamaServerTests {
  func client(_ url: String) throws -> OpenAIEngine {
    try OpenAIEngine(
      settings: OpenAIEngineSettings(baseURLs: [url], model: "smollm2-135m", maxInFlight: 2, timeout: .seconds(60)))
  }

  let question = ChatRequest(
    messages: [.system("You are a helpful assistant."), .user("Name three colours.")],
    sampling: SamplingParameters(temperature: 1.0, maxTokens: 24, seed: 1234))

  @Test func seededSamplingIsReproducibleAndUsageIsCounted() async throws {
    let engine = try client(try await LlamaServer.baseURL())
    let first = try await engine.chat(question)
    let again = try await engine.chat(question)
    #expect(!first.text.isEmpty)
    #expect(first.text == again.text)
    #expect(first.usage.promptTokens > 5 && first.usage.completionTokens > 0)
    #expect(first.usage.completionTokens <= 24)
    var texts: Set<String> = [first.text]
    for seed in 1..<4 {
      var other = question
      other.sampling.seed = 1234 + seed
      texts.insert(try await engine.chat(other).text)
    }
    #expect(texts.count > 1, "four seeds at temperature 1 gave one text: \(first.text)")
    let usage = engine.usage.snapshot
    #expect(usage.responses == 5 && usage.tokens.completionTokens >= 5)
  }

  @Test func logprobsAndTopAlternativesAreParsed() async throws {
    let engine = try client(try await LlamaServer.baseURL())
    var request = question
    request.sampling = SamplingParameters(temperature: 0, maxTokens: 8, seed: 1, topLogprobs: 5)
    let response = try await engine.chat(request)
    let tokens = try #require(response.logprobs)
    #expect(tokens.count == response.usage.completionTokens)
    #expect(tokens.map(\.token).joined() == response.text)
    for token in tokens {
      #expect(token.logprob <= 0)
      #expect(token.top.count == 5)
      #expect(token.top.map(\.logprob) == token.top.map(\.logprob).sorted(by: >))
      // Greedy decoding picks the most likely token.
      #expect(token.top.first?.token == token.token)
    }
  }

  @Test func grammarConstrainsTheVerdict() async throws {
    let engine = try client(try await LlamaServer.baseURL())
    for seed in 0..<3 {
      let request = ChatRequest(
        messages: [.user("Rate this answer from 1 to 9: 'Paris is the capital of France.'")],
        sampling: SamplingParameters(temperature: 1, maxTokens: 8, seed: seed, grammar: #"root ::= "[[" [1-9] "]]""#))
      let text = try await engine.chat(request).text
      #expect(text.wholeMatch(of: /\[\[[1-9]\]\]/) != nil, "\(text)")
    }
  }

  @Test func rawCompletionsWithLogprobs() async throws {
    let engine = try client(try await LlamaServer.baseURL())
    let response = try await engine.complete(
      CompletionRequest(
        prompt: "The capital of France is", sampling: SamplingParameters(temperature: 0, maxTokens: 4, topLogprobs: 3)))
    #expect(!response.text.isEmpty)
    let tokens = try #require(response.logprobs)
    #expect(!tokens.isEmpty && tokens.allSatisfy { $0.logprob <= 0 && $0.top.count == 3 })
  }

  @Test func aCachedRerunMakesNoRequests() async throws {
    let directory = NSTemporaryDirectory() + "rewardkit-llama-cache-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let engine = try client(try await LlamaServer.baseURL())
    let requests = (0..<4).map { seed in
      ChatRequest(
        messages: [.user("Say a number.")], sampling: SamplingParameters(temperature: 1, maxTokens: 6, seed: seed))
    }
    let cached = CachedChatEngine(wrapping: engine, cache: try RequestCache(directory: directory))
    var first: [String] = []
    for request in requests { first.append(try await cached.chat(request).text) }
    let sent = engine.usage.snapshot.requests
    var second: [String] = []
    for request in requests { second.append(try await cached.chat(request).text) }
    #expect(engine.usage.snapshot.requests == sent)
    #expect(second == first)
  }
}
