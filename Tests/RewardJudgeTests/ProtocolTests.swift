import Foundation
import RewardCore
import RewardEngine
import Testing

@testable import RewardJudge

/// The judge protocols on a scripted engine: what is sent, how replies become rewards, and how
/// failures are reported and counted.
@Suite struct ProtocolTests {
  func template(_ name: String) throws -> JudgeTemplate { try BuiltinTemplates.named(name) }

  @Test func pointwiseParsesTheSampleAndCountsUnparseableItemsWithoutScoringThem() async throws {
    let engine = ScriptedEngine { request, _ in
      ChatResponse(text: request.shown.contains("good") ? "Fine work. Rating: [[8]]" : "I cannot decide.")
    }
    var settings = JudgeSettings()
    settings.retries = 0
    let judge = PointwiseJudge(name: "j", engine: engine, template: try template("pointwise"), settings: settings)
    let rewards = try await judge.score([candidate("Q", "a good answer"), candidate("Q", "meh")])
    #expect(rewards[0].value == 8)
    #expect(rewards[1].value.isNaN)
    #expect(rewards[1].rationale?.hasPrefix("unparseable: no verdict") == true)
    let summary = judge.ledger.summary
    #expect(summary.items == 2 && summary.unparseable == 1 && summary.calls == 2)
    #expect(summary.failures == ["item 1: unparseable: no verdict in the expected format"])
  }

  @Test func anUnparseableReplyIsRetriedWithAReminderTurn() async throws {
    let engine = ScriptedEngine(texts: ["It is decent.", "Rating: [[6]]"])
    let judge = PointwiseJudge(name: "j", engine: engine, template: try template("pointwise"))
    let rewards = try await judge.score([candidate("Q", "answer")])
    #expect(rewards[0].value == 6)
    let second = engine.requests[1].messages
    #expect(second.count == 4)  // system, user, the unreadable reply, the reminder
    #expect(second[2] == .assistant("It is decent."))
    #expect(second[3].role == "user" && second[3].content.contains("could not be read"))
    #expect(judge.ledger.summary.retries == 1 && judge.ledger.summary.unparseable == 0)
  }

  @Test func pointwiseExpectedScoreFromTopLogprobs() async throws {
    let tokens = ["Rating", ":", " [[", "7", "]]"].map { TokenLogprob(token: $0, logprob: 0) }
    var verdict = tokens
    verdict[3] = TokenLogprob(
      token: "7", logprob: log(0.5),
      top: [
        .init(token: "7", logprob: log(0.5)), .init(token: "9", logprob: log(0.25)),
        .init(token: "x", logprob: log(0.25)),
      ])
    let scripted = verdict
    let engine = ScriptedEngine { _, _ in ChatResponse(text: "Rating: [[7]]", logprobs: scripted) }
    var settings = JudgeSettings()
    settings.sampling.topLogprobs = 5
    let judge = PointwiseJudge(name: "j", engine: engine, template: try template("pointwise"), settings: settings)
    let reward = try await judge.score([candidate("Q", "A")])[0]
    // Over the score labels only: 7 with 2/3, 9 with 1/3.
    #expect(abs(reward.value - (7 * 2.0 / 3 + 9 * 1.0 / 3)) < 1e-12)
    #expect(engine.requests[0].sampling.topLogprobs == 5)
  }

  @Test func pairwiseBothOrdersWithEachAggregate() async throws {
    // A judge that always prefers whatever is shown first: maximally position-biased.
    let biased = ScriptedEngine(texts: ["[[A]]"])
    let pair = CandidatePair(candidate("Q", "one"), candidate("Q", "two"))
    for (aggregate, expected) in [(PairAggregate.consistency, 0.5), (.counter, 0.5), (.mean, 0.5)] {
      let judge = PairwiseJudge(
        name: "j", engine: biased, template: try template("pairwise"), order: .both, aggregate: aggregate)
      #expect(try await judge.preferenceProbabilities([pair]) == [expected])
      let summary = judge.ledger.summary
      #expect(summary.consistencyRate == 0)
      #expect(summary.firstPositionWinRate == 1)
    }
    // A judge that recognises the better answer wherever it is shown.
    let fair = ScriptedEngine { request, _ in
      let text = request.shown
      let firstIsOne = text.range(of: "one")!.lowerBound < text.range(of: "two")!.lowerBound
      return ChatResponse(text: firstIsOne ? "[[A]]" : "[[B]]")
    }
    let judge = PairwiseJudge(
      name: "j", engine: fair, template: try template("pairwise"), order: .both, aggregate: .consistency)
    let judged = try await judge.judge([pair])[0]
    #expect(judged.probability == 1)
    #expect(judged.trials.map(\.swapped) == [false, true])
    #expect(judged.trials.allSatisfy { (try? $0.verdict.get()) == .aBetter })
    #expect(judge.ledger.summary.consistencyRate == 1)
    #expect(judge.ledger.summary.firstPositionWinRate == 0.5)
  }

