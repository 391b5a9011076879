import Foundation
import RewardCore
import RewardData
import RewardEngine
import RewardEval
import RewardSpec
import RewardTestSupport
import Testing

@testable import RewardJudge

/// Generative PRMs (issue 12): ProcessBench's critic protocol and the per-step "+/−" protocol,
/// against a deterministic scripted engine, and a smoke run on the real llama-server.
@Suite struct ProcessCriticTests {
  static func stepped(_ problem: String, _ steps: [String]) -> Candidate {
    Candidate(
      prompt: [.user(problem)], response: steps.joined(separator: "\n\n"),
      metadata: JSONObject([("steps", .array(steps.map { .string($0) }))]))
  }

  @Test func thePromptIsProcessBenchsTemplateWithTaggedParagraphs() async throws {
    let engine = ScriptedEngine(texts: ["\\boxed{-1}"])
    let critic = ProcessCriticJudge(engine: engine)
    _ = try await critic.score([Self.stepped("What is {x}?", ["First {step}.", "Second, with\ntwo lines."])])
    let request = try #require(engine.requests.first)
    #expect(request.messages.count == 1)
    #expect(request.messages[0].role == "user")
    // ProcessBench: template.format(problem=…, tagged_response=…) after .strip(); `{{}}` → `{}`;
    // values are inserted once (their own braces are not format fields).
    let expected =
      "The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):\n\n"
      + "[Math Problem]\n\nWhat is {x}?\n\n[Solution]\n\n"
      + "<paragraph_0>\nFirst {step}.\n</paragraph_0>\n\n<paragraph_1>\nSecond, with\ntwo lines.\n</paragraph_1>\n\n"
      + "Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a "
      + "paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index "
      + "of -1 (which typically denotes \"not found\").\n\nPlease put your final answer (i.e., the index) in \\boxed{}."
    #expect(request.messages[0].content == expected)
    // One greedy sample, as ProcessBench's default run: temperature 0, seed 42.
    #expect(request.sampling.temperature == 0)
    #expect(request.sampling.seed == 42)
    #expect(request.sampling.maxTokens == 8192)
  }

  @Test func theAnswerIsTheLastBoxWithoutNestedBraces() {
    let cases: [(String, String?)] = [
      ("so \\boxed{2}", "2"),
      ("first \\boxed{1}, finally \\boxed{ -1 }.", "-1"),
      ("\\boxed{\\text{3}}", "\\text{3"),  // `[^}]*` stops at the first `}`
      ("\\boxed{}", ""),
      ("no box, paragraph 2", nil),
      ("\\boxed{3", nil),
      ("\\boxed{1} then \\boxed{2", "1"),
      ("\\boxed{\\boxed{4}", "\\boxed{4"),
    ]
    for (text, expected) in cases {
      #expect(ProcessBenchAnswer.boxedAnswer(text) == expected, "\(text)")
    }
  }

  @Test func answersAreReadAsPythonReadsIntegers() {
    let cases: [(String, Int?)] = [
      ("-1", -1), ("+2", 2), ("007", 7), ("1_0", 10), ("3", 3),
      ("_1", nil), ("1__0", nil), ("1_", nil), ("2.0", nil), ("two", nil), ("- 1", nil), ("", nil),
      ("\\text{3", nil), ("1,2", nil),
    ]
    for (text, expected) in cases {
      #expect(ProcessBenchAnswer.integer(text) == expected, "\(text)")
    }
  }

  @Test func majorityIsOverAnswerStringsWithTiesToTheFirstSeen() {
    #expect(ProcessBenchAnswer.vote(["1", "2", "2"]) == 2)
    #expect(ProcessBenchAnswer.vote(["3", "1", "1", "3"]) == 3)  // tie: 3 was seen first
    #expect(ProcessBenchAnswer.vote(["2", nil, "1"]) == 2)
    #expect(ProcessBenchAnswer.vote([nil, nil, "1"]) == 1)  // samples without a box are dropped
    #expect(ProcessBenchAnswer.vote(["x", "x", "1"]) == nil)  // the winner is not an integer: no answer
    #expect(ProcessBenchAnswer.vote(["01", "1", "01"]) == 1)
    #expect(ProcessBenchAnswer.vote([nil, nil]) == nil)
    #expect(ProcessBenchAnswer.vote([]) == nil)
  }

