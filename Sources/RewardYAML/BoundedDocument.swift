import Foundation
import RewardCore
import Yams

/// How large a configuration document (a reward spec, a judge file, a server config) may be. Such
/// files are a few hundred bytes written by a person; these bounds are far above that and stop a
/// hostile or broken one (a YAML alias bomb, a megabyte of `[`) before it costs gigabytes or minutes.
public struct DocumentLimits: Sendable, Equatable {
  /// Bytes of document text.
  public var maximumBytes: Int
  /// Values (scalars, lists and mappings) after YAML aliases are expanded: an alias repeats its
  /// anchor's whole value, so nine nested aliases of ten make 10⁹ values of a tiny file.
  public var maximumValues: Int
  /// Levels of nested lists and mappings. (The YAML parser itself stops at 1,000 levels and the
  /// JSON reader at 512, before their recursion could exhaust the stack.)
  public var maximumDepth: Int

  public init(maximumBytes: Int = 1 << 20, maximumValues: Int = 100_000, maximumDepth: Int = 64) {
    self.maximumBytes = maximumBytes
    self.maximumValues = maximumValues
    self.maximumDepth = maximumDepth
  }

  /// 1 MiB, 100,000 values, 64 levels (docs/REWARD_SPEC.md, RELIABILITY.md 16.11).
  public static let standard = DocumentLimits()
}

/// A document that could not be read: where (the key path, and the line and column when the parser
/// knows them) and what is wrong. Callers wrap it in their own located error with the file name.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Key path of the offending value (`components[1].pattern`); empty for the whole document.
  public var path: String
  public var line: Int?
  public var column: Int?
  public var message: String

  public init(path: String = "", line: Int? = nil, column: Int? = nil, _ message: String) {
    self.path = path
    self.line = line
    self.column = column
    self.message = message
  }

  /// The message with its line and column, when known (`nested more than 64 levels (line 3, column 7)`).
  public var locatedMessage: String {
    guard let line else { return message }
    return "\(message) (line \(line)\(column.map { ", column \($0)" } ?? ""))"
  }

  public var description: String { path.isEmpty ? locatedMessage : "\(path): \(locatedMessage)" }
}

