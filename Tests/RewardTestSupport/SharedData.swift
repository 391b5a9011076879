import Foundation
import RewardCore

/// `../shared` beside the repository (the real data sets in `data/`, peer outputs in `reference/`),
/// found from this file's path so tests work in any clone that has `shared/` next to it. One copy
/// for every test target.
public enum SharedData {
  /// The repository's root folder.
  public static let repository: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  public static let root: String = repository.deletingLastPathComponent().appendingPathComponent("shared").path

  /// `relative` (e.g. `data/math/gsm8k-test.jsonl`) under `../shared`.
  public static func path(_ relative: String) -> String { root + "/" + relative }

  public static func url(_ relative: String) -> URL { URL(fileURLWithPath: path(relative)) }

  public static func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

  /// `Fixtures/name` beside the calling test file (each test target keeps its own fixtures).
  public static func fixture(_ name: String, file: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
  }

  /// Every line of a JSON Lines file under `../shared`, parsed.
  public static func jsonLines(_ relative: String) throws -> [JSONObject] {
    let text = try String(contentsOf: url(relative), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
      guard let object = try JSONParser.parse(String(line)).objectValue else {
        throw ConfigurationError("\(relative): a line is not a JSON object")
      }
      return object
    }
  }
}

/// The real all-MiniLM-L6-v2 backbone, which `reward backbone fetch minilm` puts in the cache
/// root. Tests that need it are skipped (not failed) when it is not there:
/// `@Test(.enabled(if: MiniLM.isFetched, MiniLM.skipReason))`.
public enum MiniLM {
  public static var directory: String { CacheRoot.folder("backbones") + "/minilm" }

  public static var isFetched: Bool {
    ["config.json", "tokenizer.json", "model.safetensors"].allSatisfy {
      FileManager.default.fileExists(atPath: directory + "/" + $0)
    }
  }

  public static var skipReason: String {
    "all-MiniLM-L6-v2 is not in the backbone cache (\(directory)): run `reward backbone fetch minilm` "
      + "(or set REWARDKIT_CACHE to a cache that has backbones/minilm)"
  }
}
