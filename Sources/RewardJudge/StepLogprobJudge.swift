import Foundation
import RewardCore
import RewardEngine

/// The per-step "+/−" protocol as a process reward model (judge mode `prm-logprob`): for each
/// step k the model sees the problem and the solution up to step k in Math-Shepherd's layout
/// (`Step i: …` lines, each ending in the tag `ки`) and answers `+` (the last step is right) or
/// `-`. Step k's reward is P(+) = p(+) / (p(+) + p(−)), read from the top log-probabilities of
/// the first answer token (tokens compared after trimming spaces). A step whose first token puts
/// no mass on `+` or `-` in the returned alternatives (or an engine without log-probabilities)
/// makes the item unparseable: NaN reward, counted in the ledger, never a default score.
///
/// One request per step, each sharing the earlier steps' prefix, so an engine with prefix caching
/// (llama-server, vLLM) reuses the work.
public struct StepLogprobJudge: RewardModel, JudgeModel {
  public let name: String
  public let engine: any ChatEngine
  public let template: JudgeTemplate
  public let splitter: StepSplitter
  public let aggregation: StepAggregation
  public let settings: JudgeSettings
  public let ledger: JudgeLedger

  public static let providedVariables: Set<String> = ["problem", "solution", "step_number"]
  /// The tag after each step, as in Math-Shepherd's data.
  public static let stepTag = "ки"

  public init(
    name: String = "prm-logprob", engine: any ChatEngine, template: JudgeTemplate? = nil,
    splitter: StepSplitter = .blankLines, aggregation: StepAggregation = .min,
    settings: JudgeSettings = StepLogprobJudge.defaultSettings, ledger: JudgeLedger = JudgeLedger()
  ) {
    self.name = name
    self.engine = engine
    self.template = template ?? ProcessJudgeTemplates.stepLogprob
    self.splitter = splitter
    self.aggregation = aggregation
    self.settings = settings
    self.ledger = ledger
  }

  /// One greedy token with the top 20 alternatives (llama-server's and OpenAI's maximum).
  public static var defaultSettings: JudgeSettings {
    var settings = JudgeSettings()
    settings.sampling = SamplingParameters(temperature: 0, maxTokens: 1, topLogprobs: 20)
    settings.retries = 0
    return settings
  }

  public var benefitsFromBatching: Bool { true }

  /// Math-Shepherd's layout of the first `count` steps: `Step i: text ки`, one per line.
  public static func solution(_ steps: [String], count: Int) -> String {
    steps.prefix(count).enumerated().map { index, step in "Step \(index + 1): \(step) \(stepTag)" }
      .joined(separator: "\n")
  }

  /// P(+) among `+` and `-` at the first generated token; nil when neither has mass.
  public static func probabilityOfPlus(_ response: ChatResponse) -> Double? {
    guard let first = response.logprobs?.first else { return nil }
    var alternatives = first.top
    if !alternatives.contains(where: { $0.token == first.token }) {
      alternatives.append(.init(token: first.token, logprob: first.logprob))
    }
    var plus = 0.0
    var minus = 0.0
    for alternative in alternatives {
      switch alternative.token.trimmingCharacters(in: .whitespaces) {
      case "+": plus += exp(alternative.logprob)
      case "-", "−": minus += exp(alternative.logprob)
      default: continue
      }
    }
    guard plus + minus > 0 else { return nil }
    return plus / (plus + minus)
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    // Every (item, step) question is its own request: spread them all over the concurrency limit.
    let steps = candidates.map { $0.steps(splitter: splitter) }
    var questions: [(item: Int, step: Int)] = []
    for (item, itemSteps) in steps.enumerated() { questions += itemSteps.indices.map { (item, $0) } }
    let answers = try await boundedMap(questions, limit: settings.concurrency) { _, question in
      await ask(candidates[question.item], steps: steps[question.item].map(\.text), upTo: question.step)
    }
    var perItem = [[Result<Double, StepAnswerProblem>]](repeating: [], count: candidates.count)
    for (question, answer) in zip(questions, answers) { perItem[question.item].append(answer) }
    return candidates.indices.map { index in reward(index: index, steps: steps[index], answers: perItem[index]) }
  }

