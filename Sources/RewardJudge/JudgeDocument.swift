import Foundation
import RewardCore
import RewardYAML

/// Reads a judge file (YAML, or JSON when it starts with `{`) through the bounded reader specs use
/// (`BoundedDocument`: 1 MiB, 100,000 values after alias expansion, 64 levels), keeping key order.
enum JudgeDocument {
  static func read(text: String, file: String) throws(JudgeConfigurationError) -> JSONValue {
    do {
      return try BoundedDocument.read(text: text, noun: "the judge file")
    } catch {
      throw located(error, file: file)
    }
  }

  static func read(path: String) throws(JudgeConfigurationError) -> JSONValue {
    do {
      return try BoundedDocument.read(path: path, noun: "the judge file")
    } catch {
      throw located(error, file: path)
    }
  }

  private static func located(_ error: DocumentError, file: String) -> JudgeConfigurationError {
    JudgeConfigurationError(file: file, field: error.path.isEmpty ? "(file)" : error.path, error.locatedMessage)
  }
}
