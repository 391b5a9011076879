import Foundation
import RewardCore
import RewardYAML

/// How large a spec may be: `DocumentLimits.standard`, the bounds every configuration document
/// read through `BoundedDocument` shares (judge files and server configs too), plus the spec's own
/// cap on components. Documented in docs/REWARD_SPEC.md.
public enum SpecLimits {
  /// Bytes of spec text.
  public static let maximumDocumentBytes = DocumentLimits.standard.maximumBytes
  /// Values (scalars, lists and mappings) after YAML aliases are expanded.
  public static let maximumValues = DocumentLimits.standard.maximumValues
  /// Levels of nested lists and mappings.
  public static let maximumDepth = DocumentLimits.standard.maximumDepth
  /// Entries of `components`.
  public static let maximumComponents = 1_000
}

/// Reads a spec file (YAML or JSON) into a `JSONValue` through the bounded reader, with errors
/// located by file, key path and line.
enum SpecDocument {
  static func read(text: String, file: String?) throws(SpecError) -> JSONValue {
    do {
      return try BoundedDocument.read(text: text, noun: "the spec")
    } catch {
      throw SpecError(file: file, path: error.path, error.locatedMessage)
    }
  }

  static func read(path: String) throws(SpecError) -> JSONValue {
    do {
      return try BoundedDocument.read(path: path, noun: "the spec")
    } catch {
      throw SpecError(file: path, path: error.path, error.locatedMessage)
    }
  }
}