  func reward(index: Int, steps: [TextStep], answers: [Result<Double, StepAnswerProblem>]) -> Reward {
    var scored: [StepScore] = []
    for (k, answer) in answers.enumerated() {
      switch answer {
      case .success(let p): scored.append(StepScore(index: k, start: steps[k].start, end: steps[k].end, score: p))
      case .failure(let problem):
        ledger.recordItem(
          retries: 0, failure: "item \(index): step \(k): \(problem.message)", engineError: problem.isEngineError)
        return Reward(
          .nan, rationale: "\(problem.isEngineError ? "error" : "unparseable"): step \(k): \(problem.message)")
      }
    }
    ledger.recordItem(retries: 0, failure: nil)
    guard let value = aggregation.aggregate(scored.map(\.score)) else {
      return Reward(.nan, rationale: "unparseable: the response has no steps", steps: [])
    }
    return Reward(value, steps: scored)
  }

  /// P(+) for step `upTo` given the steps before it.
  func ask(_ candidate: Candidate, steps: [String], upTo step: Int) async -> Result<Double, StepAnswerProblem> {
    let values: [String: any Sendable] = [
      "problem": questionText(candidate.prompt), "solution": Self.solution(steps, count: step + 1),
      "step_number": String(step + 1),
    ]
    let clock = ContinuousClock()
    let started = clock.now
    do {
      let messages = try template.render(values)
      let response = try await engine.chat(ChatRequest(messages: messages, sampling: settings.sampling))
      ledger.recordCalls(1, usage: response.usage, seconds: (clock.now - started).seconds)
      guard let p = Self.probabilityOfPlus(response) else {
        let reason =
          response.logprobs == nil
          ? "the engine returned no log-probabilities (set sampling.top_logprobs; llama-server and vLLM give them)"
          : "no '+' or '-' among the first token's alternatives (reply: \(response.text.prefix(40)))"
        return .failure(StepAnswerProblem(message: reason, isEngineError: false))
      }
      return .success(p)
    } catch let error as JudgeItemError {
      return .failure(StepAnswerProblem(message: error.message, isEngineError: true))
    } catch {
      ledger.recordCalls(1, usage: TokenUsage(), seconds: (clock.now - started).seconds)
      return .failure(StepAnswerProblem(message: "engine error: \(error)", isEngineError: true))
    }
  }
}

/// Why one step's question got no P(+): the engine failed, or the reply had no +/- to read.
struct StepAnswerProblem: Error, Sendable {
  var message: String
  var isEngineError: Bool
}

/// The prompts of the two generative PRM protocols.
public enum ProcessJudgeTemplates {
  /// ProcessBench's `critique_template.txt` verbatim (Python `str.format` syntax: `\boxed{{}}` is
  /// `\boxed{}`), sent as the one user message, as its evaluation code does.
  public static let processBenchCritiqueText = """
    The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):

    [Math Problem]

    {problem}

    [Solution]

    {tagged_response}

    Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index of -1 (which typically denotes "not found").

    Please put your final answer (i.e., the index) in \\boxed{{}}.
    """

  /// RewardKit's prompt for the "+/−" protocol (written for RewardKit, in Math-Shepherd's layout).
  public static let stepLogprobSystem =
    "You check math solutions one step at a time. Reply with a single character: + if the last step "
    + "shown is correct, - if it contains an error."

  public static let stepLogprobUser = """
    [Math Problem]

    {problem}

    [Solution so far]

    {solution}

    Is Step {step_number} correct? Answer + or -.
    """

  public static let processBenchCritique = try! JudgeTemplate(
    name: "builtin:processbench-critique", system: nil, user: processBenchCritiqueText, syntax: .python)

  public static let stepLogprob = try! JudgeTemplate(
    name: "builtin:prm-step", system: stepLogprobSystem, user: stepLogprobUser, syntax: .python)

  /// The built-in templates by name (`builtin:processbench-critique`, `builtin:prm-step`).
  public static let byName: [String: JudgeTemplate] = [
    "processbench-critique": processBenchCritique, "prm-step": stepLogprob,
  ]
}
