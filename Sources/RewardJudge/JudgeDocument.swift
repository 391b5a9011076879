import Foundation
import RewardCore
import Yams

/// Reads a judge file (YAML, or JSON when it starts with `{`) into a `JSONValue`, keeping key order.
enum JudgeDocument {
  static func read(text: String, file: String) throws(JudgeConfigurationError) -> JSONValue {
    if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
      do {
        return try JSONParser.parse(text)
      } catch {
        throw JudgeConfigurationError(
          file: file, field: "(file)", "invalid JSON at line \(error.line), column \(error.column): \(error.message)")
      }
    }
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch {
      throw JudgeConfigurationError(file: file, field: "(file)", "invalid YAML: \(error)")
    }
    guard let node else { throw JudgeConfigurationError(file: file, field: "(file)", "the judge file is empty") }
    return try convert(node, path: "", file: file, depth: 0)
  }

  private static func convert(_ node: Node, path: String, file: String, depth: Int) throws(JudgeConfigurationError)
    -> JSONValue
  {
    guard depth < 64 else { throw JudgeConfigurationError(file: file, field: path, "nested more than 64 levels") }
    switch node {
    case .scalar(let scalar):
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
        guard let name = key.string else {
          throw JudgeConfigurationError(file: file, field: path, "keys must be strings")
        }
        let child = path.isEmpty ? name : "\(path).\(name)"
        guard object[name] == nil else { throw JudgeConfigurationError(file: file, field: child, "duplicate key") }
        object[name] = try convert(value, path: child, file: file, depth: depth + 1)
      }
      return .object(object)
    case .alias:
      throw JudgeConfigurationError(file: file, field: path, "YAML aliases are not supported in judge files")
    }
  }
}
