import Foundation
import RewardCore
import Yams

/// Reads a spec file (YAML or JSON) into a `JSONValue`, keeping key order, so one validator serves
/// both formats. YAML scalars take YAML 1.1 core types (`1` is an int, `"1"` a string).
enum SpecDocument {
  static func read(text: String, file: String?) throws(SpecError) -> JSONValue {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.hasPrefix("{") {
      do {
        return try JSONParser.parse(text)
      } catch {
        throw SpecError(
          file: file, path: "", "invalid JSON at line \(error.line), column \(error.column): \(error.message)")
      }
    }
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch {
      throw SpecError(file: file, path: "", "invalid YAML: \(error)")
    }
    guard let node else { throw SpecError(file: file, path: "", "the spec is empty") }
    return try convert(node, path: "", file: file, depth: 0)
  }

  private static func convert(_ node: Node, path: String, file: String?, depth: Int) throws(SpecError) -> JSONValue {
    guard depth < 64 else { throw SpecError(file: file, path: path, "nested more than 64 levels") }
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
        items.append(try convert(item, path: "\(path)[\(index)]", file: file, depth: depth + 1))
      }
      return .array(items)
    case .mapping(let mapping):
      var object = JSONObject()
      for (key, value) in mapping {
        guard let name = key.string else { throw SpecError(file: file, path: path, "mapping keys must be strings") }
        let childPath = path.isEmpty ? name : "\(path).\(name)"
        guard object[name] == nil else { throw SpecError(file: file, path: childPath, "duplicate key") }
        object[name] = try convert(value, path: childPath, file: file, depth: depth + 1)
      }
      return .object(object)
    case .alias:
      throw SpecError(file: file, path: path, "YAML aliases are not supported in reward specs")
    }
  }
}
