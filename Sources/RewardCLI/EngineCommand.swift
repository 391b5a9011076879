import ArgumentParser
import Foundation
import RewardCore
import RewardEngine

/// `reward engine …`: check and measure an OpenAI-compatible inference engine (vLLM, SGLang,
/// llama-server, hosted APIs) through the client judges and samplers use.
struct EngineCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine",
    abstract: "Check and benchmark an OpenAI-compatible inference engine (the one LLM judges use).",
    discussion: """
      The engine flags are the `engine:` block of a judge file or spec (see docs/ENGINES.md): \
      --engine-url (repeat it for replicas), --engine-model, --engine-api-key-env and the limits.
      """,
    subcommands: [EnginePingCommand.self, EngineBenchCommand.self])
}

/// The engine flags, shared by every command that talks to an engine.
struct EngineOptions: ParsableArguments {
  @Option(
    name: .customLong("engine-url"),
    help: "The engine's base URL, e.g. http://127.0.0.1:8000/v1 (repeat for replicas: least-in-flight balancing).")
  var urls: [String] = []

  @Option(name: .customLong("engine-model"), help: "The served model name sent as `model`.")
  var model = "default"

  @Option(
    name: .customLong("engine-api-key-env"), help: "The environment variable holding the API key (never the key).")
  var apiKeyEnv: String?

  @Option(name: .customLong("engine-max-in-flight"), help: "Requests in flight at once, across replicas.")
  var maxInFlight = 16

  @Option(name: .customLong("engine-rpm"), help: "Requests-per-minute budget.")
  var requestsPerMinute: Int?

  @Option(name: .customLong("engine-tpm"), help: "Tokens-per-minute budget (prompt + completion).")
  var tokensPerMinute: Int?

  @Option(name: .customLong("engine-timeout"), help: "Seconds per attempt: connect, send and read the whole answer.")
  var timeout = 120.0

  @Option(name: .customLong("engine-max-retries"), help: "Retries on 408/429/5xx, timeouts and refused connections.")
  var maxRetries = 4

  @Option(name: .customLong("engine-cache"), help: "Request cache directory (a rerun makes no engine calls).")
  var cache: String?

  @Option(name: .customLong("engine-cache-mode"), help: "read-write, read-only or off.")
  var cacheMode = "read-write"

  @Flag(name: .customLong("no-engine-check"), help: "Skip the reachability check at start.")
  var noCheck = false

  func validate() throws {
    guard !urls.isEmpty else { throw ValidationError("--engine-url is required") }
    guard maxInFlight > 0 else { throw ValidationError("--engine-max-in-flight must be positive") }
    guard timeout > 0 else { throw ValidationError("--engine-timeout must be positive") }
    guard maxRetries >= 0 else { throw ValidationError("--engine-max-retries must be ≥ 0") }
    guard CacheMode(rawValue: cacheMode) != nil else {
      throw ValidationError("--engine-cache-mode: expected read-write, read-only or off, found '\(cacheMode)'")
    }
    for (flag, value) in [("--engine-rpm", requestsPerMinute), ("--engine-tpm", tokensPerMinute)] {
      if let value, value <= 0 { throw ValidationError("\(flag) must be positive") }
    }
  }

  func configuration() throws -> EngineConfiguration {
    EngineConfiguration(
      baseURLs: try urls.map(OpenAIEngineSettings.normalizedBaseURL), model: model, apiKeyEnv: apiKeyEnv,
      maxInFlight: maxInFlight, requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute,
      timeoutSeconds: timeout, maxRetries: maxRetries, cachePath: cache, cacheMode: CacheMode(rawValue: cacheMode)!,
      checkAtLoad: !noCheck, source: SourceLocation(file: "command line", field: "engine"))
  }
}

struct EnginePingCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ping",
    abstract: "Check that the engine answers: its model list, then a one-token chat completion.")

  @OptionGroup var engine: EngineOptions

  func run() async throws {
    let configuration = try engine.configuration()
    let client = try configuration.makeClient()
    let models = try await client.checkReachable()
    print("reachable: \(configuration.baseURLs.joined(separator: ", "))")
    if !models.isEmpty { print("models: \(models.joined(separator: ", "))") }
    let start = ContinuousClock.now
    let reply = try await client.chat(
      ChatRequest(messages: [.user("Say OK.")], sampling: SamplingParameters(temperature: 0, maxTokens: 1)))
    let elapsed = ContinuousClock.now - start
    print(
      "chat: \(reply.text.debugDescription) in \(format(elapsed.secondsValue * 1000, 1)) ms "
        + "(\(reply.usage.promptTokens) prompt + \(reply.usage.completionTokens) completion tokens)")
  }
}

