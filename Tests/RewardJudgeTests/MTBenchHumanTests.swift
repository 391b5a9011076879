import Foundation
import RewardCore
import RewardEngine
import RewardTestSupport
import Testing

@testable import RewardJudge

/// MT-Bench human agreement. The shared data has MT-Bench's questions and GPT-4 reference answers
/// but not the expert votes (lmsys/mt_bench_human_judgments), so the votes here are written for
/// the test in FastChat's format, on the real questions and answers; the expected rates are worked
/// out by hand from FastChat's `compute_agreement.py` rules.
@Suite struct MTBenchHumanTests {
  /// Real MT-Bench questions with GPT-4's reference answers (as model "gpt-4") against a
  /// one-line model ("llama-13b").
  func votesFile(jsonLines: Bool = false) throws -> String {
    let questions = try SharedData.jsonLines("data/judge/mt-bench-questions.jsonl")
    let answers = try SharedData.jsonLines("data/judge/mt-bench-reference-answers-gpt-4.jsonl").prefix(3)
    func conversation(_ id: Int64, strong: Bool) -> JSONValue {
      let turns = questions.first { $0["question_id"] == .int(id) }!["turns"]!.arrayValue!
      let reference = answers.first { $0["question_id"] == .int(id) }!["choices"]!.arrayValue![0].objectValue!["turns"]!
      let replies = strong ? reference.arrayValue! : [.string("I don't know."), .string("Still no idea.")]
      return [
        ["role": "user", "content": turns[0]], ["role": "assistant", "content": replies[0]],
        ["role": "user", "content": turns[1]], ["role": "assistant", "content": replies[1]],
      ]
    }
    let ids = answers.map { answer -> Int64 in
      guard case .int(let id) = answer["question_id"]! else { return -1 }
      return id
    }
    func vote(_ q: Int, turn: Int, gpt4First: Bool, winner: String, judge: JSONValue = "expert_0") -> JSONValue {
      let id = ids[q]
      return [
        "question_id": .int(id), "model_a": .string(gpt4First ? "gpt-4" : "llama-13b"),
        "model_b": .string(gpt4First ? "llama-13b" : "gpt-4"), "winner": .string(winner), "judge": judge,
        "conversation_a": conversation(id, strong: gpt4First), "conversation_b": conversation(id, strong: !gpt4First),
        "turn": .int(Int64(turn)),
      ]
    }
    let votes: [JSONValue] = [
      vote(0, turn: 1, gpt4First: true, winner: "model_a"),  // gpt-4
      vote(0, turn: 1, gpt4First: false, winner: "model_b", judge: "expert_1"),  // gpt-4, listed second
      vote(0, turn: 2, gpt4First: true, winner: "tie"),
      vote(1, turn: 1, gpt4First: true, winner: "model_b"),  // llama-13b
      vote(2, turn: 1, gpt4First: false, winner: "tie (bothbad)"),
      vote(2, turn: 1, gpt4First: true, winner: "model_b", judge: "author_0"),  // not an expert: left out
      vote(1, turn: 1, gpt4First: true, winner: "model_a", judge: ["gpt-4", "pair-v2"]),  // a model's vote
    ]
    let text = jsonLines ? votes.map(\.jsonText).joined(separator: "\n") : JSONValue.array(votes).jsonText
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).json").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func expertVotesAreGroupedAndOrientedAsFastChatDoes() throws {
    let votes = try MTBenchHumanReader.read(path: votesFile())
    #expect(votes.count == 7)
    // The JSON Lines export reads the same, with line numbers as locations.
    let lines = try MTBenchHumanReader.read(path: votesFile(jsonLines: true))
    func withoutSource(_ vote: MTBenchVote) -> MTBenchVote {
      var copy = vote
      copy.source = SourceLocation(file: "")
      return copy
    }
    #expect(lines.map(withoutSource) == votes.map(withoutSource))
    #expect(lines.map(\.source.line) == Array(1...7).map { Optional($0) })
    let items = MTBenchAgreement.items(votes)
    #expect(items.map(\.turn) == [1, 2, 1, 1])
    #expect(items.allSatisfy { $0.firstModel == "gpt-4" && $0.secondModel == "llama-13b" })
    #expect(items[0].humanVotes == [.a, .a])  // the second expert listed gpt-4 as model_b
    #expect(items[2].humanVotes == [.b] && items[3].humanVotes == [.tie])
    // Turn 2 shows both user turns and each model's two answers.
    #expect(items[1].pair.first.prompt[0].content.contains("Second question:"))
    #expect(items[1].pair.first.response.contains("Answer to the second question:"))
    #expect(items[1].pair.second.response.contains("Still no idea."))
  }

  func agreement(reply: @escaping @Sendable (String) -> String) async throws -> MTBenchAgreement.Report {
    let items = MTBenchAgreement.items(try MTBenchHumanReader.read(path: votesFile()))
    let engine = ScriptedEngine { request, _ in ChatResponse(text: reply(request.shown)) }
    let judge = PairwiseJudge(
      name: "j", engine: engine, template: try BuiltinTemplates.named("pairwise"),
      settings: {
        var settings = JudgeSettings()
        settings.retries = 0
        return settings
      }())
    let judgements = try await judge.judge(items.map(\.pair))
    return MTBenchAgreement.report(
      items, judge: judgements.map { MTBenchAgreement.verdict(probability: $0.probability) })
  }

  @Test func agreementWithAndWithoutTies() async throws {
    // Prefers the longer answer: gpt-4 (first) everywhere.
    let longer = try await agreement { shown in
      let a = shown.components(separatedBy: "[Answer A]").last!.components(separatedBy: "[End of answer A]")[0]
      let b = shown.components(separatedBy: "[Answer B]").last!.components(separatedBy: "[End of answer B]")[0]
      return a.count >= b.count ? "[[A]]" : "[[B]]"
    }
    // Turn 1: votes a, a, b, tie → 2 of 4; without ties the tie vote goes → 2 of 3.
    #expect(longer.withTies[0] == MTBenchAgreement.Counts(agreed: 2, total: 4))
    #expect(longer.withoutTies[0] == MTBenchAgreement.Counts(agreed: 2, total: 3))
    // Turn 2: one tie vote, the judge said A → 0 of 1; without ties nothing is left.
    #expect(longer.withTies[1] == MTBenchAgreement.Counts(agreed: 0, total: 1))
    #expect(longer.withoutTies[1].total == 0 && longer.withoutTies[1].rate.isNaN)

    // A judge that always says tie agrees only with the tie votes, and has nothing without ties.
    let tie = try await agreement { _ in "[[C]]" }
    #expect(tie.withTies[0] == MTBenchAgreement.Counts(agreed: 1, total: 4))
    #expect(tie.withTies[1] == MTBenchAgreement.Counts(agreed: 1, total: 1))
    #expect(tie.withoutTies[0].total == 0)

    // No verdict disagrees with every vote, ties included, and is counted.
    let mute = try await agreement { _ in "hmm" }
    #expect(mute.withTies[0] == MTBenchAgreement.Counts(agreed: 0, total: 4))
    #expect(mute.withoutTies[0] == MTBenchAgreement.Counts(agreed: 0, total: 3))
    #expect(mute.judgeErrors == 4)
  }

  @Test func badVotesAreLocated() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).jsonl").path
    try
      #"{"question_id": 81, "model_a": "x", "model_b": "y", "winner": "model_c", "judge": "expert_0", "turn": 1, "conversation_a": [{"role": "user", "content": "q"}], "conversation_b": [{"role": "user", "content": "q"}]}"#
      .write(toFile: path, atomically: true, encoding: .utf8)
    #expect {
      try MTBenchHumanReader.read(path: path)
    } throws: { error in
      let error = error as? InputError
      return error?.location.line == 1 && error?.location.field == "winner"
        && error?.message.contains("model_c") == true
    }
  }
}
