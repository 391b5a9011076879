import Foundation
import RewardCore
import RewardEngine

/// The order responses are shown in, and how two orders are combined.
public enum JudgeOrder: String, Sendable, CaseIterable {
  /// As given: the first response is A.
  case fixed
  /// A seeded coin per item (from the item's text, so reruns and batch sizes do not change it).
  case random
  /// Both orders, combined by `PairAggregate`.
  case both
}

public enum PairAggregate: String, Sendable, CaseIterable {
  /// MT-Bench: a winner only when both orders agree; disagreement is a tie.
  case consistency
  /// JudgeBench: +1 per trial preferring the first response, −1 per trial preferring the second.
  case counter
  /// The mean of the two trials' P(A ≻ B).
  case mean
}

/// One trial: a verdict in the caller's orientation (A = the pair's first), or why there is none.
public struct PairTrial: Sendable {
  public var swapped: Bool
  public var verdict: Result<PairVerdict, Unparseable>
  /// P(first ≻ second) from the verdict token's logprobs when available, else from the verdict.
  public var probability: Double?
  public var reply: String
}

public struct PairJudgement: Sendable {
  public var trials: [PairTrial]
  /// P(first ≻ second) after aggregation; NaN when no trial could be read.
  public var probability: Double
  /// Set when the engine failed or the item could not be rendered.
  public var error: String?
  /// The engine refused the prompt as longer than its context (the pair was not judged).
  public var overContext = false
}

/// A judge comparing two responses (MT-Bench pair, Arena-Hard five-way, Prometheus relative,
/// RM-R1), with or without a reference answer, as a `PreferenceModel`: `reward eval` compares
/// pairs with it directly. `BaselinePairwiseJudge` makes it a `RewardModel` against a baseline.
public struct PairwiseJudge: PreferenceModel {
  public let name: String
  public let engine: any ChatEngine
  public let template: JudgeTemplate
  public let format: VerdictParser.PairFormat
  public let order: JudgeOrder
  public let aggregate: PairAggregate
  public let settings: JudgeSettings
  public let extras: [String: String]
  public let ledger: JudgeLedger

  public static let providedVariables: Set<String> = [
    "question", "answer_a", "answer_b", "reference", "rubric", "principle",
  ]

  public init(
    name: String, engine: any ChatEngine, template: JudgeTemplate, format: VerdictParser.PairFormat = .mtBench,
    order: JudgeOrder = .fixed, aggregate: PairAggregate = .consistency, settings: JudgeSettings = JudgeSettings(),
    extras: [String: String] = [:], ledger: JudgeLedger = JudgeLedger()
  ) {
    self.name = name
    self.engine = engine
    self.template = template
    self.format = format
    self.order = order
    self.aggregate = aggregate
    self.settings = settings
    self.extras = extras
    self.ledger = ledger
  }

  public func preferenceProbabilities(_ pairs: [CandidatePair]) async throws -> [Double] {
    try await judge(pairs).map(\.probability)
  }

  /// Judges every pair, `settings.concurrency` at a time; `progress(done, total)` after each.
  public func judge(_ pairs: [CandidatePair], progress: (@Sendable (Int, Int) -> Void)? = nil) async throws
    -> [PairJudgement]
  {
    try await boundedMap(pairs, limit: settings.concurrency, progress: progress) { index, pair in
      try await judge(pair, index: index)
    }
  }

  func judge(_ pair: CandidatePair, index: Int) async throws -> PairJudgement {
    let swaps: [Bool]
    switch order {
    case .fixed: swaps = [false]
    case .both: swaps = [false, true]
    case .random:
      var generator = SeededGenerator(
        seed: itemSeed(settings.seed, [questionText(pair.first.prompt), pair.first.response, pair.second.response]))
      swaps = [generator.next() & 1 == 1]
    }
    var trials: [PairTrial] = []
    var retries = 0
    do {
      for swapped in swaps {
        let (trial, used) = try await runTrial(pair, swapped: swapped)
        trials.append(trial)
        retries += used
      }
    } catch let error as JudgeItemError {
      ledger.recordItem(retries: retries, failure: "item \(index): \(error.message)", engineError: true)
      return PairJudgement(trials: trials, probability: .nan, error: error.message)
    } catch let error as EngineError {
      ledger.recordItem(
        retries: retries, failure: "item \(index): \(error)", engineError: true, overContext: error.isContextOverflow)
      return PairJudgement(
        trials: trials, probability: .nan, error: "engine error: \(error)", overContext: error.isContextOverflow)
    }
    let probability = combine(trials)
    let reasons = trials.compactMap { trial -> String? in
      if case .failure(let problem) = trial.verdict { return problem.reason }
      return nil
    }
    ledger.recordItem(
      retries: retries,
      failure: probability.isNaN ? "item \(index): unparseable: \(reasons.joined(separator: "; "))" : nil)
    recordOrderStatistics(trials)
    return PairJudgement(trials: trials, probability: probability, error: nil)
  }

