import Foundation
import RewardCore

/// The tool-use reward of ToolRL (Qian et al. 2025, "ToolRL: Reward is All Tool Learning Needs",
/// §3.3), as in the authors' code:
///
/// - format ∈ {0, 1}: the response has exactly the tag layout the gold answer has
///   (`<think>…</think>` then `<tool_call>…</tool_call>` and/or `<response>…</response>`);
/// - correctness ∈ [−3, 3]: name match r_name = |N_G∩N_P|/|N_G∪N_P| (multiset Jaccard), plus for
///   each gold call the best unused predicted call of the same name, scoring parameter-name Jaccard
///   plus one per parameter whose value is equal; the sum is scaled from [0, S_max] to [−3, 3] with
///   S_max = 1 + Σ_gold (1 + |params|). An exact match scores 3; an unparseable call scores −3.
///
/// Total = format + correctness ∈ [−3, 4].
public struct ToolRLReward: RewardRule {
  public enum Part: String, Sendable, CaseIterable {
    case total, format, correctness
  }

  public var part: Part
  public var maximumCorrectness: Double
  public var minimumCorrectness: Double

  public init(part: Part = .total, maximumCorrectness: Double = 3, minimumCorrectness: Double = -3) {
    self.part = part
    self.maximumCorrectness = maximumCorrectness
    self.minimumCorrectness = minimumCorrectness
  }

  public struct Score: Sendable, Equatable {
    public var format: Double
    public var correctness: Double
    public var total: Double { format + correctness }
  }

  /// `gold` is the gold response text (with its `<tool_call>` block), as in the ToolRL data.
  public func score(response: String, gold: String) -> Score {
    Score(
      format: formatScore(response: response, gold: gold), correctness: correctnessScore(response: response, gold: gold)
    )
  }

  private static func layout(_ pattern: String) -> NSRegularExpression {
    try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
  }
  private static let callOnly = layout(#"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>$"#)
  private static let callAndResponse = layout(
    #"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>\n<response>.*?</response>$"#)
  private static let responseOnly = layout(#"^<think>.*?</think>\n<response>.*?</response>$"#)
  private static let thinkOnly = layout(#"^<think>.*?</think>$"#)

  public func formatScore(response: String, gold: String) -> Double {
    func count(_ tag: String) -> Int { response.components(separatedBy: tag).count - 1 }
    let goldHasCall = gold.contains("<tool_call>")
    let goldHasResponse = gold.contains("<response>")
    let pattern: NSRegularExpression
    var singleTags: [String] = []
    switch (goldHasCall, goldHasResponse) {
    case (true, false):
      pattern = Self.callOnly
      singleTags = ["<tool_call>", "</tool_call>"]
    case (true, true):
      pattern = Self.callAndResponse
      singleTags = ["<tool_call>", "</tool_call>", "<response>", "</response>"]
    case (false, true):
      pattern = Self.responseOnly
      singleTags = ["<response>", "</response>"]
    case (false, false):
      pattern = Self.thinkOnly
    }
    guard singleTags.allSatisfy({ count($0) == 1 }) else { return 0 }
    return pattern.firstMatch(in: response, range: NSRange(response.startIndex..., in: response)) != nil ? 1 : 0
  }

  public func correctnessScore(response: String, gold: String) -> Double {
    // As in ToolRL: an item whose gold answer calls no tool gets no correctness signal.
    guard gold.contains("<tool_call>"), let goldCalls = ToolCallParser.parse(gold) else { return 0 }
    guard response.contains("<tool_call>"), response.contains("</tool_call>"),
      let predicted = ToolCallParser.parse(response)
    else { return minimumCorrectness }
    return correctnessScore(predicted: predicted, gold: goldCalls)
  }

  public func correctnessScore(predicted: [ToolCall], gold: [ToolCall]) -> Double {
    if predicted.count == gold.count && zip(predicted, gold).allSatisfy({ Self.sameCall($0, $1) }) {
      return maximumCorrectness
    }
    var score = Self.multisetJaccard(gold.map(\.name), predicted.map(\.name))
    var maximum = 1.0
    var used = Set<Int>()
    for goldCall in gold {
      maximum += 1 + Double(goldCall.arguments.entries.count)
      var best = 0.0
      var bestIndex: Int?
      for (index, call) in predicted.enumerated() where !used.contains(index) && call.name == goldCall.name {
        let names = Self.multisetJaccard(goldCall.arguments.keys, call.arguments.keys)
        let values = goldCall.arguments.entries.reduce(0.0) { sum, entry in
          guard let value = call.arguments[entry.key] else { return sum }
          return sum + (PythonEquality.equal(value, entry.value) ? 1 : 0)
        }
        if names + values > best {
          best = names + values
          bestIndex = index
        }
      }
      if let bestIndex {
        used.insert(bestIndex)
        score += best
      }
    }
    return (maximumCorrectness - minimumCorrectness) * score / maximum + minimumCorrectness
  }

  static func sameCall(_ a: ToolCall, _ b: ToolCall) -> Bool {
    a.name == b.name && PythonEquality.equal(.object(a.arguments), .object(b.arguments))
  }

  /// |A∩B| / (|A| + |B| − |A∩B|) counting repeats; 1 for two equal lists, 0 if either is empty.
  static func multisetJaccard(_ a: [String], _ b: [String]) -> Double {
    if a == b { return 1 }
    guard !a.isEmpty, !b.isEmpty else { return 0 }
    var counts: [String: Int] = [:]
    for item in a { counts[item, default: 0] += 1 }
    var intersection = 0
    for item in b where (counts[item] ?? 0) > 0 {
      counts[item]! -= 1
      intersection += 1
    }
    return Double(intersection) / Double(a.count + b.count - intersection)
  }

  /// The gold answer as ToolRL text: the reference (or `metadata["output"]`) when it is tagged text;
  /// otherwise structured calls (`metadata["ground_truth"]`, or the reference as JSON) rendered as a
  /// think + tool-call answer, so the expected layout is "reason, then call".
  public static func goldText(of candidate: Candidate) -> String? {
    let text = candidate.reference ?? candidate.metadata["output"]?.stringValue
    if let text, ["<tool_call>", "<response>", "<think>"].contains(where: text.contains) { return text }
    let structured = candidate.metadata["ground_truth"] ?? text.flatMap { try? JSONParser.parse($0) }
    guard let structured else { return text }
    let items = structured.arrayValue ?? [structured]
    let calls = items.compactMap(ToolCall.init(json:))
    guard !calls.isEmpty, calls.count == items.count else { return text }
    return "<think></think>\n<tool_call>\n" + calls.map(\.json.jsonText).joined(separator: "\n") + "\n</tool_call>"
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    guard let gold = Self.goldText(of: candidate) else { return .notApplicable("no gold tool-call answer") }
    let result = score(response: candidate.response, gold: gold)
    switch part {
    case .total: return .score(result.total)
    case .format: return .score(result.format)
    case .correctness: return .score(result.correctness)
    }
  }
}

/// Equality as Python's `==` on parsed JSON (what the reference implementations use): object key
/// order does not matter and 1 == 1.0.
enum PythonEquality {
  static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int, .double), (.double, .int), (.int, .int), (.double, .double):
      return a.doubleValue == b.doubleValue
    case (.array(let x), .array(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
    case (.object(let x), .object(let y)):
      return x.entries.count == y.entries.count
        && x.entries.allSatisfy { entry in y[entry.key].map { equal(entry.value, $0) } ?? false }
    default:
      return a == b
    }
  }
}
