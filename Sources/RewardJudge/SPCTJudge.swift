import Foundation
import RewardCore
import RewardEngine

/// Principles written once per prompt and reused (DeepSeek-GRM generates them per query).
actor PrinciplesCache {
  private var byPrompt: [String: String] = [:]
  func get(_ key: String) -> String? { byPrompt[key] }
  func set(_ key: String, _ value: String) { byPrompt[key] = value }
}

/// Self-principled critique tuning's inference (DeepSeek-GRM): the judge writes principles for the
/// prompt (cached), then `samples` critiques with seeds `seed + i`, each ending in one score per
/// response `[[6, 8]]`; the rewards are the scores summed over samples (voting). An optional meta
/// reward model (any `RewardModel`, another judge included) rates each critique and only the
/// `keepTop` best are summed.
public struct SPCTJudge: RewardModel {
  public let name: String
  public let engine: any ChatEngine
  public let principlesTemplate: JudgeTemplate
  public let critiqueTemplate: JudgeTemplate
  public let samples: Int
  public let scale: ClosedRange<Double>
  public let metaModel: (any RewardModel)?
  public let keepTop: Int?
  public let settings: JudgeSettings
  public let ledger: JudgeLedger
  private let cache = PrinciplesCache()

  public static let providedVariables: Set<String> = ["question", "responses", "count", "reference", "principles"]

  public init(
    name: String, engine: any ChatEngine, principlesTemplate: JudgeTemplate, critiqueTemplate: JudgeTemplate,
    samples: Int = 4, scale: ClosedRange<Double> = 1...10, metaModel: (any RewardModel)? = nil, keepTop: Int? = nil,
    settings: JudgeSettings = JudgeSettings(), ledger: JudgeLedger = JudgeLedger()
  ) {
    self.name = name
    self.engine = engine
    self.principlesTemplate = principlesTemplate
    self.critiqueTemplate = critiqueTemplate
    self.samples = samples
    self.scale = scale
    self.metaModel = metaModel
    self.keepTop = keepTop
    self.settings = settings
    self.ledger = ledger
  }

  public var benefitsFromBatching: Bool { true }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    try await scoreByPromptGroup(candidates, concurrency: settings.concurrency) { group, index in
      try await judgeGroup(group, index: index)
    }
  }

  /// One critique sample: its text and the scores it gave, in the group's order.
  struct Critique: Sendable {
    var text: String
    var scores: [Double]
  }

  func judgeGroup(_ group: [Candidate], index: Int) async throws -> [Reward] {
    let question = questionText(group[0].prompt)
    let names = responseNames(min(group.count, 26))
    guard names.count == group.count else {
      ledger.recordItem(retries: 0, failure: "group \(index): more than 26 responses", engineError: true)
      return group.map { _ in Reward(.nan, rationale: "error: more than 26 responses") }
    }
    var values: [String: any Sendable] = [
      "question": question, "count": String(group.count),
      "responses": zip(names, group).map { ["name": $0, "text": $1.response] },
    ]
    if let reference = group[0].reference { values["reference"] = reference }
    let session = JudgeSession(engine: engine, settings: settings, ledger: ledger)
    let quoted = group.map(\.response)
    let instructions = [critiqueTemplate.system ?? "", critiqueTemplate.user]
    do {
      values["principles"] = try await principles(for: question, values: values, session: session)
      let messages = try critiqueTemplate.render(values)
      var critiques: [Critique] = []
      var failures: [String] = []
      var retries = 0
      for sample in 0..<samples {
        var sampling = settings.sampling
        sampling.seed = (settings.sampling.seed ?? Int(truncatingIfNeeded: settings.seed)) + sample
        let exchange = try await session.ask(messages, sampling: sampling) { reply in
          VerdictParser.scoreList(
            reply, count: group.count, scale: scale, policy: settings.policy, quoted: quoted, instructions: instructions
          )
        }
        retries += exchange.retries
        switch exchange.value {
        case .success(let scores): critiques.append(Critique(text: exchange.replies.last ?? "", scores: scores))
        case .failure(let problem): failures.append("sample \(sample): \(problem.reason)")
        }
      }
      let kept = try await metaFiltered(critiques, prompt: group[0].prompt)
      guard !kept.isEmpty else {
        let reason = "no sample could be read (\(failures.joined(separator: "; ")))"
        ledger.recordItem(retries: retries, failure: "group \(index): unparseable: \(reason)")
        return group.map { _ in Reward(.nan, rationale: "unparseable: \(reason)") }
      }
      ledger.recordItem(retries: retries, failure: nil)
      let principlesText = values["principles"] as? String ?? ""
      return group.indices.map { member in
        let votes = kept.map { $0.scores[member] }
        return Reward(
          votes.reduce(0, +),
          components: votes.enumerated().map { ("sample\($0.offset)", $0.element) },
          rationale: "principles:\n\(principlesText)\nvotes from \(kept.count) of \(samples) samples"
            + (failures.isEmpty ? "" : "; unreadable: \(failures.joined(separator: "; "))"))
      }
    } catch let error as JudgeItemError {
      ledger.recordItem(retries: 0, failure: "group \(index): \(error.message)", engineError: true)
      return group.map { _ in Reward(.nan, rationale: "error: \(error.message)") }
    } catch let error as EngineError {
      ledger.recordItem(
        retries: 0, failure: "group \(index): \(error)", engineError: true, overContext: error.isContextOverflow)
      return group.map { _ in Reward(.nan, rationale: "engine error: \(error)") }
    }
  }

  private func principles(for question: String, values: [String: any Sendable], session: JudgeSession) async throws
    -> String
  {
    if let cached = await cache.get(question) { return cached }
    let exchange = try await session.ask(try principlesTemplate.render(values)) { reply in
      VerdictParser.stripThinking(reply).flatMap { text in
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? .failure(Unparseable("empty principles")) : .success(trimmed)
      }
    }
    guard case .success(let text) = exchange.value else {
      throw JudgeItemError("the judge wrote no principles")
    }
    await cache.set(question, text)
    return text
  }

  /// The `keepTop` critiques the meta reward model rates highest (all of them without one).
  private func metaFiltered(_ critiques: [Critique], prompt: Conversation) async throws -> [Critique] {
    guard let metaModel, let keepTop, keepTop < critiques.count else { return critiques }
    let ratings = try await metaModel.score(critiques.map { Candidate(prompt: prompt, response: $0.text) })
    let ranked = critiques.indices.sorted { a, b in
      let (ra, rb) = (ratings[a].value, ratings[b].value)
      // An unrated critique (NaN) ranks last; ties keep sample order.
      if ra.isNaN != rb.isNaN { return rb.isNaN }
      return ra == rb ? a < b : ra > rb
    }
    return ranked.prefix(keepTop).sorted().map { critiques[$0] }
  }
}
