import Foundation
import RewardCore
import RewardEngine

/// A judge that rates one answer on a scale (MT-Bench single-answer `[[7]]`, Prometheus absolute
/// `[RESULT] 4`, RewardBench-2 style 1–10), optionally with a reference answer, a rubric or a
/// principle, and optionally with tools (Themis). With `top_logprobs` the reward is the
/// probability-weighted expected score at the verdict token; otherwise the parsed sample.
///
/// An item the judge cannot rate gets a NaN reward with the reason in its rationale (never a
/// silent minimum), and is counted in `ledger.summary`.
public struct PointwiseJudge: RewardModel {
  public let name: String
  public let engine: any ChatEngine
  public let template: JudgeTemplate
  public let format: VerdictParser.ScoreFormat
  public let scale: ClosedRange<Double>
  public let settings: JudgeSettings
  public let extras: [String: String]
  public let tools: JudgeTools?
  public let maxToolTurns: Int
  public let ledger: JudgeLedger

  public static let providedVariables: Set<String> = ["question", "answer", "reference", "rubric", "principle"]

  public init(
    name: String, engine: any ChatEngine, template: JudgeTemplate, format: VerdictParser.ScoreFormat = .mtBench,
    scale: ClosedRange<Double> = 1...10, settings: JudgeSettings = JudgeSettings(), extras: [String: String] = [:],
    tools: JudgeTools? = nil, maxToolTurns: Int = 3, ledger: JudgeLedger = JudgeLedger()
  ) {
    self.name = name
    self.engine = engine
    self.template = template
    self.format = format
    self.scale = scale
    self.settings = settings
    self.extras = extras
    self.tools = tools
    self.maxToolTurns = maxToolTurns
    self.ledger = ledger
  }

  /// Items are judged concurrently; the server need not wait to gather a batch, but a batch helps.
  public var benefitsFromBatching: Bool { true }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    try await boundedMap(candidates, limit: settings.concurrency) { index, candidate in
      try await judge(candidate, index: index)
    }
  }

  func judge(_ candidate: Candidate, index: Int) async throws -> Reward {
    let session = JudgeSession(engine: engine, settings: settings, ledger: ledger)
    var values: [String: any Sendable] = ["question": questionText(candidate.prompt), "answer": candidate.response]
    if let reference = candidate.reference { values["reference"] = reference }
    for (key, value) in extras { values[key] = value }
    let quoted = [candidate.response, candidate.reference ?? ""]
    let instructions = [template.system ?? "", template.user]
    do {
      let messages = try template.render(values)
      let exchange = try await session.ask(
        messages, tools: tools, maxToolTurns: tools == nil ? 0 : maxToolTurns, candidate: candidate
      ) { reply in
        VerdictParser.score(
          reply, format: format, scale: scale, policy: settings.policy, quoted: quoted, instructions: instructions)
      }
      let rationale = (exchange.toolLog + [exchange.replies.last ?? ""]).joined(separator: "\n")
      switch exchange.value {
      case .success(let sampled):
        ledger.recordItem(retries: exchange.retries, failure: nil)
        let opener = format == .mtBench ? "[[" : "[RESULT]"
        if settings.sampling.topLogprobs != nil, let response = exchange.lastResponse,
          let expected = VerdictLogprobs.expectedScore(response, opener: opener, scale: scale)
        {
          return Reward(expected, components: [("sampled", sampled), ("expected", expected)], rationale: rationale)
        }
        return Reward(sampled, rationale: rationale)
      case .failure(let problem):
        ledger.recordItem(retries: exchange.retries, failure: "item \(index): unparseable: \(problem.reason)")
        return Reward(.nan, rationale: "unparseable: \(problem.reason)\n\(rationale)")
      }
    } catch let error as JudgeItemError {
      ledger.recordItem(retries: 0, failure: "item \(index): \(error.message)", engineError: true)
      return Reward(.nan, rationale: "error: \(error.message)")
    } catch let error as EngineError {
      ledger.recordItem(
        retries: 0, failure: "item \(index): \(error)", engineError: true, overContext: error.isContextOverflow)
      return Reward(.nan, rationale: "engine error: \(error)")
    }
  }
}

/// A reward that carries an unparseable or failed judgement (NaN value, reason in the rationale).
extension Reward {
  public var isJudgeFailure: Bool { value.isNaN }
}
