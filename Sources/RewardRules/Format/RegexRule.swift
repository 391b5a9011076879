import Foundation
import RewardCore

/// 1 when the response matches a regular expression (anywhere, or as a whole with `.full`), else 0.
public struct RegexRule: RewardRule {
  public enum Mode: String, Sendable, CaseIterable {
    case search, full
  }

  public let regex: NSRegularExpression
  public let mode: Mode

  /// Throws the regex compiler's message for an invalid pattern.
  public init(pattern: String, mode: Mode = .search) throws {
    let anchored = mode == .full ? "^(?:\(pattern))$" : pattern
    do {
      regex = try NSRegularExpression(pattern: anchored, options: [])
    } catch {
      throw ConfigurationError("invalid regular expression '\(pattern)': \(error.localizedDescription)")
    }
    self.mode = mode
  }

  public func matches(_ text: String) -> Bool {
    regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    .score(matches(candidate.response) ? 1 : 0)
  }
}

/// Tag structure: the response is the given tags in order, each exactly once
/// (`<think>…</think>` then `<answer>…</answer>`), with nothing but whitespace outside them when
/// `strict`. 1 or 0.
public struct TagStructureRule: RewardRule {
  public let tags: [String]
  public let strict: Bool

  public init(tags: [String], strict: Bool = true) {
    self.tags = tags
    self.strict = strict
  }

  public func matches(_ response: String) -> Bool {
    var rest = response[...]
    for tag in tags {
      let open = "<\(tag)>"
      let close = "</\(tag)>"
      guard response.components(separatedBy: open).count == 2, response.components(separatedBy: close).count == 2,
        let openRange = rest.range(of: open),
        let closeRange = rest.range(of: close, range: openRange.upperBound..<rest.endIndex)
      else { return false }
      if strict && !rest[..<openRange.lowerBound].allSatisfy(\.isWhitespace) { return false }
      rest = rest[closeRange.upperBound...]
    }
    return !strict || rest.allSatisfy(\.isWhitespace)
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    .score(matches(candidate.response) ? 1 : 0)
  }
}
