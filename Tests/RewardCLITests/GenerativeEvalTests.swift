import Foundation
import RewardCore
import RewardData
import RewardEngine
import RewardEval
import RewardJudge
import RewardTestSupport
import Testing

@testable import RewardCLI

/// A deterministic engine for judge protocols: it reads the answer(s) out of the rendered prompt
/// and replies by a fixed rule, so the expected scores follow from the data.
final class RuleEngine: ChatEngine, @unchecked Sendable {
  let modelName = "rule"
  let reply: @Sendable (String) -> String
  init(_ reply: @escaping @Sendable (String) -> String) { self.reply = reply }

  func chat(_ request: ChatRequest) async throws -> ChatResponse {
    let shown = request.messages.last { $0.role == "user" }?.content ?? ""
    return ChatResponse(text: reply(shown), usage: TokenUsage(promptTokens: shown.utf8.count / 4, completionTokens: 3))
  }

  /// The text between `start` and `end` markers of the built-in templates.
  static func between(_ text: String, _ start: String, _ end: String) -> String? {
    guard let from = text.range(of: start), let to = text.range(of: end, range: from.upperBound..<text.endIndex) else {
      return nil
    }
    return String(text[from.upperBound..<to.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

@Suite struct GenerativeEvalTests {
  static let llmbar = "data/preference/llmbar-natural.json"

  func judge(_ keys: JSONValue, engine: RuleEngine) throws -> LoadedJudge {
    var object = keys.objectValue!
    object["engine"] = ["base_url": "http://127.0.0.1:1/v1", "model": "rule"]
    return try JudgeConfiguration.build(object, file: nil, prefix: "", engineFactory: { _, _ in engine })
  }

  func llmbarDataset() throws -> PreferenceDataset {
    try PreferenceReader.read([SharedData.path(Self.llmbar)])
  }

  func evaluate(_ judge: LoadedJudge, _ dataset: PreferenceDataset, limit: Int? = nil) async throws -> ModelEvaluation {
    try await GenerativeBenchEval.evaluate(
      judge, name: "judge.yaml", dataset: dataset, skipInvalid: false, limit: limit, terminal: Terminal(quiet: true))
  }

  @Test func aPairwiseJudgeIsScoredByRewardBenchV1OnRealLLMBarPairs() async throws {
    let dataset = try llmbarDataset()
    let chosen = Set(dataset.pairs.map { $0.chosen.trimmingCharacters(in: .whitespacesAndNewlines) })
    #expect(chosen.count > 90)
    // Knows the answer: picks whichever shown answer is the chosen one.
    let oracle = RuleEngine { shown in
      let a = RuleEngine.between(shown, "[Answer A]", "[End of answer A]") ?? ""
      return chosen.contains(a) ? "[[A]]" : "[[B]]"
    }
    let keys: JSONValue = ["mode": "pairwise", "template": "builtin:pairwise", "order": "both", "retries": 0]
    let perfect = try await evaluate(judge(keys, engine: oracle), dataset)
    let g = try #require(perfect.generative)
    #expect(g.rule == "rewardbench-v1-pairwise")
    #expect(g.items == 100 && g.score == 1 && g.outcomes[.win] == 100)
    #expect(g.judge?.consistencyRate == 1 && g.judge?.bothOrderPairs == 100)
    // Both orders, so the chosen answer is shown first in exactly half the decisive trials.
    #expect(g.judge?.firstPositionWinRate == 0.5 && g.judge?.decisiveTrials == 200)
    #expect(g.judge?.calls == 200 && g.judge?.unparseable == 0)

    // Always "the first one": both orders disagree, MT-Bench consistency makes each a tie (½).
    let biased = try await evaluate(judge(keys, engine: RuleEngine { _ in "[[A]]" }), dataset, limit: 40)
    let b = try #require(biased.generative)
    #expect(b.items == 40 && b.score == 0.5 && b.outcomes[.tie] == 40)
    #expect(b.judge?.consistencyRate == 0 && b.judge?.firstPositionWinRate == 1)

    // Never a verdict: every pair is an error worth ½, and counted as unparseable, not as a loss.
    let mute = try await evaluate(judge(keys, engine: RuleEngine { _ in "Both are fine." }), dataset, limit: 10)
    let m = try #require(mute.generative)
    #expect(m.score == 0.5 && m.outcomes[.error] == 10 && m.judge?.parseFailureRate == 1)
  }

  @Test func rewardBenchSubsetsGiveSections() async throws {
    var dataset = try llmbarDataset()
    dataset.pairs = dataset.pairs.prefix(20).map { pair in
      var copy = pair
      copy.subset = "llmbar-natural"
      return copy
    }
    let keys: JSONValue = ["mode": "pairwise", "template": "builtin:pairwise", "order": "fixed"]
    let result = try await evaluate(judge(keys, engine: RuleEngine { _ in "[[A]]" }), dataset)
    // Chosen is always shown first here, so a judge that always says A wins every pair.
    #expect(result.generative?.score == 1)
    #expect(result.rewardBench?.sections.map(\.name) == ["Chat Hard"])
    #expect(result.rewardBench?.sections.first?.score == 1)
    let json = ReportJSON.encode(result).objectValue?["generative"]?.objectValue
    #expect(json?["rule"]?.stringValue == "rewardbench-v1-pairwise")
    #expect(json?["judge"]?.objectValue?["first_position_win_rate"] == .double(1))
    let table = ReportTable.render(SuiteReport(title: "t", dataFiles: [], models: [result]))
    #expect(table.contains("rewardbench-v1-pairwise") && table.contains("20/0/0/0"))
    let html = ReportHTML.render(SuiteReport(title: "t", dataFiles: [], models: [result]))
    #expect(html.contains("<h2>Generative judge (RewardBench rules)</h2>") && html.contains("rewardbench-v1-pairwise"))
  }

  /// RewardBench 2 groups from real GSM8K problems: one correct and three incorrect solutions.
  func gsm8kGroups(count: Int) throws -> [ResponseGroup] {
    let labeled = try GSM8KGroups.read(SharedData.path("data/math/gsm8k-test.jsonl"), limit: 12, seed: 0)
    let groups = labeled.compactMap { group -> ResponseGroup? in
      let right = zip(group.responses, group.correct).filter(\.1).map(\.0)
      let wrong = zip(group.responses, group.correct).filter { !$0.1 }.map(\.0)
      guard let first = right.first, wrong.count >= 3 else { return nil }
      return ResponseGroup(
        prompt: group.prompt, chosen: [first], rejected: Array(wrong.prefix(3)), subset: "Math", id: group.id,
        source: SourceLocation(file: "gsm8k-test.jsonl"))
    }
    #expect(groups.count >= count)
    return Array(groups.prefix(count))
  }

  @Test func ratingsBestOfFourFollowsRewardBench2sGenerativeRules() async throws {
    let groups = try gsm8kGroups(count: 8)
    // Keyed by question and answer: some wrong solutions are other problems' right ones.
    @Sendable func key(_ question: String, _ answer: String) -> String {
      question.trimmingCharacters(in: .whitespacesAndNewlines) + "\u{0}"
        + answer.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let correct = Set(groups.map { key($0.prompt.last!.content, $0.chosen[0]) })
    let wrongTop = Set(groups.map { key($0.prompt.last!.content, $0.rejected[0]) })
    let dataset = PreferenceDataset(groups: groups)
    let keys: JSONValue = ["mode": "pointwise", "template": "builtin:pointwise", "retries": 0]
    let answer: @Sendable (String) -> String = { shown in
      key(
        RuleEngine.between(shown, "[Question]", "[Answer]") ?? "",
        RuleEngine.between(shown, "[Answer]", "[End of answer]") ?? "")
    }

    let oracle = RuleEngine { correct.contains(answer($0)) ? "Rating: [[9]]" : "Rating: [[3]]" }
    let perfect = try await evaluate(judge(keys, engine: oracle), dataset)
    #expect(perfect.generative?.rule == "rewardbench2-ratings")
    #expect(perfect.generative?.score == 1 && perfect.rewardBench2?.overall == 1)
    #expect(perfect.generative?.judge?.calls == 32)  // four independent ratings per prompt

    // The same rating for all four: the top is shared four ways, ¼ each.
    let flat = try await evaluate(judge(keys, engine: RuleEngine { _ in "Rating: [[5]]" }), dataset)
    #expect(flat.generative?.score == 0.25 && flat.generative?.outcomes[.tie] == 8)

    // The correct one tied with one wrong one at the top: ½.
    let pair = RuleEngine {
      let a = answer($0)
      return correct.contains(a) || wrongTop.contains(a) ? "Rating: [[8]]" : "Rating: [[2]]"
    }
    #expect(try await evaluate(judge(keys, engine: pair), dataset).generative?.score == 0.5)

    // The correct one unreadable, others rated: it cannot be on top, 0. All unreadable: error, ¼.
    let hidden = RuleEngine { correct.contains(answer($0)) ? "no idea" : "Rating: [[4]]" }
    let h = try await evaluate(judge(keys, engine: hidden), dataset)
    #expect(h.generative?.score == 0 && h.generative?.judge?.unparseable == 8)
    let none = try await evaluate(judge(keys, engine: RuleEngine { _ in "no idea" }), dataset)
    #expect(none.generative?.score == 0.25 && none.generative?.outcomes[.error] == 8)
  }

  @Test func aPairwiseJudgeOnRewardBench2GroupsIsRejectedClearly() async throws {
    let dataset = PreferenceDataset(groups: try gsm8kGroups(count: 1))
    let keys: JSONValue = ["mode": "pairwise", "template": "builtin:pairwise"]
    await #expect {
      try await evaluate(judge(keys, engine: RuleEngine { _ in "[[A]]" }), dataset)
    } throws: { "\($0)".contains("pointwise") }
  }
}
