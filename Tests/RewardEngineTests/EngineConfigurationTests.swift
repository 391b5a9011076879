import Foundation
import RewardCore
import RewardEngine
import Testing

@Suite struct EngineConfigurationTests {
  func parse(_ text: String, path: String = "/specs/judge.json") throws -> EngineConfiguration {
    try EngineConfiguration(json: try JSONParser.parse(text), path: path)
  }

  func error(_ text: String) -> InputError? {
    do {
      _ = try parse(text)
      Issue.record("expected an error for \(text)")
      return nil
    } catch let error as InputError {
      return error
    } catch {
      Issue.record("unexpected \(error)")
      return nil
    }
  }

  @Test func readsEveryField() throws {
    let configuration = try parse(
      """
      {"base_url": ["http://10.0.0.1:8000/v1", "http://10.0.0.2:8000"], "model": "qwen", "api_key_env": "JUDGE_KEY",
       "max_in_flight": 32, "requests_per_minute": 600, "tokens_per_minute": 200000, "timeout_s": 30.5,
       "max_retries": 2, "max_retry_after_s": 10, "cache": {"path": "cache/judge", "mode": "read-only"}, "check": false}
      """)
    #expect(configuration.baseURLs == ["http://10.0.0.1:8000/v1", "http://10.0.0.2:8000/v1"])
    #expect(configuration.model == "qwen")
    #expect(configuration.apiKeyEnv == "JUDGE_KEY")
    #expect(configuration.maxInFlight == 32)
    #expect(configuration.requestsPerMinute == 600 && configuration.tokensPerMinute == 200_000)
    #expect(configuration.timeoutSeconds == 30.5 && configuration.maxRetries == 2)
    #expect(configuration.maxRetryAfterSeconds == 10)
    #expect(configuration.cachePath == "/specs/cache/judge")  // beside the file that names it
    #expect(configuration.cacheMode == .readOnly)
    #expect(configuration.checkAtLoad == false)

    let minimal = try parse(#"{"base_url": "http://127.0.0.1:8091", "model": "smollm2"}"#)
    #expect(minimal.baseURLs == ["http://127.0.0.1:8091/v1"])
    #expect(minimal.maxInFlight == 16 && minimal.cachePath == nil && minimal.checkAtLoad)
  }

  @Test func badBlocksFailWithTheFieldNamed() {
    let cases: [(String, String)] = [
      (#"{"model": "m"}"#, "/specs/judge.json: field 'engine.base_url': missing field: required"),
      (#"{"base_url": "http://h:1/v1"}"#, "/specs/judge.json: field 'engine.model': missing field: required"),
      (
        #"{"base_url": "h:1", "model": "m"}"#,
        "/specs/judge.json: field 'engine.base_url': invalid value: engine base URL 'h:1': expected http:// or https://"
      ),
      (
        #"{"base_url": ["http://a:1", 5], "model": "m"}"#,
        "/specs/judge.json: field 'engine.base_url[1]': wrong type: expected a URL string, found number"
      ),
      (
        #"{"base_url": "http://a:1", "model": "m", "max_in_flight": 0}"#,
        "/specs/judge.json: field 'engine.max_in_flight': invalid value: expected a positive integer, found 0"
      ),
      (
        #"{"base_url": "http://a:1", "model": "m", "timeout_s": "fast"}"#,
        "/specs/judge.json: field 'engine.timeout_s': wrong type: expected a number, found string"
      ),
      (
        #"{"base_url": "http://a:1", "model": "m", "cache": {"path": "c", "mode": "sometimes"}}"#,
        "/specs/judge.json: field 'engine.cache.mode': invalid value: expected read-write, read-only, off, found 'sometimes'"
      ),
      (
        #"{"base_url": "http://a:1", "model": "m", "api_key_env": "sk-abc123"}"#,
        "/specs/judge.json: field 'engine.api_key_env': invalid value: expected the name of an environment variable (letters, digits, _), not the key itself"
      ),
      (
        #"{"base_url": "http://a:1", "model": "m", "temperature": 0}"#,
        "field 'engine.temperature': invalid value: unknown"
      ),
      ("[1]", "/specs/judge.json: field 'engine': wrong type: expected an object"),
    ]
    for (text, message) in cases {
      let description = error(text)?.description ?? ""
      #expect(description.hasPrefix(message) || description.contains(message), "\(description)")
    }
  }

  @Test func theKeyComesFromTheNamedVariableAndAMissingOneIsAnError() throws {
    let configuration = try parse(#"{"base_url": "http://a:1", "model": "m", "api_key_env": "JUDGE_KEY"}"#)
    let settings = try configuration.settings(environment: ["JUDGE_KEY": "sk-live-999"])
    #expect(settings.apiKey == APIKey("sk-live-999"))
    #expect(!"\(settings)".contains("sk-live"))
    #expect(throws: InputError.self) { try configuration.settings(environment: [:]) }
  }

  @Test func makeEngineWrapsTheClientInTheConfiguredCache() throws {
    let directory = NSTemporaryDirectory() + "rewardkit-engine-config-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let cached = try parse(
      #"{"base_url": "http://a:1", "model": "m", "cache": {"path": "\#(directory)"}}"#
    ).makeEngine()
    #expect(cached is CachedChatEngine)
    #expect((cached as? CachedChatEngine)?.mode == .readWrite)
    #expect(FileManager.default.fileExists(atPath: directory))
    let off = try parse(#"{"base_url": "http://a:1", "model": "m", "cache": {"path": "\#(directory)", "mode": "off"}}"#)
    #expect(try off.makeEngine() is OpenAIEngine)
  }

  @Test func anUnreachableEngineFailsAtLoadNamingBaseURLUnlessTheCheckIsOff() async throws {
    try await withRefusingPort { port in
      let url = "http://127.0.0.1:\(port)/v1"
      let configuration = try parse(#"{"base_url": "\#(url)", "model": "m"}"#)
      do {
        try await configuration.checkReachable()
        Issue.record("expected the check to fail")
      } catch let error as InputError {
        #expect(error.location.field == "engine.base_url")
        #expect(error.message.contains("\(url)/models"))
        #expect(error.message.contains("check: false"))
      }
      var unchecked = configuration
      unchecked.checkAtLoad = false
      try await unchecked.checkReachable()
    }

    let stub = StubEngine { _, _, _ in
      StubEngine.json(["object": "list", "data": [["id": "smollm2", "object": "model"]]])
    }
    try await stub.serve { live in
      let client = try EngineConfiguration(baseURLs: [live], model: "m").makeClient()
      #expect(try await client.checkReachable() == ["smollm2"])
    }
  }
}
