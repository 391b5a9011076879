import Foundation
import RewardCore
import RewardEngine

/// ProcessBench's critic protocol as a process reward model (judge mode `prm-critic`). The
/// solution's steps are shown as tagged paragraphs (`<paragraph_0>` … ), the model is asked for
/// the index of the paragraph with the earliest error in `\boxed{}` (−1 for none), and with k
/// samples the most common answer wins. Prompt, tagging, answer extraction and voting follow
/// ProcessBench's released evaluation code (`code/run_eval.py`, `templates/critique_template.txt`):
///
/// - the answer is the *last* `\boxed{…}` (no nested braces), whitespace-trimmed;
/// - with k > 1 the vote is over those answer *strings* (samples without a box are dropped), the
///   tie going to the answer seen first, and the winner is then read as an integer;
/// - an item with no readable integer has no prediction: its reward is NaN, it is counted in the
///   ledger as unparseable and in ProcessBench metrics as a miss — never defaulted to −1.
///
/// Steps before the predicted index score 1, the rest 0 (all 1 for −1), so the reward (their
/// minimum) is 1 when the critic finds no error; the raw prediction is the `first_error` component.
public struct ProcessCriticJudge: RewardModel, JudgeModel {
  public let name: String
  public let engine: any ChatEngine
  public let template: JudgeTemplate
  /// k: samples per item (1 = ProcessBench's greedy run; 8 is its voting run).
  public let samples: Int
  public let splitter: StepSplitter
  public let settings: JudgeSettings
  public let ledger: JudgeLedger

  public static let providedVariables: Set<String> = ["problem", "tagged_response"]

  public init(
    name: String = "prm-critic", engine: any ChatEngine, template: JudgeTemplate? = nil, samples: Int = 1,
    splitter: StepSplitter = .blankLines, settings: JudgeSettings = ProcessCriticJudge.defaultSettings(samples: 1),
    ledger: JudgeLedger = JudgeLedger()
  ) {
    self.name = name
    self.engine = engine
    self.template = template ?? ProcessJudgeTemplates.processBenchCritique
    self.samples = max(1, samples)
    self.splitter = splitter
    self.settings = settings
    self.ledger = ledger
  }

  /// ProcessBench's sampling: greedy (temperature 0, seed 42) for one sample; temperature 1,
  /// top-p 0.9, seed 42 for voting. ProcessBench allows 8,192 new tokens.
  public static func defaultSettings(samples: Int) -> JudgeSettings {
    var settings = JudgeSettings()
    settings.sampling =
      samples > 1
      ? SamplingParameters(temperature: 1, topP: 0.9, maxTokens: 8192, seed: 42)
      : SamplingParameters(temperature: 0, maxTokens: 8192, seed: 42)
    settings.retries = 0
    return settings
  }

