import Foundation
import RewardBackbones
import RewardCore

/// Where tests find the repository, the shared reference data beside it, and the real model.
enum TestPaths {
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let reference = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")

  /// The fetched MiniLM directory, or an error that says how to fetch it.
  static func miniLMDirectory() throws -> String {
    let directory = BackboneStore().directory(for: "minilm")
    guard BackboneStore.isModelDirectory(directory) else {
      throw ConfigurationError(
        "all-MiniLM-L6-v2 is not in the backbone cache (\(directory)). Fetch it first: "
          + "swift run reward backbone fetch minilm (or set REWARDKIT_CACHE to a cache that has backbones/minilm)")
    }
    return directory
  }

  static func jsonLines(_ url: URL) throws -> [JSONObject] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      guard let object = try JSONParser.parse(String(line)).objectValue else {
        throw ConfigurationError("\(url.path): a line is not a JSON object")
      }
      return object
    }
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rewardkit-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
  var dot = 0.0
  var na = 0.0
  var nb = 0.0
  for (x, y) in zip(a, b) {
    dot += Double(x) * Double(y)
    na += Double(x) * Double(x)
    nb += Double(y) * Double(y)
  }
  return dot / (na.squareRoot() * nb.squareRoot())
}
