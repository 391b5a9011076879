import Foundation
import RewardCore
import Testing

@testable import RewardRules

struct ToolCallTests {
  /// BFCL gold `ground_truth` rendered as the call a model would write: the first acceptable value
  /// of each parameter, optional ones (first value "") left out.
  static func render(_ gold: [BFCLChecker.GoldCall]) -> [ToolCall] {
    gold.map { call in
      var arguments = JSONObject()
      for (parameter, values) in call.acceptable {
        guard let value = values.first(where: { $0 != .string("") }), values.first != .string("") else { continue }
        arguments[parameter] = renderValue(value)
      }
      return ToolCall(name: call.name, arguments: arguments)
    }
  }

  /// Nested dictionaries in BFCL gold list acceptable values per key too.
  static func renderValue(_ value: JSONValue) -> JSONValue {
    if let items = value.arrayValue { return .array(items.map(renderValue)) }
    guard let object = value.objectValue else { return value }
    var rendered = JSONObject()
    for entry in object.entries {
      let options = entry.value.arrayValue ?? [entry.value]
      guard let first = options.first, first != .string("") else { continue }
      rendered[entry.key] = renderValue(first)
    }
    return .object(rendered)
  }

  static func response(_ calls: [ToolCall]) -> String {
    "<think>I will call the tools.</think>\n<tool_call>\n"
      + calls.map { $0.json.jsonText }.joined(separator: "\n") + "\n</tool_call>"
  }

  @Test(
    .enabled(if: SharedData.exists("data/tools")),
    arguments: ["simple_python", "multiple", "parallel"])
  func bfclGoldCallsPassAndMutationsFailAsExpected(category: String) throws {
    let checker = BFCLChecker()
    let answers = try SharedData.jsonLines("data/tools/bfcl-v4-\(category)-answers.jsonl")
    var problems: [String] = []
    var mutationsChecked = 0
    for answer in answers {
      let id = answer["id"]!.stringValue!
      let gold = BFCLChecker.goldCalls(answer["ground_truth"]!)!
      var calls = Self.render(gold)
      // Through the whole path: response text → parser → checker, via metadata ground_truth.
      let candidate = Candidate(
        prompt: [], response: Self.response(calls.reversed()),
        metadata: JSONObject([("ground_truth", answer["ground_truth"]!)]))
      if checker.evaluate(candidate) != .score(1) { problems.append("\(id): gold rejected") }

      let name = calls[0].name
      var renamed = calls
      renamed[0].name = name + "_v2"
      if case .wrongFunction = checker.check(renamed[0], against: gold[0]) {
      } else {
        problems.append("\(id): wrong name accepted")
      }
      var extra = calls[0]
      extra.arguments["unexpected_flag"] = true
      if checker.check(extra, against: gold[0]) != .unexpectedParameter(function: name, parameter: "unexpected_flag") {
        problems.append("\(id): extra parameter accepted")
      }
      if let required = gold[0].acceptable.first(where: { !$0.values.contains(.string("")) }) {
        var missing = calls[0]
        missing.arguments[required.parameter] = nil
        if checker.check(missing, against: gold[0]) != .missingParameter(function: name, parameter: required.parameter)
        {
          problems.append("\(id): missing \(required.parameter) accepted")
        }
      }
      let acceptable = Dictionary(uniqueKeysWithValues: gold[0].acceptable.map { ($0.parameter, $0.values) })
      let mutable = calls[0].arguments.entries.first { entry in
        guard let mutated = Self.mutate(entry.value) else { return false }
        return !acceptable[entry.key]!.contains { BFCLChecker.matches(mutated, $0) }
      }
      if let (parameter, value) = mutable {
        calls[0].arguments[parameter] = Self.mutate(value)!
        if checker.check(calls[0], against: gold[0]) != .wrongValue(function: name, parameter: parameter) {
          problems.append("\(id): wrong value for \(parameter) accepted")
        }
        mutationsChecked += 1
      }
      if gold.count > 1, checker.check(predicted: Array(calls.dropLast()), gold: gold) == nil {
        problems.append("\(id): a missing parallel call accepted")
      }
    }
    #expect(answers.count >= 200)
    #expect(mutationsChecked > answers.count / 2)
    #expect(problems.isEmpty, "\(problems.count): \(problems.prefix(10))")
  }

