import Foundation
import RewardCore

/// The `engine:` block of a judge file or spec (and the CLI's engine flags): where the engine is,
/// which model, the key's environment variable, limits, retries and the request cache.
///
/// ```yaml
/// engine:
///   base_url: [http://10.0.0.1:8000/v1, http://10.0.0.2:8000/v1]   # or one string
///   model: Qwen/Qwen2.5-7B-Instruct
///   api_key_env: OPENAI_API_KEY      # the variable's name; the key itself never goes in a file
///   max_in_flight: 32
///   requests_per_minute: 600
///   tokens_per_minute: 200000
///   timeout_s: 120
///   max_retries: 4
///   cache: {path: judge-cache, mode: read-write}
///   check: true                      # GET /v1/models at load; false skips it
/// ```
public struct EngineConfiguration: Sendable, Equatable {
  public var baseURLs: [String]
  public var model: String
  /// The environment variable holding the API key (never the key itself).
  public var apiKeyEnv: String?
  public var maxInFlight: Int
  public var requestsPerMinute: Int?
  public var tokensPerMinute: Int?
  public var timeoutSeconds: Double
  public var maxRetries: Int
  /// The longest `Retry-After` obeyed.
  public var maxRetryAfterSeconds: Double
  /// The request cache's directory (resolved against the file the block came from); nil: no cache.
  public var cachePath: String?
  public var cacheMode: CacheMode
  /// Whether loading checks that every endpoint answers.
  public var checkAtLoad: Bool
  /// Where the block came from, for messages (nil for flags).
  public var source: SourceLocation?

  public static let keys = [
    "base_url", "model", "api_key_env", "max_in_flight", "requests_per_minute", "tokens_per_minute", "timeout_s",
    "max_retries", "max_retry_after_s", "cache", "check",
  ]

  public init(
    baseURLs: [String], model: String, apiKeyEnv: String? = nil, maxInFlight: Int = 16, requestsPerMinute: Int? = nil,
    tokensPerMinute: Int? = nil, timeoutSeconds: Double = 120, maxRetries: Int = 4, maxRetryAfterSeconds: Double = 60,
    cachePath: String? = nil, cacheMode: CacheMode = .readWrite, checkAtLoad: Bool = true, source: SourceLocation? = nil
  ) {
    self.baseURLs = baseURLs
    self.model = model
    self.apiKeyEnv = apiKeyEnv
    self.maxInFlight = maxInFlight
    self.requestsPerMinute = requestsPerMinute
    self.tokensPerMinute = tokensPerMinute
    self.timeoutSeconds = timeoutSeconds
    self.maxRetries = maxRetries
    self.maxRetryAfterSeconds = maxRetryAfterSeconds
    self.cachePath = cachePath
    self.cacheMode = cacheMode
    self.checkAtLoad = checkAtLoad
    self.source = source
  }