  @Test func randomOrderIsSeededPerItemAndReproducible() async throws {
    let engine = ScriptedEngine(texts: ["[[A]]"])
    let pairs = (0..<40).map { CandidatePair(candidate("Q\($0)", "x\($0)"), candidate("Q\($0)", "y\($0)")) }
    var settings = JudgeSettings()
    settings.seed = 7
    let judge = PairwiseJudge(
      name: "j", engine: engine, template: try template("pairwise"), order: .random, settings: settings)
    let first = try await judge.judge(pairs).map { $0.trials[0].swapped }
    let again = try await judge.judge(Array(pairs.reversed())).map { $0.trials[0].swapped }.reversed()
    #expect(first == Array(again))
    #expect(first.contains(true) && first.contains(false))
  }

  @Test func pairProbabilityFromVerdictLogprobs() async throws {
    let tokens = [
      TokenLogprob(token: "Verdict: [[", logprob: 0),
      TokenLogprob(
        token: "A", logprob: log(0.6),
        top: [
          .init(token: "A", logprob: log(0.6)), .init(token: "B", logprob: log(0.2)),
          .init(token: "C", logprob: log(0.2)),
        ]),
      TokenLogprob(token: "]]", logprob: 0),
    ]
    let engine = ScriptedEngine { _, _ in ChatResponse(text: "Verdict: [[A]]", logprobs: tokens) }
    var settings = JudgeSettings()
    settings.sampling.topLogprobs = 3
    let judge = PairwiseJudge(name: "j", engine: engine, template: try template("pairwise"), settings: settings)
    let p = try await judge.preferenceProbabilities([CandidatePair(candidate("Q", "a"), candidate("Q", "b"))])[0]
    #expect(abs(p - 0.7) < 1e-12)  // 0.6 + ½ · 0.2 for the tie
  }