struct EngineBenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure chat completions per second through RewardKit's engine client.",
    discussion: """
      Sends every request of --requests (JSON Lines of OpenAI chat bodies: messages, max_tokens, \
      temperature, seed; `model` is replaced by --engine-model) --repeat times, keeping \
      --concurrency in flight, after --warmup unmeasured ones. Prints items/s, latency \
      percentiles and tokens; scripts/bench_engine.sh compares it with a raw load generator \
      and a Python client on the same requests.
      """)

  @OptionGroup var engine: EngineOptions

  @Option(help: "JSON Lines file of chat request bodies.")
  var requests: String

  @Option(help: "Requests in flight at once (also caps the client's --engine-max-in-flight).")
  var concurrency = 4

  @Option(help: "How many times to send the whole file.")
  var `repeat` = 1

  @Option(help: "Unmeasured requests first (connections, prompt cache).")
  var warmup = 8

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  func validate() throws {
    guard concurrency > 0, `repeat` > 0, warmup >= 0 else {
      throw ValidationError("--concurrency and --repeat must be positive, --warmup ≥ 0")
    }
  }

  func run() async throws {
    var configuration = try engine.configuration()
    configuration.maxInFlight = max(configuration.maxInFlight, concurrency)
    let client = try configuration.makeClient()
    let items = try Self.readRequests(requests)
    guard !items.isEmpty else { throw ValidationError("\(requests): no requests") }
    let all = (0..<`repeat`).flatMap { _ in items }
    _ = try await Self.drive(client, Array((0..<warmup).map { items[$0 % items.count] }), concurrency: concurrency)
    let before = client.usage.snapshot
    let start = ContinuousClock.now
    let latencies = try await Self.drive(client, all, concurrency: concurrency)
    let seconds = (ContinuousClock.now - start).secondsValue
    let after = client.usage.snapshot
    let sorted = latencies.sorted()
    func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] * 1000 }
    let completion = after.tokens.completionTokens - before.tokens.completionTokens
    let report: JSONValue = [
      "client": "rewardkit", "requests": .int(Int64(all.count)), "concurrency": .int(Int64(concurrency)),
      "seconds": .double(seconds), "items_per_second": .double(Double(all.count) / seconds),
      "p50_ms": .double(percentile(0.5)), "p99_ms": .double(percentile(0.99)),
      "prompt_tokens": .int(Int64(after.tokens.promptTokens - before.tokens.promptTokens)),
      "completion_tokens": .int(Int64(completion)), "retries": .int(Int64(after.retries - before.retries)),
    ]
    if json {
      print(report.jsonText)
    } else {
      print(
        "\(all.count) requests at concurrency \(concurrency): \(format(Double(all.count) / seconds, 1)) items/s, "
          + "p50 \(format(percentile(0.5), 1)) ms, p99 \(format(percentile(0.99), 1)) ms, "
          + "\(format(Double(completion) / seconds, 1)) completion tokens/s")
    }
  }

  /// Sends `requests` keeping `concurrency` in flight; returns each one's latency in seconds.
  static func drive(_ client: OpenAIEngine, _ requests: [ChatRequest], concurrency: Int) async throws -> [Double] {
    try await withThrowingTaskGroup(of: Double.self) { group in
      var latencies: [Double] = []
      latencies.reserveCapacity(requests.count)
      var next = 0
      func startNext() {
        guard next < requests.count else { return }
        let request = requests[next]
        next += 1
        group.addTask {
          let start = ContinuousClock.now
          _ = try await client.chat(request)
          return (ContinuousClock.now - start).secondsValue
        }
      }
      for _ in 0..<concurrency { startNext() }
      while let latency = try await group.next() {
        latencies.append(latency)
        startNext()
      }
      return latencies
    }
  }

  /// Reads chat bodies: `messages` (role, content) and the sampling fields the benchmark varies.
  static func readRequests(_ path: String) throws -> [ChatRequest] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw InputError(.missingFile, at: SourceLocation(file: path), "cannot read the file")
    }
    var requests: [ChatRequest] = []
    for (offset, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated()
    where !line.allSatisfy(\.isWhitespace) {
      let location = SourceLocation(file: path, line: offset + 1)
      let value: JSONValue
      do {
        value = try JSONParser.parse(String(line))
      } catch {
        throw InputError(.malformedJSON, at: location, error.message)
      }
      guard let object = value.objectValue, let messages = object["messages"]?.arrayValue else {
        throw InputError(.missingField, at: location.field("messages"), "expected a chat body with a messages list")
      }
      let parsed = try messages.enumerated().map { index, message in
        guard let role = message.objectValue?["role"]?.stringValue,
          let content = message.objectValue?["content"]?.stringValue
        else {
          throw InputError(.wrongType, at: location.field("messages[\(index)]"), "expected {role, content} strings")
        }
        return ChatMessage(role: role, content: content)
      }
      var sampling = SamplingParameters()
      sampling.maxTokens = object["max_tokens"]?.doubleValue.map { Int($0) }
      sampling.temperature = object["temperature"]?.doubleValue
      sampling.seed = object["seed"]?.doubleValue.map { Int($0) }
      requests.append(ChatRequest(messages: parsed, sampling: sampling))
    }
    return requests
  }
}

extension Duration {
  fileprivate var secondsValue: Double {
    Double(components.seconds) + Double(components.attoseconds) * 1e-18
  }
}