  /// Reads an `engine:` block (already parsed from YAML or JSON). `path` is the file it came from
  /// (errors name it, and a relative cache path is resolved against its directory); `field` is
  /// the block's key path in that file. Unknown keys are errors, so a typo is not silently ignored.
  public init(json: JSONValue, path: String, field: String = "engine") throws {
    let location = SourceLocation(file: path, field: field)
    func at(_ key: String) -> SourceLocation { location.field("\(field).\(key)") }
    guard case .object(let object) = json else {
      throw InputError(.wrongType, at: location, "expected an object with base_url and model, found \(json.typeName)")
    }
    for key in object.keys where !Self.keys.contains(key) {
      throw InputError(
        .invalidValue, at: at(key), "unknown engine setting; expected one of \(Self.keys.joined(separator: ", "))")
    }
    let reader = BlockReader(object: object, at: at)
    self.init(baseURLs: try reader.urls("base_url"), model: try reader.requiredString("model"), source: location)
    apiKeyEnv = try reader.string("api_key_env")
    if let name = apiKeyEnv,
      name.isEmpty || !name.allSatisfy({ $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) })
    {
      throw InputError(
        .invalidValue, at: at("api_key_env"),
        "expected the name of an environment variable (letters, digits, _), not the key itself")
    }
    maxInFlight = try reader.positiveInt("max_in_flight") ?? maxInFlight
    requestsPerMinute = try reader.positiveInt("requests_per_minute")
    tokensPerMinute = try reader.positiveInt("tokens_per_minute")
    timeoutSeconds = try reader.positiveNumber("timeout_s") ?? timeoutSeconds
    maxRetryAfterSeconds = try reader.positiveNumber("max_retry_after_s") ?? maxRetryAfterSeconds
    if let retries = try reader.int("max_retries") {
      guard (0...100).contains(retries) else {
        throw InputError(.invalidValue, at: at("max_retries"), "expected an integer from 0 to 100, found \(retries)")
      }
      maxRetries = retries
    }
    checkAtLoad = try reader.bool("check") ?? true
    if let cache = object["cache"], !cache.isNull {
      guard case .object(let block) = cache else {
        throw InputError(.wrongType, at: at("cache"), "expected {path, mode}, found \(cache.typeName)")
      }
      for key in block.keys where key != "path" && key != "mode" {
        throw InputError(.invalidValue, at: at("cache.\(key)"), "unknown cache setting; expected path or mode")
      }
      let cacheReader = BlockReader(object: block) { at("cache.\($0)") }
      if let mode = try cacheReader.string("mode") {
        guard let parsed = CacheMode(rawValue: mode) else {
          throw InputError(
            .invalidValue, at: at("cache.mode"),
            "expected \(CacheMode.allCases.map(\.rawValue).joined(separator: ", ")), found '\(mode)'")
        }
        cacheMode = parsed
      }
      let directory = try cacheReader.requiredString("path")
      cachePath =
        directory.hasPrefix("/") || !path.contains("/")
        ? directory : URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(directory).path
    }
  }

  /// The client settings, with the API key read from the environment now.
  public func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws
    -> OpenAIEngineSettings
  {
    var key: APIKey?
    if let name = apiKeyEnv {
      guard let value = environment[name], !value.isEmpty else {
        throw InputError(
          .invalidValue, at: location("api_key_env"),
          "the environment variable \(name) is not set (it holds the API key)")
      }
      key = APIKey(value)
    }
    return OpenAIEngineSettings(
      baseURLs: baseURLs, model: model, apiKey: key, maxInFlight: maxInFlight, requestsPerMinute: requestsPerMinute,
      tokensPerMinute: tokensPerMinute, timeout: .seconds(double: timeoutSeconds),
      retry: RetryPolicy(maxRetries: maxRetries, maxRetryAfter: .seconds(double: maxRetryAfterSeconds)))
  }

  /// The HTTP client alone (no cache): for completions, embeddings and direct use.
  public func makeClient(
    usage: EngineUsage = EngineUsage(), environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> OpenAIEngine {
    do {
      return try OpenAIEngine(settings: try settings(environment: environment), usage: usage)
    } catch let error as ConfigurationError {
      throw InputError(.invalidValue, at: location("base_url"), error.message)
    }
  }

  /// The chat engine this block describes: the HTTP client, behind the request cache when one
  /// is configured (and its mode is not `off`). Counters land in `usage`.
  public func makeEngine(
    usage: EngineUsage = EngineUsage(), environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> any ChatEngine {
    let client = try makeClient(usage: usage, environment: environment)
    guard let cachePath, cacheMode != .off else { return client }
    do {
      return CachedChatEngine(wrapping: client, cache: try RequestCache(directory: cachePath), mode: cacheMode)
    } catch let error as ConfigurationError {
      throw InputError(.invalidValue, at: location("cache.path"), error.message)
    }
  }

  /// The load-time check (unless `check: false`): every endpoint must answer `GET /v1/models`
  /// (or `/health`) within 5 seconds; the error names the base URL and how to skip the check.
  public func checkReachable(environment: [String: String] = ProcessInfo.processInfo.environment) async throws {
    guard checkAtLoad else { return }
    let client = try makeClient(environment: environment)
    do {
      try await client.checkReachable()
    } catch let error as EngineError {
      throw InputError(
        .invalidValue, at: location("base_url"),
        "\(error) — start the engine, fix base_url, or set check: false (--no-engine-check) to skip this check")
    }
  }

  /// `makeEngine()` after `checkReachable()`: what a judge or sampler loader calls.
  public func makeCheckedEngine(usage: EngineUsage = EngineUsage()) async throws -> any ChatEngine {
    let engine = try makeEngine(usage: usage)
    try await checkReachable()
    return engine
  }

  private func location(_ key: String) -> SourceLocation {
    let base = source ?? SourceLocation(file: "engine settings", field: "engine")
    return base.field("\(base.field ?? "engine").\(key)")
  }
}

/// Typed reads of one YAML/JSON block with located errors.
private struct BlockReader {
  let object: JSONObject
  let at: (String) -> SourceLocation

  func string(_ key: String) throws -> String? {
    switch object[key] {
    case nil, .null?: return nil
    case .string(let text)?: return text
    case let other?: throw InputError(.wrongType, at: at(key), "expected a string, found \(other.typeName)")
    }
  }

  func requiredString(_ key: String) throws -> String {
    guard let text = try string(key) else { throw InputError(.missingField, at: at(key), "required") }
    guard !text.isEmpty else { throw InputError(.invalidValue, at: at(key), "expected a non-empty string") }
    return text
  }

  func urls(_ key: String) throws -> [String] {
    let texts: [String]
    switch object[key] {
    case nil, .null?:
      throw InputError(.missingField, at: at(key), "required: the engine's URL, e.g. http://127.0.0.1:8000/v1")
    case .string(let text)?: texts = [text]
    case .array(let items)?:
      guard !items.isEmpty else { throw InputError(.invalidValue, at: at(key), "expected at least one URL") }
      texts = try items.enumerated().map { index, item in
        guard let text = item.stringValue else {
          throw InputError(.wrongType, at: at("\(key)[\(index)]"), "expected a URL string, found \(item.typeName)")
        }
        return text
      }
    case let other?:
      throw InputError(.wrongType, at: at(key), "expected a URL or a list of URLs, found \(other.typeName)")
    }
    return try texts.enumerated().map { index, text in
      do {
        return try OpenAIEngineSettings.normalizedBaseURL(text)
      } catch let error as ConfigurationError {
        throw InputError(.invalidValue, at: at(texts.count > 1 ? "\(key)[\(index)]" : key), error.message)
      }
    }
  }

  func int(_ key: String) throws -> Int? {
    switch object[key] {
    case nil, .null?: return nil
    case .int(let value)?: return Int(value)
    case .double(let value)? where value == value.rounded() && abs(value) < 1e15: return Int(value)
    case let other?: throw InputError(.wrongType, at: at(key), "expected an integer, found \(other.jsonText)")
    }
  }

  func positiveInt(_ key: String) throws -> Int? {
    guard let value = try int(key) else { return nil }
    guard value > 0 else { throw InputError(.invalidValue, at: at(key), "expected a positive integer, found \(value)") }
    return value
  }

  func positiveNumber(_ key: String) throws -> Double? {
    switch object[key] {
    case nil, .null?: return nil
    case let value? where value.doubleValue != nil:
      let number = value.doubleValue!
      guard number > 0, number.isFinite else {
        throw InputError(.invalidValue, at: at(key), "expected a positive number of seconds, found \(value.jsonText)")
      }
      return number
    case let other?: throw InputError(.wrongType, at: at(key), "expected a number, found \(other.typeName)")
    }
  }

  func bool(_ key: String) throws -> Bool? {
    switch object[key] {
    case nil, .null?: return nil
    case .bool(let value)?: return value
    case let other?: throw InputError(.wrongType, at: at(key), "expected true or false, found \(other.typeName)")
    }
  }
}