  /// A value of the same type that no acceptable value equals.
  static func mutate(_ value: JSONValue) -> JSONValue? {
    switch value {
    case .int(let i): .int(i + 7919)
    case .double(let d): .double(d * 3 + 1.5)
    case .string(let s): .string(s + " zzqx")
    case .bool(let b): .bool(!b)
    default: nil
    }
  }

  /// BFCL's prompt format, Python call syntax, rendered from a call.
  static func python(_ calls: [ToolCall]) -> String {
    func literal(_ value: JSONValue) -> String {
      switch value {
      case .bool(let b): b ? "True" : "False"
      case .null: "None"
      case .array(let items): "[" + items.map(literal).joined(separator: ", ") + "]"
      case .object(let object):
        "{"
          + object.entries.map { "\(JSONValue.string($0.key).jsonText): \(literal($0.value))" }.joined(separator: ", ")
          + "}"
      default: value.jsonText
      }
    }
    return "["
      + calls.map { call in
        call.name + "(" + call.arguments.entries.map { "\($0.key)=\(literal($0.value))" }.joined(separator: ", ") + ")"
      }.joined(separator: ", ") + "]"
  }

  @Test(.enabled(if: SharedData.exists("data/tools")), arguments: ["simple_python", "multiple", "parallel"])
  func bfclGoldCallsInPythonSyntaxPass(category: String) throws {
    let answers = try SharedData.jsonLines("data/tools/bfcl-v4-\(category)-answers.jsonl")
    var problems: [String] = []
    for answer in answers {
      let calls = Self.render(BFCLChecker.goldCalls(answer["ground_truth"]!)!)
      let candidate = Candidate(
        prompt: [], response: Self.python(calls), metadata: JSONObject([("ground_truth", answer["ground_truth"]!)]))
      if BFCLChecker().evaluate(candidate) != .score(1) { problems.append("\(answer["id"]!): \(Self.python(calls))") }
    }
    #expect(problems.isEmpty, "\(problems.count): \(problems.prefix(5))")
  }

