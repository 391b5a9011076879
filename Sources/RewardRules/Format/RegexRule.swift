import Foundation
import RewardCore

/// 1 when the response matches a regular expression (anywhere, or as a whole with `.full`), else 0;
/// "not applicable" when the match runs past its step budget (see `BoundedRegex`).
public struct RegexRule: RewardRule {
  public enum Mode: String, Sendable, CaseIterable {
    case search, full
  }

  public let regex: BoundedRegex
  public let mode: Mode
  /// Set when the pattern is literals joined by "anything" (`<think>[\s\S]*</think>`, the R1
  /// format check): then the rule is decided natively on UTF-8, without ICU and its UTF-16 bridging,
  /// which were the largest single cost of a math + format spec in the reward server.
  let literalSequence: LiteralSequence?
  /// Otherwise, text every match must contain (the pattern's leading literal), checked on UTF-8
  /// before ICU runs: a response without it cannot match.
  let requiredLiteral: [UInt8]

  /// Throws the regex compiler's message for an invalid pattern. `budget` is in ICU time-limit
  /// units (see `BoundedRegex`).
  public init(pattern: String, mode: Mode = .search, budget: Int = BoundedRegex.defaultBudget) throws {
    let anchored = mode == .full ? "^(?:\(pattern))$" : pattern
    do {
      regex = try BoundedRegex(pattern: anchored, budget: budget)
    } catch {
      throw ConfigurationError("invalid regular expression '\(pattern.excerpt())': \(error)")
    }
    self.mode = mode
    self.literalSequence = LiteralSequence(pattern: pattern)
    self.requiredLiteral = Array(Self.leadingLiteral(of: pattern).utf8)
  }

  /// Whether the text matches; false too when the budget ran out (`match(_:)` tells the two apart).
  public func matches(_ text: String) -> Bool { match(text) == .match }

  public func match(_ text: String) -> BoundedRegex.Outcome {
    if let literalSequence { return literalSequence.matches(text, whole: mode == .full) ? .match : .noMatch }
    if !requiredLiteral.isEmpty, ByteSearch.first(requiredLiteral, in: Array(text.utf8)) == nil {
      return .noMatch
    }
    return regex.firstMatch(in: text)
  }

  /// The characters a pattern starts with that can only match themselves (`<think>` of
  /// `<think>[\s\S]*</think>`), or "" when that is not certain: any alternation, or a quantifier
  /// right after the run (which makes its last character optional, so it is left out).
  static func leadingLiteral(of pattern: String) -> String {
    if pattern.contains("|") { return "" }
    var literal = pattern.prefix(while: LiteralSequence.isPlain)
    if let next = pattern.dropFirst(literal.count).first, "*?{+".contains(next) { literal = literal.dropLast() }
    return String(literal)
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    switch match(candidate.response) {
    case .match: .score(1)
    case .noMatch: .score(0)
    case .budgetExceeded:
      .notApplicable("the pattern ran past its match budget of \(regex.budget) steps (ICU time-limit units)")
    }
  }
}

/// A pattern made of plain literals joined by `[\s\S]*` (or `[\S\s]*`, either lazy): it matches a text
/// that holds the literals in order (search), or that starts with the first, ends with the last and
/// holds the others in order between them (full). Anything else is not one (nil).
struct LiteralSequence: Sendable {
  let pieces: [[UInt8]]

  private static let wildcards = [#"[\s\S]*?"#, #"[\S\s]*?"#, #"[\s\S]*"#, #"[\S\s]*"#]
  private static let plainCharacters = Set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<>/_-=:;,'\"@%&! ")

  /// Characters that match only themselves in an ICU pattern (outside a class).
  static func isPlain(_ character: Character) -> Bool { plainCharacters.contains(character) }

  init?(pattern: String) {
    var pieces: [[UInt8]] = []
    var rest = Substring(pattern)
    while true {
      let literal = rest.prefix(while: Self.isPlain)
      pieces.append(Array(literal.utf8))
      rest = rest.dropFirst(literal.count)
      if rest.isEmpty { break }
      guard let wildcard = Self.wildcards.first(where: { rest.hasPrefix($0) }) else { return nil }
      rest = rest.dropFirst(wildcard.count)
    }
    self.pieces = pieces
  }

  func matches(_ text: String, whole: Bool) -> Bool {
    let bytes = Array(text.utf8)
    guard whole else { return Self.endOfInOrder(pieces[...], in: bytes, from: 0) != nil }
    // ICU's `$` also matches before one line terminator that ends the text.
    return Self.lineTerminators.contains { terminator in
      bytes.count >= terminator.count && bytes[(bytes.count - terminator.count)...].elementsEqual(terminator)
        && matchesWhole(bytes, end: bytes.count - terminator.count)
    }
  }

  private static let lineTerminators: [[UInt8]] = [
    [], [0x0D, 0x0A], [0x0A], [0x0B], [0x0C], [0x0D], [0xC2, 0x85], [0xE2, 0x80, 0xA8], [0xE2, 0x80, 0xA9],
  ]

  /// Whether `bytes[..<end]` starts with the first piece, ends with the last, and holds the others
  /// in order between them.
  private func matchesWhole(_ bytes: [UInt8], end: Int) -> Bool {
    let first = pieces[0]
    guard end >= first.count, bytes[..<first.count].elementsEqual(first) else { return false }
    if pieces.count == 1 { return end == first.count }
    let last = pieces[pieces.count - 1]
    guard let position = Self.endOfInOrder(pieces.dropFirst().dropLast(), in: bytes, from: first.count) else {
      return false
    }
    return end - last.count >= position && bytes[(end - last.count)..<end].elementsEqual(last)
  }

  /// Where the earliest in-order occurrences of `pieces`, searched from `start`, end; nil if one
  /// is missing.
  private static func endOfInOrder(_ pieces: ArraySlice<[UInt8]>, in bytes: [UInt8], from start: Int) -> Int? {
    var position = start
    for piece in pieces {
      guard let found = ByteSearch.first(piece, in: bytes, from: position) else { return nil }
      position = found + piece.count
    }
    return position
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