  private func runTrial(_ pair: CandidatePair, swapped: Bool) async throws -> (PairTrial, Int) {
    let (a, b) = swapped ? (pair.second, pair.first) : (pair.first, pair.second)
    var values: [String: any Sendable] = [
      "question": questionText(pair.first.prompt), "answer_a": a.response, "answer_b": b.response,
    ]
    if let reference = pair.first.reference ?? pair.second.reference { values["reference"] = reference }
    for (key, value) in extras { values[key] = value }
    let messages = try template.render(values)
    let quoted = [a.response, b.response, values["reference"] as? String ?? ""]
    let instructions = [template.system ?? "", template.user]
    let session = JudgeSession(engine: engine, settings: settings, ledger: ledger)
    let exchange = try await session.ask(messages) { reply in
      VerdictParser.pair(reply, format: format, policy: settings.policy, quoted: quoted, instructions: instructions)
    }
    let shown = exchange.value
    var probability: Double? = nil
    if case .success(let verdict) = shown {
      probability = verdict.probabilityAFirst
      if settings.sampling.topLogprobs != nil, format != .arenaHard, let response = exchange.lastResponse,
        let fromLogprobs = VerdictLogprobs.probabilityA(
          response, opener: format == .prometheus ? "[RESULT]" : "[[", tieLabel: format == .mtBench ? "C" : nil)
      {
        probability = fromLogprobs
      }
    }
    let oriented = shown.map { swapped ? $0.swapped : $0 }
    let orientedProbability = probability.map { swapped ? 1 - $0 : $0 }
    return (
      PairTrial(
        swapped: swapped, verdict: oriented, probability: orientedProbability, reply: exchange.replies.last ?? ""),
      exchange.retries
    )
  }

  /// P(first ≻ second) from the trials, by the aggregate rule; NaN when no trial was readable.
  func combine(_ trials: [PairTrial]) -> Double {
    let read = trials.compactMap { trial -> (PairVerdict, Double)? in
      guard case .success(let verdict) = trial.verdict else { return nil }
      return (verdict, trial.probability ?? verdict.probabilityAFirst)
    }
    guard !read.isEmpty else { return .nan }
    if trials.count == 1 { return read[0].1 }
    switch aggregate {
    case .mean:
      return read.map(\.1).reduce(0, +) / Double(read.count)
    case .counter:
      let total = read.reduce(0) { sum, item in
        sum + (item.0.winner == .a ? 1 : item.0.winner == .b ? -1 : 0)
      }
      return total > 0 ? 1 : total < 0 ? 0 : 0.5
    case .consistency:
      // Both orders must be read and agree; anything else is a tie.
      guard read.count == trials.count, Set(read.map { $0.0.winner }).count == 1 else { return 0.5 }
      switch read[0].0.winner {
      case .a: return 1
      case .b: return 0
      case .tie: return 0.5
      }
    }
  }

  private func recordOrderStatistics(_ trials: [PairTrial]) {
    var firstShownWon: [Bool] = []
    var winners: [PairVerdict.Winner] = []
    for trial in trials {
      guard case .success(let verdict) = trial.verdict else { continue }
      winners.append(verdict.winner)
      guard verdict.winner != .tie else { continue }
      // The response shown first is the pair's first unless the trial was swapped.
      firstShownWon.append((verdict.winner == .a) != trial.swapped)
    }
    let consistent: Bool? = trials.count == 2 && winners.count == 2 ? winners[0] == winners[1] : nil
    ledger.recordOrder(consistent: consistent, firstShownWon: firstShownWon)
  }
}

/// A pairwise judge as a `RewardModel` (spec components): each candidate is compared with its
/// `reference` used as the baseline answer, and the reward is P(candidate ≻ baseline),
/// AlpacaEval-style. A candidate without a reference is an error naming the item.
public struct BaselinePairwiseJudge: RewardModel {
  public let judge: PairwiseJudge

  public init(_ judge: PairwiseJudge) { self.judge = judge }

  public var name: String { judge.name }
  public var benefitsFromBatching: Bool { true }

  public func preferenceProbabilities(_ pairs: [CandidatePair]) async throws -> [Double] {
    try await judge.preferenceProbabilities(pairs)
  }

  /// Each candidate against its reference answer (the baseline): P(candidate ≻ reference).
  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    let pairs = try candidates.enumerated().map { index, candidate in
      guard let baseline = candidate.reference else {
        throw JudgeItemError(
          "item \(index): a pairwise judge scores a candidate against its reference answer, and it has none")
      }
      var other = candidate
      other.response = baseline
      other.reference = nil
      var shown = candidate
      shown.reference = nil
      return CandidatePair(shown, other)
    }
    return try await judge.judge(pairs).map { judgement in
      Reward(
        judgement.probability,
        rationale: judgement.error ?? judgement.trials.map(\.reply).joined(separator: "\n---\n"))
    }
  }

}