  @Test func reasoningJudgeIsStrictAndArenaHardFiveWayMapsToProbabilities() async throws {
    let engine = ScriptedEngine(texts: ["<answer>[[A]]</answer> hmm <answer>[[B]]</answer>", "<answer>[[B]]</answer>"])
    var settings = JudgeSettings()
    settings.policy = .strict
    let judge = PairwiseJudge(
      name: "r", engine: engine, template: try template("rm-r1"), format: .rmR1, settings: settings)
    #expect(
      try await judge.preferenceProbabilities([CandidatePair(candidate("Q", "a"), candidate("Q", "b"))]) == [0.25])
    #expect(judge.ledger.summary.retries == 1)
    let arena = PairwiseJudge(
      name: "a", engine: ScriptedEngine(texts: ["[[B>>A]]"]), template: try template("arena-hard"), format: .arenaHard)
    #expect(try await arena.preferenceProbabilities([CandidatePair(candidate("Q", "a"), candidate("Q", "b"))]) == [0])
  }

  @Test func aPairwiseJudgeScoresACandidateAgainstItsReferenceAsBaseline() async throws {
    let engine = ScriptedEngine { request, _ in
      let shown = request.shown
      // Prefer the answer "42" wherever it is shown; the reference must not be shown as a reference.
      #expect(!shown.contains("[Reference answer]"))
      let a = shown.range(of: "[Answer A]\n")!.upperBound
      return ChatResponse(text: shown[a...].hasPrefix("42") ? "[[A]]" : "[[B]]")
    }
    let judge = BaselinePairwiseJudge(PairwiseJudge(name: "j", engine: engine, template: try template("pairwise")))
    let rewards = try await judge.score([candidate("Q", "42", reference: "41"), candidate("Q", "40", reference: "42")])
    #expect(rewards.map(\.value) == [0.75, 0.25])
    await #expect(throws: JudgeItemError.self) { try await judge.score([candidate("Q", "42")]) }
  }

  @Test func engineErrorsArePerItemAndLocated() async throws {
    let engine = ScriptedEngine { request, _ in
      if request.shown.contains("boom") {
        throw EngineError.malformedResponse(endpoint: "http://127.0.0.1:1/v1", reason: "empty choice list")
      }
      return ChatResponse(text: "Rating: [[5]]")
    }
    let judge = PointwiseJudge(name: "j", engine: engine, template: try template("pointwise"))
    let rewards = try await judge.score([candidate("Q", "fine"), candidate("Q", "boom")])
    #expect(rewards[0].value == 5)
    #expect(rewards[1].value.isNaN)
    #expect(rewards[1].rationale?.contains("empty choice list") == true)
    #expect(judge.ledger.summary.engineErrors == 1)
  }

  @Test func listwiseShufflesNamesNeutrallyAndMapsTheChoiceBack() async throws {
    let engine = ScriptedEngine { request, _ in
      // Pick the response whose text is "right", by the letter it was shown under.
      let shown = request.shown
      let letter = ["A", "B", "C", "D"].first { shown.contains("[Response \($0)]\nright\n") }!
      return ChatResponse(text: "Best: [[\(letter)]]")
    }
    let group = ["wrong 1", "right", "wrong 2", "wrong 3"].map { candidate("Q", $0) }
    let judge = ListwiseJudge(name: "l", engine: engine, template: try template("listwise"))
    let rewards = try await judge.score(group)
    #expect(rewards.map(\.value) == [0, 1, 0, 0])
    #expect(!engine.requests[0].shown.contains("model"))
  }

  @Test func principleFollowingRanksWithRewardAnythingJSON() async throws {
    let engine = ScriptedEngine { request, _ in
      let shown = request.shown
      let short = ["A", "B"].first { shown.contains("[Response \($0)]\nshort\n") }!
      let long = short == "A" ? "B" : "A"
      return ChatResponse(
        text: "{\"scores\": {\"\(short)\": 5, \"\(long)\": 1}, \"best-to-worst\": [\"\(short)\", \"\(long)\"]}")
    }
    let judge = ListwiseJudge(
      name: "p", engine: engine, template: try template("principle"), format: .ranking,
      extras: ["principle": "Prefer brevity."])
    let rewards = try await judge.score([candidate("Q", "a much longer answer"), candidate("Q", "short")])
    #expect(rewards.map(\.value) == [1, 5])
    #expect(engine.requests[0].shown.contains("Prefer brevity."))
  }

  @Test func spctCachesPrinciplesSamplesWithSeedsAndVotes() async throws {
    let engine = ScriptedEngine { request, _ in
      if request.messages[0].content.hasPrefix("Before judging") { return ChatResponse(text: "1. Be correct.") }
      let seed = request.sampling.seed!
      return ChatResponse(text: "Critique \(seed). Final Scores: [[\(seed), \(10 - seed)]]")
    }
    var settings = JudgeSettings()
    settings.sampling.seed = 1
    let judge = SPCTJudge(
      name: "s", engine: engine, principlesTemplate: try template("spct-principles"),
      critiqueTemplate: try template("spct-critique"), samples: 3, settings: settings)
    let group = [candidate("Q", "first"), candidate("Q", "second")]
    let rewards = try await judge.score(group)
    #expect(rewards.map(\.value) == [6, 24])  // seeds 1, 2, 3: 1+2+3 and 9+8+7
    _ = try await judge.score(group)
    let principleCalls = engine.requests.filter { $0.messages[0].content.hasPrefix("Before judging") }
    #expect(principleCalls.count == 1)
    #expect(engine.requests.compactMap(\.sampling.seed).filter { $0 > 1 }.count == 4)
    #expect(engine.requests.last!.shown.contains("1. Be correct."))
  }

  @Test func spctMetaModelKeepsTheBestSamples() async throws {
    let engine = ScriptedEngine { request, _ in
      if request.messages[0].content.hasPrefix("Before judging") { return ChatResponse(text: "principles") }
      let seed = request.sampling.seed!
      return ChatResponse(text: "Critique \(seed). Final Scores: [[\(seed + 1)]]")
    }
    // A meta model preferring the critiques with the lowest seed.
    let meta = PointwiseJudge(
      name: "meta",
      engine: ScriptedEngine { request, _ in
        let seed = Int(request.shown.firstMatch(of: #/Critique (\d+)/#)!.output.1)!
        return ChatResponse(text: "Rating: [[\(10 - seed)]]")
      }, template: try template("pointwise"))
    var settings = JudgeSettings()
    settings.sampling.seed = 0
    let judge = SPCTJudge(
      name: "s", engine: engine, principlesTemplate: try template("spct-principles"),
      critiqueTemplate: try template("spct-critique"), samples: 4, metaModel: meta, keepTop: 2, settings: settings)
    let reward = try await judge.score([candidate("Q", "only")])[0]
    #expect(reward.value == 1 + 2)  // the samples with seeds 0 and 1
    #expect(reward.rationale?.contains("votes from 2 of 4 samples") == true)
  }

  @Test func toolAugmentedJudgeCallsTheCalculatorAndCheckerAndLogsThem() async throws {
    let engine = ScriptedEngine { request, call in
      switch call {
      case 0:
        return ChatResponse(
          text: "", toolCalls: [ToolCall(id: "c1", name: "calculator", arguments: "{\"expression\": \"17*23\"}")],
          finishReason: "tool_calls")
      case 1:
        #expect(request.messages.last == ChatMessage(role: "tool", content: "391", toolCallID: "c1"))
        return ChatResponse(
          text: "", toolCalls: [ToolCall(id: "c2", name: "check_answer", arguments: "{\"answer\": \"391\"}")])
      default:
        #expect(request.messages.last?.content.hasPrefix("correct") == true)
        return ChatResponse(text: "The arithmetic checks out. Rating: [[9]]")
      }
    }
    let judge = PointwiseJudge(
      name: "t", engine: engine, template: try template("tools"), tools: JudgeTools(), maxToolTurns: 3)
    let reward = try await judge.score([candidate("What is 17*23?", "It is 391.", reference: "391")])[0]
    #expect(reward.value == 9)
    #expect(reward.rationale?.contains("tool calculator({\"expression\": \"17*23\"}) → 391") == true)
    #expect(reward.rationale?.contains("tool check_answer") == true)
    #expect(engine.requests[0].tools.map(\.name) == ["calculator", "check_answer"])
  }

  @Test func toolTurnsAreBounded() async throws {
    let engine = ScriptedEngine { request, _ in
      guard !request.tools.isEmpty else { return ChatResponse(text: "Rating: [[4]]") }
      return ChatResponse(
        text: "", toolCalls: [ToolCall(id: "x", name: "calculator", arguments: "{\"expression\": \"1/0\"}")])
    }
    let judge = PointwiseJudge(
      name: "t", engine: engine, template: try template("tools"), tools: JudgeTools(), maxToolTurns: 2)
    let reward = try await judge.score([candidate("Q", "A")])[0]
    #expect(reward.value == 4)
    #expect(engine.requests.count == 3)
    #expect(engine.requests[2].tools.isEmpty)
    #expect(reward.rationale?.contains("→ error: undefined or too large") == true)
  }

  @Test func concurrencyIsBounded() async throws {
    final class Gauge: @unchecked Sendable {
      let lock = NSLock()
      var now = 0
      var peak = 0
    }
    let gauge = Gauge()
    let engine = ScriptedEngine { _, _ in ChatResponse(text: "Rating: [[5]]") }
    struct Slow: ChatEngine {
      let inner: ScriptedEngine
      let gauge: Gauge
      var modelName: String { "slow" }
      func chat(_ request: ChatRequest) async throws -> ChatResponse {
        gauge.lock.withLock {
          gauge.now += 1
          gauge.peak = max(gauge.peak, gauge.now)
        }
        try await Task.sleep(for: .milliseconds(5))
        gauge.lock.withLock { gauge.now -= 1 }
        return try await inner.chat(request)
      }
    }
    var settings = JudgeSettings()
    settings.concurrency = 3
    let judge = PointwiseJudge(
      name: "j", engine: Slow(inner: engine, gauge: gauge), template: try template("pointwise"), settings: settings)
    let rewards = try await judge.score((0..<12).map { candidate("Q\($0)", "A") })
    #expect(rewards.count == 12 && rewards.allSatisfy { $0.value == 5 })
    #expect(gauge.peak <= 3 && gauge.peak >= 2)
  }
}