/// The one reader of YAML and JSON configuration documents, with `DocumentLimits` enforced while
/// reading: the size before parsing, nesting and the number of values (aliases expanded) while the
/// parsed tree is converted, so an alias bomb stops at the limit instead of being expanded.
/// The result is a `JSONValue` that keeps key order, so one validator serves both formats. YAML
/// scalars take YAML 1.1 core types (`1` is an int, `"1"` a string); keys must be unique strings.
public enum BoundedDocument {
  /// Reads `text`; `noun` names the document in messages ("the spec is 2000000 bytes, …").
  public static func read(text: String, noun: String = "document", limits: DocumentLimits = .standard)
    throws(DocumentError) -> JSONValue
  {
    let bytes = text.utf8.count
    guard bytes <= limits.maximumBytes else {
      throw DocumentError("\(noun) is \(bytes) bytes, over the limit of \(limits.maximumBytes)")
    }
    if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
      return try readJSON(text, limits: limits)
    }
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch {
      throw yamlError(error)
    }
    guard let node else { throw DocumentError("\(noun) is empty") }
    var converter = Converter(noun: noun, limits: limits)
    return try converter.convert(node, path: "", depth: 0)
  }

  /// Reads a file, refusing one over the byte limit before loading it into memory.
  public static func read(path: String, noun: String = "document", limits: DocumentLimits = .standard)
    throws(DocumentError) -> JSONValue
  {
    try read(text: text(ofFile: path, noun: noun, limits: limits), noun: noun, limits: limits)
  }

  /// The UTF-8 text of a file within the byte limit (checked on the file's size first).
  public static func text(ofFile path: String, noun: String = "document", limits: DocumentLimits = .standard)
    throws(DocumentError) -> String
  {
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    if let size, size > limits.maximumBytes {
      throw DocumentError("\(noun) is \(size) bytes, over the limit of \(limits.maximumBytes)")
    }
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw DocumentError("cannot read the file: \(error.localizedDescription)")
    }
    guard data.count <= limits.maximumBytes else {
      throw DocumentError("\(noun) is \(data.count) bytes, over the limit of \(limits.maximumBytes)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw DocumentError("\(noun) is not UTF-8 text") }
    return text
  }

  private static func readJSON(_ text: String, limits: DocumentLimits) throws(DocumentError) -> JSONValue {
    let value: JSONValue
    do {
      value = try JSONParser.parse(text)
    } catch {
      throw DocumentError(line: error.line, column: error.column, "invalid JSON: \(error.message)")
    }
    var values = 0
    try checkJSON(value, path: "", depth: 0, values: &values, limits: limits)
    return value
  }

  /// A JSON document within the limits, as a YAML one is checked while it is converted (JSON has
  /// no aliases, so its values are bounded by its size; counted anyway, for one rule).
  private static func checkJSON(_ value: JSONValue, path: String, depth: Int, values: inout Int, limits: DocumentLimits)
    throws(DocumentError)
  {
    guard depth < limits.maximumDepth else {
      throw DocumentError(path: path, "nested more than \(limits.maximumDepth) levels")
    }
    values += 1
    guard values <= limits.maximumValues else {
      throw DocumentError(path: path, "more than \(limits.maximumValues) values")
    }
    if let items = value.arrayValue {
      for (index, item) in items.enumerated() {
        try checkJSON(item, path: "\(path)[\(index)]", depth: depth + 1, values: &values, limits: limits)
      }
    } else if let object = value.objectValue {
      for (key, child) in object.entries {
        let childPath = path.isEmpty ? key.excerpt() : "\(path).\(key.excerpt())"
        try checkJSON(child, path: childPath, depth: depth + 1, values: &values, limits: limits)
      }
    }
  }

  private static func yamlError(_ error: any Error) -> DocumentError {
    // The parser's message quotes the offending line, which can be a megabyte long.
    let lines = "\(error)".split(separator: "\n", omittingEmptySubsequences: false)
    let message = "invalid YAML: " + lines.map { String($0).excerpt(limit: 200) }.joined(separator: "\n")
    switch error as? YamlError {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
      return DocumentError(line: mark.line, column: mark.column, message)
    default:
      return DocumentError(message)
    }
  }

  /// Converts a composed YAML tree, counting every value it produces: an alias is a reference to
  /// its anchor's subtree, so counting here is what bounds the expansion.
  private struct Converter {
    var noun: String
    var limits: DocumentLimits
    var values = 0

    mutating func convert(_ node: Node, path: String, depth: Int) throws(DocumentError) -> JSONValue {
      guard depth < limits.maximumDepth else {
        throw error(node, path, "nested more than \(limits.maximumDepth) levels")
      }
      values += 1
      guard values <= limits.maximumValues else {
        throw error(node, path, "\(noun) holds more than \(limits.maximumValues) values once YAML aliases are expanded")
      }
      switch node {
      case .scalar(let scalar):
        // Only plain scalars are typed; quoted ones ("1", 'true') stay strings.
        guard scalar.style == .plain else { return .string(scalar.string) }
        if node.null != nil { return .null }
        if let value = node.bool { return .bool(value) }
        if let value = node.int { return .int(Int64(value)) }
        if let value = node.float { return .double(value) }
        return .string(scalar.string)
      case .sequence(let sequence):
        var items: [JSONValue] = []
        for (index, item) in sequence.enumerated() {
          items.append(try convert(item, path: "\(path)[\(index)]", depth: depth + 1))
        }
        return .array(items)
      case .mapping(let mapping):
        var object = JSONObject()
        for (key, value) in mapping {
          guard let name = key.string else { throw error(key, path, "mapping keys must be strings") }
          let childPath = path.isEmpty ? name.excerpt() : "\(path).\(name.excerpt())"
          guard object[name] == nil else { throw error(key, childPath, "duplicate key") }
          object[name] = try convert(value, path: childPath, depth: depth + 1)
        }
        return .object(object)
      case .alias:
        // Yams resolves aliases while composing; an unresolved one would be a Yams change.
        throw error(node, path, "unresolved YAML alias")
      }
    }

    func error(_ node: Node, _ path: String, _ message: String) -> DocumentError {
      DocumentError(path: path, line: node.mark?.line, column: node.mark?.column, message)
    }
  }
}
