import Foundation
import RewardCore
import Yams

/// Every setting of `reward serve`. A config file (YAML or JSON, keys in snake_case as listed in
/// `keys`) sets any of them; command-line options override the file.
public struct ServerConfiguration: Sendable, Equatable {
  public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
  }

  public var host = "127.0.0.1"
  public var port = 8000
  /// A reward spec file; exactly one of `spec` and `model` is served.
  public var spec: String?
  /// A checkpoint directory written by `reward train`.
  public var model: String?
  /// When set, every endpoint but `/health` requires `Authorization: Bearer <key>`.
  public var apiKey: String?
  public var maxBodyBytes = 32 * 1024 * 1024
  public var maxBatchSize = 256
  public var maxWaitMilliseconds = 2.0
  public var maxQueuedItems = 65_536
  public var requestTimeoutSeconds = 120.0
  public var scoringThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
  public var logFormat = LogFormat.text
  public var logLevel = "info"

  public init() {}

  /// Config-file keys, in the order `reward serve --help` documents them.
  public static let keys = [
    "host", "port", "spec", "model", "api_key", "max_body_bytes", "max_batch_size", "max_wait_ms",
    "max_queued_items", "request_timeout_s", "scoring_threads", "log_format", "log_level",
  ]
  static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

  /// Reads a YAML or JSON config file over the defaults. Relative `spec`/`model` paths are taken
  /// relative to the file.
  public static func load(file: String) throws -> ServerConfiguration {
    let text: String
    do {
      text = try String(contentsOfFile: file, encoding: .utf8)
    } catch {
      throw ConfigurationError("\(file): cannot read the config file: \(error.localizedDescription)")
    }
    let object = try parseDocument(text, file: file)
    var configuration = ServerConfiguration()
    try configuration.apply(object, file: file)
    return configuration
  }

  static func parseDocument(_ text: String, file: String) throws -> JSONObject {
    let value: JSONValue
    if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
      do {
        value = try JSONParser.parse(text)
      } catch {
        throw ConfigurationError("\(file):\(error.line):\(error.column): malformed JSON: \(error.message)")
      }
    } else {
      let loaded: Any?
      do {
        loaded = try Yams.load(yaml: text)
      } catch {
        throw ConfigurationError("\(file): invalid YAML: \(error)")
      }
      value = loaded.map(jsonValue) ?? .object(JSONObject())
    }
    guard let object = value.objectValue else {
      throw ConfigurationError("\(file): expected a mapping of settings, found \(value.typeName)")
    }
    return object
  }

  private static func jsonValue(_ any: Any) -> JSONValue {
    switch any {
    case let value as Bool: .bool(value)
    case let value as Int: .int(Int64(value))
    case let value as Double: .double(value)
    case let value as String: .string(value)
    case let value as [Any]: .array(value.map(jsonValue))
    case let value as [String: Any]:
      .object(JSONObject(value.sorted { $0.key < $1.key }.map { ($0.key, jsonValue($0.value)) }))
    default: .null
    }
  }

  mutating func apply(_ object: JSONObject, file: String) throws {
    let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
    func fail(_ key: String, _ expected: String, _ found: JSONValue) -> ConfigurationError {
      ConfigurationError("\(file): '\(key)': expected \(expected), found \(found.typeName) \(found.jsonText)")
    }
    func path(_ text: String) -> String {
      text.hasPrefix("/") ? text : directory.appendingPathComponent(text).path
    }
    for (key, value) in object.entries {
      switch (key, value) {
      case ("host", .string(let text)): host = text
      case ("port", .int(let number)): port = Int(number)
      case ("spec", .string(let text)): spec = path(text)
      case ("model", .string(let text)): model = path(text)
      case ("api_key", .string(let text)): apiKey = text
      case ("max_body_bytes", .int(let number)): maxBodyBytes = Int(number)
      case ("max_batch_size", .int(let number)): maxBatchSize = Int(number)
      case ("max_wait_ms", _) where value.doubleValue != nil: maxWaitMilliseconds = value.doubleValue!
      case ("max_queued_items", .int(let number)): maxQueuedItems = Int(number)
      case ("request_timeout_s", _) where value.doubleValue != nil: requestTimeoutSeconds = value.doubleValue!
      case ("scoring_threads", .int(let number)): scoringThreads = Int(number)
      case ("log_format", .string(let text)):
        guard let format = LogFormat(rawValue: text) else { throw fail(key, "text or json", value) }
        logFormat = format
      case ("log_level", .string(let text)): logLevel = text
      case ("host", _), ("spec", _), ("model", _), ("api_key", _), ("log_format", _), ("log_level", _):
        throw fail(key, "a string", value)
      case ("max_wait_ms", _), ("request_timeout_s", _): throw fail(key, "a number", value)
      case _ where Self.keys.contains(key): throw fail(key, "an integer", value)
      default:
        throw ConfigurationError("\(file): unknown setting '\(key)' (known: \(Self.keys.joined(separator: ", ")))")
      }
    }
  }

  /// Checks ranges and that exactly one model source is named; messages name the setting.
  public func validate() throws {
    switch (spec, model) {
    case (nil, nil): throw ConfigurationError("nothing to serve: give --spec FILE or --model DIR (or spec/model)")
    case (.some, .some): throw ConfigurationError("give either --spec or --model, not both")
    default: break
    }
    guard (0...65_535).contains(port) else { throw ConfigurationError("port: expected 0…65535, found \(port)") }
    for (name, value) in [
      ("max_body_bytes", maxBodyBytes), ("max_batch_size", maxBatchSize), ("max_queued_items", maxQueuedItems),
      ("scoring_threads", scoringThreads),
    ] where value < 1 {
      throw ConfigurationError("\(name): expected at least 1, found \(value)")
    }
    guard maxWaitMilliseconds >= 0, maxWaitMilliseconds.isFinite else {
      throw ConfigurationError("max_wait_ms: expected a number ≥ 0, found \(maxWaitMilliseconds)")
    }
    guard requestTimeoutSeconds > 0, requestTimeoutSeconds.isFinite else {
      throw ConfigurationError("request_timeout_s: expected a number > 0, found \(requestTimeoutSeconds)")
    }
    guard Self.logLevels.contains(logLevel) else {
      throw ConfigurationError(
        "log_level: expected one of \(Self.logLevels.joined(separator: ", ")), found '\(logLevel)'")
    }
    if let apiKey, apiKey.isEmpty { throw ConfigurationError("api_key: must not be empty") }
  }

  var queueSettings: ScoringQueue.Settings {
    ScoringQueue.Settings(
      maxBatchSize: maxBatchSize, maxWait: .microseconds(Int64(maxWaitMilliseconds * 1000)), capacity: maxQueuedItems,
      timeout: .milliseconds(Int64(requestTimeoutSeconds * 1000)), workers: scoringThreads)
  }
}
