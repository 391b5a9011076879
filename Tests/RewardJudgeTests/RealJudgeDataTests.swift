import Foundation
import RewardCore
import RewardEngine
import RewardTestSupport
import Testing

@testable import RewardJudge

/// Real judge texts and prompts from ../shared/data/judge.
@Suite struct RealJudgeDataTests {
  static let judged = "data/judge/judgebench-claude-3-5-sonnet-judged-arena-hard-claude-3-haiku.jsonl"

  @Test func storedArenaHardJudgmentsScoreJudgeBenchs32_22() throws {
    let pairs = try JudgeBenchReader.read(path: SharedData.path(Self.judged))
    #expect(pairs.count == 270)
    let audit = StoredJudgmentAudit.run(pairs)
    #expect(audit.trials == 540)
    #expect(audit.stored.overall.correct == 87)
    #expect(String(format: "%.2f", 100 * audit.stored.overall.accuracy) == "32.22")
    #expect(audit.storedUndecided == 13)
    // Our strict Arena-Hard parser reads every stored reply as JudgeBench did.
    #expect(audit.disagreements == 0, "\(audit.examples)")
    #expect(audit.reparsed.overall.correct == 87)
    #expect(audit.stored.byCategory.map(\.name) == ["coding", "knowledge", "math", "reasoning"])
    #expect(audit.stored.byCategory.map(\.pairs).reduce(0, +) == 270)
  }

  @Test func theLastPolicyDecidesSomeRepliesJudgeBenchLeftUndecided() throws {
    let pairs = try JudgeBenchReader.read(path: SharedData.path(Self.judged))
    let audit = StoredJudgmentAudit.run(pairs, policy: .last)
    // The 13 replies with conflicting labels get their last label; nothing else changes.
    #expect(audit.disagreements == 13)
    #expect(audit.reparsedUnparseable == 0)
    // Reading those 13 by their last label happens not to change the score; by the first, it drops.
    #expect(audit.reparsed.overall.correct == 87)
    #expect(StoredJudgmentAudit.run(pairs, policy: .first).reparsed.overall.correct == 85)
  }

  @Test func theArenaHardPromptIsRecoveredFromTheJudgedFileAndReproducesEveryTrial() throws {
    let pairs = try JudgeBenchReader.read(path: SharedData.path(Self.judged))
    let first = pairs[0]
    let template = try PublishedTemplates.recovered(
      prompt: first.storedTrials[0].prompt!, question: first.question, answerA: first.responseA,
      answerB: first.responseB, name: "arena-hard-judgebench")
    #expect(template.variables == ["question", "answer_a", "answer_b"])
    #expect(template.user.hasPrefix("<|User Prompt|>\n{question}"))
    for pair in pairs {
      for (index, trial) in pair.storedTrials.enumerated() {
        let (a, b) = index == 0 ? (pair.responseA, pair.responseB) : (pair.responseB, pair.responseA)
        let rendered = try template.render(["question": pair.question, "answer_a": a, "answer_b": b])
        #expect(rendered.last?.content == trial.prompt, "\(pair.pairID) trial \(index + 1)")
      }
    }
  }

  @Test func mtBenchPublishedPromptsLoadAndRender() throws {
    let file = SharedData.path("data/judge/mt-bench-judge-prompts.jsonl")
    let pair = try PublishedTemplates.mtBench(file: file, name: "pair-v2")
    #expect(pair.syntax == .python)
    #expect(pair.variables == ["question", "answer_a", "answer_b"])
    let messages = try pair.render(["question": "What is 2+2? {braces}", "answer_a": "4", "answer_b": "5"])
    #expect(messages.count == 2)
    #expect(messages[0].role == "system" && messages[0].content.contains("\"[[C]]\" for a tie"))
    #expect(messages[1].content.contains("[User Question]\nWhat is 2+2? {braces}\n"))
    let math = try PublishedTemplates.mtBench(file: file, name: "single-math-v1")
    #expect(math.variables == ["question", "answer", "reference"])
    #expect(throws: JudgeConfigurationError.self) { try PublishedTemplates.mtBench(file: file, name: "pair-v3") }
    // A multi-turn prompt reads {question_1}: this mode cannot supply it, and loading says so.
    let multi = try PublishedTemplates.mtBench(file: file, name: "single-v1-multi-turn")
    #expect(throws: JudgeConfigurationError.self) {
      try multi.validate(provided: PointwiseJudge.providedVariables, required: ["answer"], field: "template")
    }
  }

  @Test func mtBenchRubricEchoInItsOwnWordingIsNotTakenForTheVerdict() throws {
    let file = SharedData.path("data/judge/mt-bench-judge-prompts.jsonl")
    let pair = try PublishedTemplates.mtBench(file: file, name: "pair-v2")
    let reply =
      "Assistant B is more accurate. My verdict: [[B]]\nI was asked to output \"[[A]]\" if assistant A is better, "
      + "\"[[B]]\" if assistant B is better, and \"[[C]]\" for a tie."
    #expect(try VerdictParser.pair(reply, format: .mtBench, instructions: [pair.system!]).get() == .bBetter)
  }
}

/// A live judge on the real JudgeBench pairs, with a scripted engine standing in for the model.
@Suite struct JudgeBenchRunTests {
  @Test func aJudgeThatKnowsTheLabelsScores100AndAPositionBiasedOneScores0() async throws {
    let pairs = Array(
      try JudgeBenchReader.read(path: SharedData.path("data/judge/judgebench-claude-3-5-sonnet.jsonl")).prefix(40))
    // The oracle finds the pair it was shown and which shown answer is the labelled-correct one.
    let oracle = ScriptedEngine { request, _ in
      let shown = request.shown
      let pair = pairs.first { shown.contains($0.responseA) && shown.contains($0.responseB) }!
      let correct = pair.label == .aBetter ? pair.responseA : pair.responseB
      let a = shown.range(of: "[Answer A]\n")!.upperBound
      return ChatResponse(text: shown[a...].hasPrefix(correct) ? "[[A>B]]" : "[[B>A]]")
    }
    let template = try BuiltinTemplates.named("arena-hard")
    let report = try await JudgeBenchRun.run(
      pairs, judge: PairwiseJudge(name: "oracle", engine: oracle, template: template, format: .arenaHard))
    #expect(report.overall.correct == 40)
    let biased = PairwiseJudge(
      name: "biased", engine: ScriptedEngine(texts: ["[[A>>B]]"]), template: template, format: .arenaHard)
    let biasedReport = try await JudgeBenchRun.run(pairs, judge: biased)
    #expect(biasedReport.overall.correct == 0)  // +1 and −1 cancel on every pair
    #expect(biased.ledger.summary.firstPositionWinRate == 1)
    #expect(biased.ledger.summary.consistencyRate == 0)
  }

  @Test func badJudgeBenchRecordsNameLineAndField() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("jb-\(UUID().uuidString).jsonl").path
    try
      "{\"pair_id\": \"1\", \"source\": \"x\", \"question\": \"q\", \"response_A\": \"a\", \"response_B\": \"b\", \"label\": \"A>B\"}\n{\"pair_id\": \"2\", \"source\": \"x\", \"question\": \"q\", \"response_A\": \"a\", \"response_B\": \"b\", \"label\": \"A=B\"}\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    do {
      _ = try JudgeBenchReader.read(path: path)
      Issue.record("expected an error")
    } catch let error as InputError {
      #expect(error.location.line == 2)
      #expect(error.location.field == "label")
      #expect(error.message.contains("expected A>B or B>A, found 'A=B'"))
    }
  }
}