  @Test func kSeededSamplesAreVotedAndStepsScored() async throws {
    let engine = ScriptedEngine(texts: [
      "\\boxed{1}", "I see no error: \\boxed{-1}", "Paragraph 1 is wrong. \\boxed{1}",
    ])
    var settings = ProcessCriticJudge.defaultSettings(samples: 3)
    settings.concurrency = 1
    let critic = ProcessCriticJudge(engine: engine, samples: 3, settings: settings)
    let rewards = try await critic.score([Self.stepped("P", ["a", "b", "c"])])
    let reward = try #require(rewards.first)
    #expect(reward.predictedFirstError == 1)
    #expect(reward.steps?.map(\.score) == [1, 0, 0])
    #expect(reward.steps?.map(\.start) == [0, 3, 6])
    #expect(reward.value == 0)
    #expect(reward.components.first { $0.name == "agreement" }?.value == 2.0 / 3.0)
    let requests = engine.requests
    #expect(requests.map(\.sampling.seed) == [42, 43, 44])
    #expect(requests.map(\.sampleIndex) == [0, 1, 2])
    #expect(requests.allSatisfy { $0.sampling.temperature == 1 && $0.sampling.topP == 0.9 })
  }

  @Test func noErrorScoresEveryStepOne() async throws {
    let critic = ProcessCriticJudge(engine: ScriptedEngine(texts: ["\\boxed{-1}"]))
    let reward = try #require(try await critic.score([Self.stepped("P", ["a", "b"])]).first)
    #expect(reward.predictedFirstError == -1)
    #expect(reward.steps?.map(\.score) == [1, 1])
    #expect(reward.value == 1)
  }

  @Test func anUnreadableAnswerIsCountedNeverDefaulted() async throws {
    let critic = ProcessCriticJudge(engine: ScriptedEngine(texts: ["The error is in paragraph 2."]))
    let reward = try #require(try await critic.score([Self.stepped("P", ["a", "b", "c"])]).first)
    #expect(reward.value.isNaN)
    #expect(reward.steps == nil)
    #expect(reward.predictedFirstError == nil)
    #expect(reward.rationale?.hasPrefix("unparseable") == true)
    #expect(critic.ledger.summary.unparseable == 1)
    // In ProcessBench metrics it is a miss on whichever side its label is.
    let outputs = [PRMOutput(stepScores: nil), PRMOutput(stepScores: nil)]
    let score = ProcessBenchEvaluation.score(outputs: outputs, labels: [-1, 1], threshold: 0.5)
    #expect(score.unparseable == 2)
    #expect(score.correctAccuracy == 0)
    #expect(score.erroneousAccuracy == 0)
  }

  /// Real ProcessBench GSM8K solutions through the whole evaluation path, with an engine that
  /// answers each solution's label (every fifth one unreadably): the metrics must come out exactly
  /// as counted from the labels, with the unreadable ones as misses.
  @Test func processBenchEvaluationOfACriticCountsUnreadableAnswersAsMisses() async throws {
    // Every 7th solution (the file lists erroneous ones first): 58 solutions, 28 of them correct.
    let all = try StepTraceReader().read(SharedData.path("data/process/processbench-gsm8k.json"))
    let traces = stride(from: 0, to: all.count, by: 7).map { all[$0] }
    var labelByTagged: [String: Int] = [:]
    for trace in traces { labelByTagged[ProcessCriticJudge.taggedResponse(trace.steps)] = trace.firstError ?? -1 }
    let answers = labelByTagged
    let engine = ScriptedEngine { request, _ in
      let shown = request.shown
      guard let (tagged, label) = answers.first(where: { shown.contains($0.key) }) else {
        return ChatResponse(text: "unknown")
      }
      // Unreadable for solutions whose tagged text length is a multiple of 5 (a fixed, content-based rule).
      if tagged.count % 5 == 0 { return ChatResponse(text: "I cannot tell.") }
      return ChatResponse(text: "Checking each paragraph.\n\nThe answer is \\boxed{\(label)}.")
    }
    let critic = ProcessCriticJudge(engine: engine)
    let outputs = try await ProcessBenchEvaluation.outputs(of: critic, on: traces)
    let labels = traces.map { $0.firstError ?? -1 }
    let score = ProcessBenchEvaluation.score(outputs: outputs, labels: labels, threshold: 0.5)

    let unreadable = traces.map { ProcessCriticJudge.taggedResponse($0.steps).count % 5 == 0 }
    let erroneous = labels.indices.filter { labels[$0] >= 0 }
    let correct = labels.indices.filter { labels[$0] < 0 }
    #expect(!erroneous.isEmpty && !correct.isEmpty)
    #expect(unreadable.contains(true) && unreadable.contains(false))
    #expect(score.unparseable == unreadable.filter { $0 }.count)
    #expect(score.erroneousAccuracy == Double(erroneous.filter { !unreadable[$0] }.count) / Double(erroneous.count))
    #expect(score.correctAccuracy == Double(correct.filter { !unreadable[$0] }.count) / Double(correct.count))
    #expect(critic.ledger.summary.unparseable == score.unparseable)
    #expect(critic.ledger.summary.items == traces.count)
  }
}

