import Foundation
import RewardCore
import Yams

/// How large a spec may be. A spec is a few hundred bytes written by a person; these bounds are
/// far above that and stop a hostile or broken one (a YAML alias bomb, 20,000 components)
/// before it costs gigabytes or minutes. Documented in docs/REWARD_SPEC.md.
public enum SpecLimits {
  /// Bytes of spec text.
  public static let maximumDocumentBytes = 1 << 20
  /// Values (scalars, lists and mappings) after YAML aliases are expanded: an alias repeats
  /// its anchor's whole value, so nine nested aliases of ten can make 10⁹ of a tiny file.
  public static let maximumValues = 100_000
  /// Levels of nested lists and mappings. (The YAML parser itself stops at 1,000 levels and the
  /// JSON reader at 512, before their recursion could exhaust the stack.)
  public static let maximumDepth = 64
  /// Entries of `components`.
  public static let maximumComponents = 1_000
}

/// Reads a spec file (YAML or JSON) into a `JSONValue`, keeping key order, so one validator serves
/// both formats. YAML scalars take YAML 1.1 core types (`1` is an int, `"1"` a string).
enum SpecDocument {
  static func read(text: String, file: String?) throws(SpecError) -> JSONValue {
    guard text.utf8.count <= SpecLimits.maximumDocumentBytes else {
      throw SpecError(
        file: file, path: "",
        "the spec is \(text.utf8.count) bytes, over the limit of \(SpecLimits.maximumDocumentBytes)")
    }
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.hasPrefix("{") {
      let value: JSONValue
      do {
        value = try JSONParser.parse(text)
      } catch {
        throw SpecError(
          file: file, path: "", "invalid JSON at line \(error.line), column \(error.column): \(error.message)")
      }
      try checkDepth(value, file: file)
      return value
    }
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch {
      // The parser's message quotes the offending line, which can be a megabyte long.
      let lines = "\(error)".split(separator: "\n", omittingEmptySubsequences: false)
      throw SpecError(
        file: file, path: "", "invalid YAML: " + lines.map { String($0).excerpt(limit: 200) }.joined(separator: "\n"))
    }
    guard let node else { throw SpecError(file: file, path: "", "the spec is empty") }
    var values = 0
    return try convert(node, path: "", file: file, depth: 0, values: &values)
  }

  /// A JSON spec within `maximumDepth`, as a YAML one is checked while it is converted.
  private static func checkDepth(_ value: JSONValue, file: String?, depth: Int = 0) throws(SpecError) {
    guard depth < SpecLimits.maximumDepth else {
      throw SpecError(file: file, path: "", "nested more than \(SpecLimits.maximumDepth) levels")
    }
    for child in value.arrayValue ?? value.objectValue?.entries.map(\.value) ?? [] {
      try checkDepth(child, file: file, depth: depth + 1)
    }
  }

  private static func convert(_ node: Node, path: String, file: String?, depth: Int, values: inout Int)
    throws(SpecError) -> JSONValue
  {
    guard depth < SpecLimits.maximumDepth else {
      throw SpecError(file: file, path: path, "nested more than \(SpecLimits.maximumDepth) levels")
    }
    values += 1
    guard values <= SpecLimits.maximumValues else {
      throw SpecError(
        file: file, path: path,
        "the spec holds more than \(SpecLimits.maximumValues) values once YAML aliases are expanded")
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
        items.append(try convert(item, path: "\(path)[\(index)]", file: file, depth: depth + 1, values: &values))
      }
      return .array(items)
    case .mapping(let mapping):
      var object = JSONObject()
      for (key, value) in mapping {
        guard let name = key.string else { throw SpecError(file: file, path: path, "mapping keys must be strings") }
        let childPath = path.isEmpty ? name.excerpt() : "\(path).\(name.excerpt())"
        guard object[name] == nil else { throw SpecError(file: file, path: childPath, "duplicate key") }
        object[name] = try convert(value, path: childPath, file: file, depth: depth + 1, values: &values)
      }
      return .object(object)
    case .alias:
      // Yams resolves aliases while composing; an unresolved one would be a Yams change.
      throw SpecError(file: file, path: path, "unresolved YAML alias")
    }
  }
}
