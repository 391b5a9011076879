import Foundation
import RewardCore

/// Small pure functions from a judge's reply to a verdict, a score, an index or scores — or
/// `Unparseable` with the reason. They never fall back to a default.
///
/// Every parser first removes `<think>…</think>` reasoning, then finds the format's labels and
/// drops those the judge did not mean as its verdict:
/// - labels on a line (or inside a quotation) copied from a text the judge was shown — the judged
///   responses or the prompt's instructions (`quoted`) — since a response may itself contain
///   `[[B]]`;
/// - a line listing three or more different labels: that is the rubric echoed back
///   (`"[[A]]" if A is better, "[[B]]" if B is better, "[[C]]" for a tie`), not a decision.
/// The policy then picks among the rest (`last`, `first`, or `strict`: all must agree).
public enum VerdictParser {
  /// Pairwise label formats.
  public enum PairFormat: String, Sendable, CaseIterable {
    /// MT-Bench pair: `[[A]]`, `[[B]]`, `[[C]]` (tie).
    case mtBench = "mt-bench"
    /// Arena-Hard five-way: `[[A>>B]]`, `[[A>B]]`, `[[A=B]]`, `[[B>A]]`, `[[B>>A]]`.
    case arenaHard = "arena-hard"
    /// Prometheus relative grading: `[RESULT] A` or `[RESULT] B`.
    case prometheus
    /// RM-R1: `<answer>[[A]]</answer>`.
    case rmR1 = "rm-r1"
  }

  /// Pointwise score formats.
  public enum ScoreFormat: String, Sendable, CaseIterable {
    /// MT-Bench single-answer grading: `[[7]]`, `[[7.5]]`.
    case mtBench = "mt-bench"
    /// Prometheus absolute grading: `[RESULT] 4`.
    case prometheus
  }

  // MARK: Thinking

  /// The reply without `<think>…</think>` blocks. A reply whose chat template opened the block
  /// (only `</think>` appears) keeps what follows the last `</think>`; a block that never closes
  /// means the judge ran out of tokens while reasoning.
  public static func stripThinking(_ text: String) -> Result<String, Unparseable> {
    var rest = text
    while let open = rest.range(of: "<think>") {
      guard let close = rest.range(of: "</think>", range: open.upperBound..<rest.endIndex) else {
        return .failure(Unparseable("the reply ends inside <think> (reasoning not finished; raise max_tokens)"))
      }
      rest.removeSubrange(open.lowerBound..<close.upperBound)
    }
    if let close = rest.range(of: "</think>", options: .backwards) {
      rest = String(rest[close.upperBound...])
    }
    return .success(rest)
  }

  // MARK: Verdicts