  public var benefitsFromBatching: Bool { true }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    try await boundedMap(candidates, limit: settings.concurrency) { index, candidate in
      try await critique(candidate, index: index)
    }
  }

  /// The paragraphs as ProcessBench tags them: `<paragraph_i>\nstep\n</paragraph_i>`, blank-line
  /// separated.
  public static func taggedResponse(_ steps: [String]) -> String {
    steps.enumerated().map { index, step in "<paragraph_\(index)>\n\(step)\n</paragraph_\(index)>" }
      .joined(separator: "\n\n")
  }

  func critique(_ candidate: Candidate, index: Int) async throws -> Reward {
    let steps = candidate.steps(splitter: splitter)
    let values: [String: any Sendable] = [
      "problem": questionText(candidate.prompt), "tagged_response": Self.taggedResponse(steps.map(\.text)),
    ]
    let messages: [ChatMessage]
    do {
      messages = try template.render(values)
    } catch {
      ledger.recordItem(retries: 0, failure: "item \(index): \(error.message)", engineError: true)
      return Reward(.nan, rationale: "error: \(error.message)")
    }
    let clock = ContinuousClock()
    let started = clock.now
    var replies: [String] = []
    var usage = TokenUsage()
    do {
      for sample in 0..<samples {
        var sampling = settings.sampling
        if let seed = sampling.seed { sampling.seed = seed + sample }
        let response = try await engine.chat(
          ChatRequest(messages: messages, sampling: sampling, sampleIndex: samples > 1 ? sample : nil))
        replies.append(response.text)
        usage = usage + response.usage
      }
    } catch let error as EngineError {
      ledger.recordCalls(replies.count + 1, usage: usage, seconds: (clock.now - started).seconds)
      ledger.recordItem(retries: 0, failure: "item \(index): \(error)", engineError: true)
      return Reward(.nan, rationale: "engine error: \(error)")
    }
    ledger.recordCalls(samples, usage: usage, seconds: (clock.now - started).seconds)
    let answers = replies.map(ProcessBenchAnswer.boxedAnswer)
    let votes = answers.map { $0 ?? "none" }.joined(separator: ", ")
    guard let prediction = ProcessBenchAnswer.vote(answers) else {
      let reason = "no integer in the last \\boxed{} of \(samples) critique(s) (answers: \(votes))"
      ledger.recordItem(retries: 0, failure: "item \(index): unparseable: \(reason)")
      return Reward(.nan, rationale: "unparseable: \(reason)\n\(replies.last ?? "")")
    }
    ledger.recordItem(retries: 0, failure: nil)
    let scored = steps.enumerated().map { k, step in
      StepScore(index: k, start: step.start, end: step.end, score: prediction < 0 || k < prediction ? 1 : 0)
    }
    let agreement = Double(answers.filter { $0.flatMap(ProcessBenchAnswer.integer) == prediction }.count)
    return Reward(
      StepAggregation.min.aggregate(scored.map(\.score)) ?? 1,
      components: [(Reward.firstErrorComponent, Double(prediction)), ("agreement", agreement / Double(samples))],
      rationale: "critic answers: \(votes)", steps: scored)
  }
}

/// ProcessBench's answer reading, exactly as its evaluation script does it.
public enum ProcessBenchAnswer {
  /// The content of the last `\boxed{…}` whose content has no `}` (the regex
  /// `\\boxed\{([^}]*)\}`), trimmed of whitespace; nil when there is none.
  public static func boxedAnswer(_ text: String) -> String? {
    var last: Substring?
    var rest = text[...]
    // Non-overlapping left-to-right matches, as `re.findall`: after a match, search on past its `}`.
    while let open = rest.range(of: "\\boxed{") {
      guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
      last = rest[open.upperBound..<close]
      rest = rest[rest.index(after: close)...]
    }
    return last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
  }

  /// Python's `int(text)` on a trimmed string: an optional sign, then ASCII digits, single
  /// underscores allowed between digits (`1_0` is 10); anything else is nil.
  public static func integer(_ text: String) -> Int? {
    var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
    var negative = false
    if let sign = body.first, sign == "+" || sign == "-" {
      negative = sign == "-"
      body = body.dropFirst()
    }
    guard let first = body.first, first.isASCII, first.isNumber, let last = body.last, last != "_",
      !body.contains("__"), body.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "_" })
    else { return nil }
    guard let magnitude = Int(body.replacingOccurrences(of: "_", with: "")) else { return nil }
    return negative ? -magnitude : magnitude
  }

  /// The majority answer of k samples as ProcessBench counts it (`Counter(...).most_common(1)` over
  /// the extracted strings, missing ones dropped, a tie to the answer seen first), read as an
  /// integer; nil when no sample has an answer or the winner is not an integer.
  public static func vote(_ answers: [String?]) -> Int? {
    var counts: [String: Int] = [:]
    var order: [String] = []
    for answer in answers.compactMap({ $0 }) {
      if counts[answer] == nil { order.append(answer) }
      counts[answer, default: 0] += 1
    }
    var winner: String?
    var best = 0
    for answer in order where counts[answer]! > best {
      winner = answer
      best = counts[answer]!
    }
    return winner.flatMap(integer)
  }
}
