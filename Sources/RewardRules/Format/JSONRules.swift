import Foundation
import RewardCore

/// A practical subset of JSON Schema: `type` (one or a list), `properties`, `required`,
/// `additionalProperties: false`, `enum`, `const`, `items`, `minimum`/`maximum`,
/// `minLength`/`maxLength`, `minItems`/`maxItems`. The schema is checked when it is built, so a
/// typo in a spec fails at load.
public struct JSONSchema: Sendable, Equatable {
  public let schema: JSONObject

  static let typeNames: Set<String> = ["string", "number", "integer", "boolean", "object", "array", "null"]
  static let knownKeywords: Set<String> = [
    "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minimum", "maximum",
    "minLength", "maxLength", "minItems", "maxItems", "description", "title", "$schema", "default",
  ]

  /// Throws with the path (inside the schema) of the first unsupported or malformed keyword.
  public init(_ schema: JSONValue) throws(SpecLikeError) {
    guard let object = schema.objectValue else { throw SpecLikeError(path: "", "a schema must be an object") }
    try Self.validate(object, path: "", depth: 0)
    self.schema = object
  }

  /// An error inside a schema, with a path relative to the schema's root.
  public struct SpecLikeError: Error, Sendable, Equatable {
    public var path: String
    public var message: String
    init(path: String, _ message: String) {
      self.path = path
      self.message = message
    }
  }

  private static func validate(_ schema: JSONObject, path: String, depth: Int) throws(SpecLikeError) {
    guard depth < 32 else { throw SpecLikeError(path: path, "schema nested too deeply") }
    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    for key in schema.keys where !knownKeywords.contains(key) {
      throw SpecLikeError(path: at(key), "unsupported schema keyword")
    }
    if let type = schema["type"] {
      let names = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
      guard !names.isEmpty, names.allSatisfy(typeNames.contains) else {
        throw SpecLikeError(path: at("type"), "expected one of \(typeNames.sorted().joined(separator: ", "))")
      }
    }
    if let properties = schema["properties"] {
      guard let object = properties.objectValue else {
        throw SpecLikeError(path: at("properties"), "expected an object")
      }
      for entry in object.entries {
        guard let child = entry.value.objectValue else {
          throw SpecLikeError(path: at("properties.\(entry.key)"), "expected a schema object")
        }
        try validate(child, path: at("properties.\(entry.key)"), depth: depth + 1)
      }
    }
    if let items = schema["items"] {
      guard let child = items.objectValue else { throw SpecLikeError(path: at("items"), "expected a schema object") }
      try validate(child, path: at("items"), depth: depth + 1)
    }
    if let required = schema["required"], required.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
      throw SpecLikeError(path: at("required"), "expected a list of property names")
    }
    for key in ["minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"] {
      if let bound = schema[key], bound.doubleValue == nil { throw SpecLikeError(path: at(key), "expected a number") }
    }
    if let enumeration = schema["enum"], enumeration.arrayValue == nil {
      throw SpecLikeError(path: at("enum"), "expected a list")
    }
  }

  public func validates(_ value: JSONValue) -> Bool { Self.conforms(value, to: schema, depth: 0) }

  private static func conforms(_ value: JSONValue, to schema: JSONObject, depth: Int) -> Bool {
    guard depth < 64 else { return false }
    if let type = schema["type"] {
      let names = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
      guard names.contains(where: { hasType(value, $0) }) else { return false }
    }
    if let options = schema["enum"]?.arrayValue, !options.contains(where: { PythonEquality.equal($0, value) }) {
      return false
    }
    if let constant = schema["const"], !PythonEquality.equal(constant, value) { return false }
    switch value {
    case .int, .double:
      let number = value.doubleValue!
      if let minimum = schema["minimum"]?.doubleValue, number < minimum { return false }
      if let maximum = schema["maximum"]?.doubleValue, number > maximum { return false }
    case .string(let text):
      if let minimum = schema["minLength"]?.doubleValue, Double(text.count) < minimum { return false }
      if let maximum = schema["maxLength"]?.doubleValue, Double(text.count) > maximum { return false }
    case .array(let items):
      if let minimum = schema["minItems"]?.doubleValue, Double(items.count) < minimum { return false }
      if let maximum = schema["maxItems"]?.doubleValue, Double(items.count) > maximum { return false }
      if let itemSchema = schema["items"]?.objectValue,
        !items.allSatisfy({ conforms($0, to: itemSchema, depth: depth + 1) })
      {
        return false
      }
    case .object(let object):
      for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
        return false
      }
      let properties = schema["properties"]?.objectValue ?? JSONObject()
      for entry in object.entries {
        if let propertySchema = properties[entry.key]?.objectValue {
          if !conforms(entry.value, to: propertySchema, depth: depth + 1) { return false }
        } else if schema["additionalProperties"] == .bool(false) {
          return false
        }
      }
    default: break
    }
    return true
  }

  private static func hasType(_ value: JSONValue, _ name: String) -> Bool {
    switch (value, name) {
    case (.string, "string"), (.bool, "boolean"), (.object, "object"), (.array, "array"), (.null, "null"): true
    case (.int, "number"), (.int, "integer"), (.double, "number"): true
    case (.double(let d), "integer"): d == d.rounded()
    default: false
    }
  }
}

/// 1 when the response is valid JSON (and, with a schema, conforms to it), else 0. The JSON may be
/// the whole response, a fenced ```json block, or the content of a given tag (e.g. `answer`).
public struct JSONRule: RewardRule {
  public let schema: JSONSchema?
  public let tag: String?

  public init(schema: JSONSchema? = nil, tag: String? = nil) {
    self.schema = schema
    self.tag = tag
  }

  public func payload(of response: String) -> String? {
    if let tag { return ToolCallParser.blocks(tag, in: response).last }
    var text = response.trimmingCharacters(in: .whitespacesAndNewlines)
    if text.hasPrefix("```") {
      text = String(text.drop(while: { $0 != "\n" }))
      if let end = text.range(of: "```", options: .backwards) { text = String(text[..<end.lowerBound]) }
    }
    return text
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    guard let payload = payload(of: candidate.response), let value = try? JSONParser.parse(payload) else {
      return .score(0)
    }
    return .score(schema.map { $0.validates(value) } ?? true ? 1 : 0)
  }
}
