import Foundation
import RewardCore

/// `../shared/data` and `../shared/reference` beside the repository, found from this file's path so
/// tests work in any clone that has `shared/` next to it.
enum SharedData {
  static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared")

  static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

  static func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative).path) }

  /// Every line of a JSON Lines file, parsed.
  static func jsonLines(_ relative: String) throws -> [JSONObject] {
    let text = try String(contentsOf: url(relative), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      guard let object = try JSONParser.parse(String(line)).objectValue else {
        throw ConfigurationError("\(relative): a line is not a JSON object")
      }
      return object
    }
  }
}