  @Test func pythonCallSyntax() {
    let calls = PythonCallParser.parse(
      #"[math.factorial(number=5), f(s='it\'s', xs=[1, 2.5, -3], d={"k": (1, 2)}, flag=True, none=None)]"#)
    #expect(calls?.count == 2)
    #expect(calls?[0] == ToolCall(name: "math.factorial", arguments: JSONObject([("number", 5)])))
    #expect(calls?[1].arguments["s"] == "it's")
    #expect(calls?[1].arguments["xs"] == [1, 2.5, -3])
    #expect(calls?[1].arguments["d"] == ["k": [1, 2]])
    #expect(calls?[1].arguments["flag"] == true)
    #expect(calls?[1].arguments["none"] == .null)
    #expect(PythonCallParser.parse("f(1, 2)") == nil)  // positional arguments are not BFCL's format
    #expect(PythonCallParser.parse("f(a=" + String(repeating: "[", count: 10_000)) == nil)
    #expect(ToolCallParser.parse("I cannot help with that.") == [])
  }

  @Test func bfclValueRulesAreTypeAware() {
    #expect(BFCLChecker.matches(.int(5), .double(5)))
    #expect(!BFCLChecker.matches(.double(5.5), .int(5)))
    #expect(!BFCLChecker.matches(.string("5"), .int(5)))
    #expect(BFCLChecker.matches(.string("New York, NY"), .string("new york ny")))
    #expect(!BFCLChecker.matches(.array([1, 2]), .array([2, 1])))
  }

  @Test(.enabled(if: SharedData.exists("data/tools/toolrl-rlla-sft.json")))
  func toolRLGoldOutputsScoreMaximumAndMutationsLoseCorrectness() throws {
    let data = try String(contentsOf: SharedData.url("data/tools/toolrl-rlla-sft.json"), encoding: .utf8)
    let items = try JSONParser.parse(data).arrayValue!
    let reward = ToolRLReward()
    var problems: [String] = []
    var withCalls = 0
    for (index, item) in items.enumerated() {
      let gold = item.objectValue!["output"]!.stringValue!
      let own = reward.score(response: gold, gold: gold)
      // As in ToolRL's code, each tag must occur exactly once: golds whose <think> quotes a tag fail.
      let tagsOnce = ["<tool_call>", "<response>"].allSatisfy { gold.components(separatedBy: $0).count <= 2 }
      if own.format != (tagsOnce ? 1 : 0) { problems.append("\(index): gold format \(own.format)") }
      guard gold.contains("<tool_call>"), let calls = ToolCallParser.parse(gold), !calls.isEmpty else { continue }
      withCalls += 1
      if own.correctness != 3 { problems.append("\(index): gold correctness \(own.correctness)") }
      var renamed = calls
      renamed[0].name += "_other"
      let wrongName = reward.correctnessScore(predicted: renamed, gold: calls)
      if !(wrongName < 3) { problems.append("\(index): renamed call scored \(wrongName)") }
      if let key = calls[0].arguments.keys.first {
        var changed = calls
        changed[0].arguments[key] = .string("zz-not-the-value")
        let score = reward.correctnessScore(predicted: changed, gold: calls)
        // Exactly one value point lost out of S_max = 1 + Σ(1 + |params|).
        let maximum = 1 + calls.reduce(0.0) { $0 + 1 + Double($1.arguments.entries.count) }
        if calls.count == Set(calls.map(\.name)).count, abs(score - (3 - 6 / maximum)) > 1e-9 {
          problems.append("\(index): changed value scored \(score), expected \(3 - 6 / maximum)")
        }
      }
      let broken = gold.replacingOccurrences(of: "</tool_call>", with: "")
      if reward.score(response: broken, gold: gold) != .init(format: 0, correctness: -3) {
        problems.append("\(index): unclosed tool_call not penalised")
      }
    }
    #expect(withCalls > 100)
    #expect(problems.isEmpty, "\(problems.count): \(problems.prefix(10))")
  }

  @Test func toolRLAcceptsStructuredGold() {
    let response =
      "<think>look it up</think>\n<tool_call>\n{\"name\": \"search\", \"parameters\": {\"q\": \"cats\"}}\n</tool_call>"
    let calls: JSONValue = [["name": "search", "parameters": ["q": "cats"]]]
    let fromMetadata = Candidate(prompt: [], response: response, metadata: JSONObject([("ground_truth", calls)]))
    let fromReference = Candidate(prompt: [], response: response, reference: calls.jsonText)
    #expect(ToolRLReward().evaluate(fromMetadata) == .score(4))
    #expect(ToolRLReward().evaluate(fromReference) == .score(4))
    #expect(
      ToolRLReward(part: .correctness).evaluate(Candidate(prompt: [], response: "no call", reference: calls.jsonText))
        == .score(-3))
    #expect(
      ToolRLReward().evaluate(Candidate(prompt: [], response: response)) == .notApplicable("no gold tool-call answer"))
  }

  @Test func toolRLPartialCreditFollowsThePaper() {
    let gold = [ToolCall(name: "search", arguments: JSONObject([("q", "cats"), ("n", 3)]))]
    // Name matches (1), parameter names match (1), one of two values (1): 3 of S_max = 1 + 1 + 2 = 4.
    let predicted = [ToolCall(name: "search", arguments: JSONObject([("q", "cats"), ("n", 5)]))]
    #expect(abs(ToolRLReward().correctnessScore(predicted: predicted, gold: gold) - (6 * 3 / 4 - 3)) < 1e-12)
    #expect(ToolRLReward().correctnessScore(predicted: [], gold: gold) == -3)
  }
}
