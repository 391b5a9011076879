import Foundation
import RewardCore
import RewardYAML

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
  /// Body bytes all requests in flight may hold together (a parsed body takes ~15× its size);
  /// past it a request gets 503 before its body is read.
  public var maxInFlightBodyBytes = 64 * 1024 * 1024
  /// A connection must send a complete request head within this time of opening or of its previous
  /// response (and may not stall mid-body this long), else it is closed: slowloris, idle keep-alive.
  public var headerTimeoutSeconds = 10.0
  /// The whole body must arrive within this time of the head, else 408 and the connection closes.
  public var bodyTimeoutSeconds = 60.0
  /// Open connections at most; further ones wait in the listen backlog.
  public var maxConnections = 512
  /// On SIGTERM, how long in-flight requests may take to finish before they are answered 503
  /// and the server exits anyway (a scoring thread stuck in a model does not hold it up).
  public var shutdownTimeoutSeconds = 30.0
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
    "host", "port", "spec", "model", "api_key", "max_body_bytes", "max_inflight_body_bytes", "max_batch_size",
    "max_wait_ms", "max_queued_items", "request_timeout_s", "header_timeout_s", "body_timeout_s", "max_connections",
    "shutdown_timeout_s", "scoring_threads", "log_format", "log_level",
  ]
  /// The settings in seconds (any number), each with where it is kept.
  static var secondsKeys: [(key: String, path: WritableKeyPath<ServerConfiguration, Double>)] {
    [
      ("request_timeout_s", \.requestTimeoutSeconds), ("header_timeout_s", \.headerTimeoutSeconds),
      ("body_timeout_s", \.bodyTimeoutSeconds), ("shutdown_timeout_s", \.shutdownTimeoutSeconds),
    ]
  }
  static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

  /// Reads a YAML or JSON config file over the defaults, through the bounded reader specs and judge
  /// files use (1 MiB, 100,000 values after YAML aliases, 64 levels). Relative `spec`/`model` paths are taken
  /// relative to the file.
  public static func load(file: String) throws -> ServerConfiguration {
    let value: JSONValue
    do {
      value = try BoundedDocument.read(path: file, noun: "the config file")
    } catch  where error.message == "the config file is empty" {
      value = .object(JSONObject())  // an empty file sets nothing
    } catch {
      throw ConfigurationError("\(file): \(error)")
    }
    var configuration = ServerConfiguration()
    try configuration.apply(settings(in: value, file: file), file: file)
    return configuration
  }

  private static func settings(in value: JSONValue, file: String) throws -> JSONObject {
    guard let object = value.objectValue else {
      throw ConfigurationError("\(file): expected a mapping of settings, found \(value.typeName)")
    }
    return object
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
      case ("max_inflight_body_bytes", .int(let number)): maxInFlightBodyBytes = Int(number)
      case ("max_connections", .int(let number)): maxConnections = Int(number)
      case ("max_batch_size", .int(let number)): maxBatchSize = Int(number)
      case ("max_wait_ms", _) where value.doubleValue != nil: maxWaitMilliseconds = value.doubleValue!
      case ("max_queued_items", .int(let number)): maxQueuedItems = Int(number)
      case _ where Self.secondsKeys.contains { $0.key == key }:
        guard let seconds = value.doubleValue else { throw fail(key, "a number", value) }
        self[keyPath: Self.secondsKeys.first { $0.key == key }!.path] = seconds
      case ("scoring_threads", .int(let number)): scoringThreads = Int(number)
      case ("log_format", .string(let text)):
        guard let format = LogFormat(rawValue: text) else { throw fail(key, "text or json", value) }
        logFormat = format
      case ("log_level", .string(let text)): logLevel = text
      case ("host", _), ("spec", _), ("model", _), ("api_key", _), ("log_format", _), ("log_level", _):
        throw fail(key, "a string", value)
      case ("max_wait_ms", _): throw fail(key, "a number", value)
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
      ("scoring_threads", scoringThreads), ("max_connections", maxConnections),
    ] where value < 1 {
      throw ConfigurationError("\(name): expected at least 1, found \(value)")
    }
    guard maxInFlightBodyBytes >= maxBodyBytes else {
      throw ConfigurationError(
        "max_inflight_body_bytes: expected at least max_body_bytes (\(maxBodyBytes)), found \(maxInFlightBodyBytes)")
    }
    guard maxWaitMilliseconds >= 0, maxWaitMilliseconds.isFinite else {
      throw ConfigurationError("max_wait_ms: expected a number ≥ 0, found \(maxWaitMilliseconds)")
    }
    for (key, path) in Self.secondsKeys {
      let seconds = self[keyPath: path]
      guard seconds > 0, seconds.isFinite else {
        throw ConfigurationError("\(key): expected a number > 0, found \(seconds)")
      }
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
