import Foundation
import Logging
import RewardCore

/// One JSON object per line on standard error (`--log-format json`), for log collectors:
/// `{"ts", "level", "logger", "message", ...metadata}`.
public struct JSONLogHandler: LogHandler {
  public var logLevel: Logger.Level = .info
  public var metadata: Logger.Metadata = [:]
  private let label: String

  public init(label: String) {
    self.label = label
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata.merging(event.metadata ?? [:]) { $1 }
    if let error = event.error { merged["error"] = "\(error)" }
    let text = Self.line(level: event.level, label: label, message: event.message.description, metadata: merged)
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
    var object = JSONObject([
      ("ts", .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))),
      ("level", .string(level.rawValue)), ("logger", .string(label)), ("message", .string(message)),
    ])
    for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { object[key] = json(value) }
    return JSONValue.object(object).jsonText
  }

  private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
    switch value {
    case .string(let text): .string(text)
    case .stringConvertible(let convertible): .string(convertible.description)
    case .array(let items): .array(items.map(json))
    case .dictionary(let entries):
      .object(JSONObject(entries.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
    }
  }
}