@Suite struct StepLogprobTests {
  /// A reply whose first token is `token` with the given top alternatives (probabilities).
  static func reply(_ token: String, _ top: [(String, Double)]) -> ChatResponse {
    ChatResponse(
      text: token,
      logprobs: [
        TokenLogprob(
          token: token, logprob: log(top.first { $0.0 == token }?.1 ?? 0.5),
          top: top.map { .init(token: $0.0, logprob: log($0.1)) })
      ])
  }

  @Test func stepRewardsArePOfPlusAtEachStep() async throws {
    let engine = ScriptedEngine { request, _ in
      // Step 2 is the wrong one; the others lean "+".
      request.shown.contains("Is Step 2 correct?")
        ? Self.reply("-", [("-", 0.6), ("+", 0.2), ("The", 0.2)])
        : Self.reply(" +", [(" +", 0.7), ("-", 0.2), ("Yes", 0.1)])
    }
    let judge = StepLogprobJudge(engine: engine)
    let candidate = ProcessCriticTests.stepped("Eggs?", ["16 - 3 = 13", "13 * 2 = 27", "So 27."])
    let reward = try #require(try await judge.score([candidate]).first)
    let scores = try #require(reward.steps?.map(\.score))
    #expect(abs(scores[0] - 0.7 / 0.9) < 1e-12)
    #expect(abs(scores[1] - 0.2 / 0.8) < 1e-12)
    #expect(abs(scores[2] - 0.7 / 0.9) < 1e-12)
    #expect(reward.value == scores.min())
    #expect(reward.steps?.map(\.end) == [11, 24, 32])
    let requests = engine.requests.sorted { $0.shown < $1.shown }
    #expect(requests.count == 3)
    // Math-Shepherd's layout: the steps so far, each `Step i: … ки`.
    let last = try #require(requests.first { $0.shown.contains("Is Step 3 correct?") })
    #expect(last.shown.contains("Step 1: 16 - 3 = 13 ки\nStep 2: 13 * 2 = 27 ки\nStep 3: So 27. ки"))
    #expect(last.messages.first?.role == "system")
    #expect(last.sampling.maxTokens == 1 && last.sampling.topLogprobs == 20 && last.sampling.temperature == 0)
    let first = try #require(requests.first { $0.shown.contains("Is Step 1 correct?") })
    #expect(!first.shown.contains("Step 2:"))
  }

  @Test func noPlusOrMinusMassIsUnparseable() async throws {
    let judge = StepLogprobJudge(engine: ScriptedEngine { _, _ in Self.reply("Yes", [("Yes", 0.9), ("No", 0.1)]) })
    let reward = try #require(try await judge.score([ProcessCriticTests.stepped("P", ["a", "b"])]).first)
    #expect(reward.value.isNaN)
    #expect(reward.steps == nil)
    #expect(reward.rationale?.contains("no '+' or '-'") == true)
    #expect(judge.ledger.summary.unparseable == 1)

    let blind = StepLogprobJudge(engine: ScriptedEngine(texts: ["+"]))
    let noLogprobs = try #require(try await blind.score([ProcessCriticTests.stepped("P", ["a"])]).first)
    #expect(noLogprobs.value.isNaN)
    #expect(noLogprobs.rationale?.contains("no log-probabilities") == true)
    #expect(blind.ledger.summary.unparseable == 1)
  }
}

@Suite struct ProcessJudgeFileTests {
  func load(_ object: JSONObject, engine: ScriptedEngine) throws -> LoadedJudge {
    try JudgeConfiguration.build(object, file: nil, prefix: "", engineFactory: { _, _ in engine })
  }