  public static func pair(
    _ reply: String, format: PairFormat, policy: ParsePolicy = .last, quoted: [String] = [], instructions: [String] = []
  ) -> Result<PairVerdict, Unparseable> {
    let found: Result<String, Unparseable>
    switch format {
    case .mtBench:
      found = pickLabel(reply, pattern: #/\[\[([ABC])\]\]/#, policy: policy, quoted: quoted, instructions: instructions)
    case .arenaHard:
      found = pickLabel(
        reply, pattern: #/\[\[([AB<>=]+)\]\]/#, policy: policy, quoted: quoted, instructions: instructions)
    case .prometheus:
      found = pickLabel(
        reply, pattern: #/\[RESULT\]\s*\(?([AB])\)?(?![A-Za-z])/#, policy: policy, quoted: quoted,
        instructions: instructions)
    case .rmR1:
      found = pickLabel(
        reply, pattern: #/<answer>\s*\[\[([AB])\]\]\s*<\/answer>/#, policy: policy, quoted: quoted,
        instructions: instructions)
    }
    return found.flatMap { label in
      switch label {
      case "A": .success(.aBetter)
      case "B": .success(.bBetter)
      case "C": .success(.tie)
      default:
        PairVerdict(rawValue: label).map { .success($0) }
          ?? .failure(Unparseable("unknown verdict label [[\(label)]]"))
      }
    }
  }

  public static func score(
    _ reply: String, format: ScoreFormat, scale: ClosedRange<Double>, policy: ParsePolicy = .last,
    quoted: [String] = [], instructions: [String] = []
  ) -> Result<Double, Unparseable> {
    let found: Result<String, Unparseable>
    switch format {
    case .mtBench:
      found = pickLabel(
        reply, pattern: #/\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]/#, policy: policy, quoted: quoted, instructions: instructions)
    case .prometheus:
      found = pickLabel(
        reply, pattern: #/\[RESULT\]\s*\(?(-?\d+(?:\.\d+)?)\)?/#, policy: policy, quoted: quoted,
        instructions: instructions)
    }
    return found.flatMap { label in
      guard let value = Double(label) else { return .failure(Unparseable("score '\(label)' is not a number")) }
      guard scale.contains(value) else {
        return .failure(Unparseable("score \(label) is outside the scale \(scale.lowerBound)–\(scale.upperBound)"))
      }
      return .success(value)
    }
  }

  /// The best of `count` responses named A, B, C, … (`[[C]]`), as a zero-based index.
  public static func choice(
    _ reply: String, count: Int, policy: ParsePolicy = .last, quoted: [String] = [], instructions: [String] = []
  ) -> Result<Int, Unparseable> {
    pickLabel(reply, pattern: #/\[\[([A-Z])\]\]/#, policy: policy, quoted: quoted, instructions: instructions).flatMap {
      label in
      let index = Int(label.unicodeScalars.first!.value) - 65
      guard index < count else {
        return .failure(Unparseable("[[\(label)]] names no response (there are \(count))"))
      }
      return .success(index)
    }
  }

  /// One score per response, written as `[[6, 8, 3]]` (DeepSeek-GRM's final scores).
  public static func scoreList(
    _ reply: String, count: Int, scale: ClosedRange<Double>, policy: ParsePolicy = .last, quoted: [String] = [],
    instructions: [String] = []
  ) -> Result<[Double], Unparseable> {
    let pattern = #/\[\[\s*(-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?)*)\s*\]\]/#
    return pickLabel(reply, pattern: pattern, policy: policy, quoted: quoted, instructions: instructions).flatMap {
      label in
      let values = label.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
      guard values.count == count else {
        return .failure(Unparseable("[[\(label)]] holds \(values.count) scores for \(count) responses"))
      }
      if let outside = values.first(where: { !scale.contains($0) }) {
        return .failure(Unparseable("score \(outside) is outside the scale \(scale.lowerBound)–\(scale.upperBound)"))
      }
      return .success(values)
    }
  }

  /// RewardAnything's JSON verdict: `{"scores": {"name": 4, …}, "best-to-worst": ["name", …]}`.
  /// Every response named in `names` must be scored and ranked exactly once.
  public struct Ranking: Sendable, Equatable {
    public var scores: [Double]
    /// Indices into `names`, best first.
    public var bestToWorst: [Int]
  }

  public static func ranking(_ reply: String, names: [String]) -> Result<Ranking, Unparseable> {
    stripThinking(reply).flatMap { text in
      guard let open = text.firstIndex(of: "{") else { return .failure(Unparseable("no JSON object in the reply")) }
      guard let close = matchingBrace(in: text, from: open) else {
        return .failure(Unparseable("truncated JSON: the object opened is never closed"))
      }
      let json: JSONValue
      do throws(JSONSyntaxError) {
        json = try JSONParser.parse(String(text[open...close]))
      } catch {
        return .failure(Unparseable("invalid JSON (line \(error.line), column \(error.column): \(error.message))"))
      }
      guard let object = json.objectValue, let scoreObject = object["scores"]?.objectValue else {
        return .failure(Unparseable("the JSON has no \"scores\" object"))
      }
      guard let order = object["best-to-worst"]?.arrayValue else {
        return .failure(Unparseable("the JSON has no \"best-to-worst\" list"))
      }
      var scores: [Double] = []
      for name in names {
        guard let value = scoreObject[name]?.doubleValue, value.isFinite else {
          return .failure(Unparseable("\"scores\" has no number for \(name)"))
        }
        scores.append(value)
      }
      var ranked: [Int] = []
      for item in order {
        guard let name = item.stringValue, let index = names.firstIndex(of: name), !ranked.contains(index) else {
          return .failure(Unparseable("\"best-to-worst\" holds \(item.jsonText), not a distinct response name"))
        }
        ranked.append(index)
      }
      guard ranked.count == names.count else {
        return .failure(Unparseable("\"best-to-worst\" ranks \(ranked.count) of \(names.count) responses"))
      }
      return .success(Ranking(scores: scores, bestToWorst: ranked))
    }
  }

  /// The `}` closing the object opened at `open` (braces inside JSON strings do not count).
  static func matchingBrace(in text: String, from open: String.Index) -> String.Index? {
    var depth = 0
    var inString = false
    var escaped = false
    var index = open
    while index < text.endIndex {
      let character = text[index]
      if inString {
        if escaped {
          escaped = false
        } else if character == "\\" {
          escaped = true
        } else if character == "\"" {
          inString = false
        }
      } else if character == "\"" {
        inString = true
      } else if character == "{" {
        depth += 1
      } else if character == "}" {
        depth -= 1
        if depth == 0 { return index }
      }
      index = text.index(after: index)
    }
    return nil
  }

  // MARK: Finding labels

  struct LabelMatch {
    var label: String
    var range: Range<String.Index>
  }

  /// The label the judge meant, by policy, among those it wrote outside quotations and rubric echoes.
  static func pickLabel(
    _ reply: String, pattern: Regex<(Substring, Substring)>, policy: ParsePolicy, quoted: [String],
    instructions: [String]
  ) -> Result<String, Unparseable> {
    stripThinking(reply).flatMap { text in
      let all = text.matches(of: pattern).map { LabelMatch(label: String($0.output.1), range: $0.range) }
      guard !all.isEmpty else { return .failure(Unparseable("no verdict in the expected format")) }
      let meant = all.filter {
        !isQuotedOrEcho($0, in: text, among: all, quoted: quoted, instructions: instructions)
      }
      guard let first = meant.first, let last = meant.last else {
        return .failure(Unparseable("the only verdict labels are quoted from the prompt or the responses"))
      }
      switch policy {
      case .first: return .success(first.label)
      case .last: return .success(last.label)
      case .strict:
        var distinct: [String] = []
        for match in meant where !distinct.contains(match.label) { distinct.append(match.label) }
        guard distinct.count == 1 else {
          return .failure(Unparseable("conflicting verdicts: \(distinct.joined(separator: ", "))"))
        }
        return .success(first.label)
      }
    }
  }

  /// Characters besides the label a copied line or quotation must have before we call it a copy:
  /// a bare `[[A]]` on its own line is the judge's verdict even if a response also contains it.
  static let minimumCopiedContext = 12

  static func isQuotedOrEcho(
    _ match: LabelMatch, in text: String, among all: [LabelMatch], quoted: [String], instructions: [String]
  ) -> Bool {
    let line = lineRange(around: match.range, in: text)
    if distinctLabels(in: line, among: all) >= 3 { return true }
    let lineText = text[line].trimmingCharacters(in: .whitespaces)
    if lineText.count - match.label.count >= minimumCopiedContext, quoted.contains(where: { $0.contains(lineText) }) {
      return true
    }
    if let span = quotation(around: match.range, in: text, line: line) {
      let spanText = text[span].trimmingCharacters(in: .whitespaces)
      if spanText.count - match.label.count >= minimumCopiedContext / 2,
        quoted.contains(where: { $0.contains(spanText) })
      {
        return true
      }
    }
    // The option list echoed line by line ("A much better: [[A>>B]]" …): a run of consecutive
    // lines copied from the instructions that together name three or more labels.
    let run = instructionRun(around: line, in: text, instructions: instructions)
    return run.map { distinctLabels(in: $0, among: all) >= 3 } ?? false
  }

  static func distinctLabels(in range: Range<String.Index>, among all: [LabelMatch]) -> Int {
    Set(all.filter { range.contains($0.range.lowerBound) }.map(\.label)).count
  }

  /// The block of consecutive non-empty lines around `line` that all occur in the instructions.
  static func instructionRun(around line: Range<String.Index>, in text: String, instructions: [String])
    -> Range<String.Index>?
  {
    func copied(_ range: Range<String.Index>) -> Bool {
      let trimmed = text[range].trimmingCharacters(in: .whitespaces)
      return !trimmed.isEmpty && instructions.contains(where: { $0.contains(trimmed) })
    }
    guard copied(line) else { return nil }
    var start = line.lowerBound
    while start > text.startIndex {
      let previousEnd = text.index(before: start)
      let previous = lineRange(around: previousEnd..<previousEnd, in: text)
      guard copied(previous) else { break }
      start = previous.lowerBound
    }
    var end = line.upperBound
    while end < text.endIndex {
      let nextStart = text.index(after: end)
      let next = lineRange(around: nextStart..<nextStart, in: text)
      guard copied(next) else { break }
      end = next.upperBound
    }
    return start..<end
  }

  static func lineRange(around range: Range<String.Index>, in text: String) -> Range<String.Index> {
    let start = text[..<range.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
    let end = text[range.upperBound...].firstIndex(of: "\n") ?? text.endIndex
    return start..<end
  }

  /// The text between the quotation marks enclosing the label on its line, if any.
  static func quotation(around range: Range<String.Index>, in text: String, line: Range<String.Index>)
    -> Range<String.Index>?
  {
    let openers: [Character: Character] = ["\"": "\"", "“": "”", "`": "`"]
    let before = text[line.lowerBound..<range.lowerBound]
    guard let openIndex = before.lastIndex(where: { openers[$0] != nil }) else { return nil }
    let closer = openers[text[openIndex]]!
    let after = text[range.upperBound..<line.upperBound]
    guard let closeIndex = after.firstIndex(of: closer) else { return nil }
    return text.index(after: openIndex)..<closeIndex
  }
}
