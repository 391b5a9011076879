import Foundation
import RewardCore

/// One function call: a name and its arguments in the order written.
public struct ToolCall: Sendable, Equatable {
  public var name: String
  public var arguments: JSONObject

  public init(name: String, arguments: JSONObject) {
    self.name = name
    self.arguments = arguments
  }

  /// `{"name": …, "parameters"|"arguments": {…}}` (OpenAI-style `{"function": {…}}` too).
  public init?(json: JSONValue) {
    guard var object = json.objectValue else { return nil }
    if let function = object["function"]?.objectValue { object = function }
    guard let name = object["name"]?.stringValue else { return nil }
    var arguments = object["parameters"] ?? object["arguments"] ?? .object(JSONObject())
    // Some models send arguments as a JSON string.
    if let text = arguments.stringValue, let parsed = try? JSONParser.parse(text) { arguments = parsed }
    guard let argumentObject = arguments.objectValue else { return nil }
    self.init(name: name, arguments: argumentObject)
  }

  public var json: JSONValue { ["name": .string(name), "parameters": .object(arguments)] }
}

/// Finds tool calls in a response.
public enum ToolCallParser {
  /// The contents of every `<tag>…</tag>` block, in order (unclosed blocks are ignored).
  public static func blocks(_ tag: String, in text: String) -> [String] {
    var blocks: [String] = []
    var rest = text[...]
    while let open = rest.range(of: "<\(tag)>"),
      let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex)
    {
      blocks.append(String(rest[open.upperBound..<close.lowerBound]))
      rest = rest[close.upperBound...]
    }
    return blocks
  }

  /// Calls in `<tool_call>` blocks (one JSON object per line, or a JSON array, or one object per
  /// block), else a bare JSON object or array of calls, or Python call syntax, as the whole response.
  /// Nil when the response has tool-call syntax that does not parse (a format error, not "no calls").
  public static func parse(_ response: String) -> [ToolCall]? {
    let blocks = blocks("tool_call", in: response)
    if !blocks.isEmpty {
      var calls: [ToolCall] = []
      for block in blocks {
        guard let parsed = parseCalls(block) else { return nil }
        calls += parsed
      }
      return calls
    }
    if response.contains("<tool_call>") { return nil }
    var trimmed = response.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.hasPrefix("```") {
      trimmed = trimmed.drop(while: { $0 != "\n" }).trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.hasSuffix("```") { trimmed = String(trimmed.dropLast(3)) }
    }
    // BFCL's prompt format: Python call syntax, `[f(a=1), g(b="x")]`.
    guard trimmed.hasPrefix("{") || trimmed.hasPrefix("[") else { return PythonCallParser.parse(trimmed) ?? [] }
    return parseCalls(trimmed) ?? PythonCallParser.parse(trimmed)
  }

  /// Calls in a block: a JSON array, one JSON object, or one JSON object per line.
  static func parseCalls(_ block: String) -> [ToolCall]? {
    let trimmed = block.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return [] }
    if let whole = try? JSONParser.parse(trimmed) {
      if let items = whole.arrayValue {
        let calls = items.compactMap(ToolCall.init(json:))
        return calls.count == items.count ? calls : nil
      }
      return ToolCall(json: whole).map { [$0] }
    }
    var calls: [ToolCall] = []
    for line in trimmed.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
      guard let value = try? JSONParser.parse(String(line)), let call = ToolCall(json: value) else { return nil }
      calls.append(call)
    }
    return calls
  }
}