  @Test func judgeFilesNameTheProcessModes() throws {
    let engine = ScriptedEngine(texts: ["\\boxed{0}"])
    let critic = try load(
      JSONObject([("mode", "prm-critic"), ("samples", 8), ("engine", .object(JSONObject([("model", "x")])))]),
      engine: engine)
    let model = try #require(critic.model as? ProcessCriticJudge)
    #expect(model.samples == 8)
    #expect(model.settings.sampling.temperature == 1 && model.settings.sampling.topP == 0.9)
    #expect(model.template.name == "builtin:processbench-critique")

    let overridden = try load(
      JSONObject([
        ("mode", "prm-logprob"), ("aggregation", "mean"), ("splitter", "lines"),
        ("sampling", .object(JSONObject([("top_logprobs", 10)]))), ("engine", .object(JSONObject([("model", "x")]))),
      ]), engine: engine)
    let logprob = try #require(overridden.model as? StepLogprobJudge)
    #expect(logprob.aggregation == .mean)
    #expect(logprob.splitter == .lines)
    #expect(logprob.settings.sampling.topLogprobs == 10)
    #expect(logprob.settings.sampling.maxTokens == 1)

    #expect(throws: JudgeConfigurationError.self) {
      try load(
        JSONObject([("mode", "prm-critic"), ("splitter", "paragraphz"), ("engine", .object(JSONObject()))]),
        engine: engine)
    }
    do {
      _ = try load(
        JSONObject([("mode", "prm-logprob"), ("aggregation", "median"), ("engine", .object(JSONObject()))]),
        engine: engine)
      Issue.record("an unknown aggregation must fail")
    } catch let error as JudgeConfigurationError {
      #expect(error.field == "aggregation")
    }
  }

  @Test func aCriticInASpecGivesItsScalarAndUnreadableIsNotApplicable() async throws {
    let engine = ScriptedEngine { request, _ in
      ChatResponse(text: request.shown.contains("2 + 2 = 5") ? "\\boxed{1}" : "hmm")
    }
    let registry = ComponentRegistry.standard.registering(
      "judge", JudgeComponent.constructor(engineFactory: { _, _ in engine }))
    let spec = """
      name: process
      components:
        - kind: judge
          name: critic
          mode: prm-critic
          engine: {model: x}
      """
    let model = try RewardSpecLoader.load(text: spec, registry: registry)
    let rewards = try await model.score([
      ProcessCriticTests.stepped("P", ["1 + 1 = 2", "2 + 2 = 5"]), ProcessCriticTests.stepped("Q", ["fine"]),
    ])
    #expect(rewards[0].value == 0)
    #expect(rewards[1].rationale?.contains("critic: not applicable") == true)
  }
}

/// One run of each protocol against the real llama-server (SmolLM2-135M-Instruct), when
/// scripts/test.sh started it. A 135M model is no critic; this checks the wire, not the quality:
/// every item ends either with a prediction or counted as unparseable.
@Suite(.serialized) struct ProcessJudgeLlamaSmokeTests {
  static let url = ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_URL"]

  @Test(.enabled(if: url != nil, "REWARDKIT_LLAMA_URL is not set (scripts/test.sh starts llama-server)"))
  func bothProtocolsRunOnTheRealEngine() async throws {
    let engine = try OpenAIEngine(settings: OpenAIEngineSettings(baseURLs: [try #require(Self.url)], model: "smollm2"))
    let traces = Array(try StepTraceReader().read(SharedData.path("data/process/processbench-gsm8k.json")).prefix(2))
    let candidates = traces.map(ProcessBenchEvaluation.candidate)

    var settings = ProcessCriticJudge.defaultSettings(samples: 1)
    settings.sampling.maxTokens = 256
    let critic = ProcessCriticJudge(engine: engine, settings: settings)
    let verdicts = try await critic.score(candidates)
    #expect(critic.ledger.summary.items == 2)
    #expect(critic.ledger.summary.engineErrors == 0)
    let predicted = verdicts.filter { $0.predictedFirstError != nil }.count
    #expect(predicted + critic.ledger.summary.unparseable == 2)

    let stepJudge = StepLogprobJudge(engine: engine)
    let scored = try await stepJudge.score(Array(candidates.prefix(1)))
    #expect(stepJudge.ledger.summary.engineErrors == 0)
    if let steps = scored[0].steps {
      #expect(steps.count == traces[0].steps.count)
      #expect(steps.allSatisfy { $0.score >= 0 && $0.score <= 1 })
    } else {
      #expect(stepJudge.ledger.summary.unparseable == 1)
    }
  }
}
