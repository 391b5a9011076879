import Foundation
import RewardCore
import RewardEngine

/// Candidates sharing a prompt (the same `group`, else the same conversation), in input order.
func promptGroups(_ candidates: [Candidate]) -> [[Int]] {
  var order: [String] = []
  var members: [String: [Int]] = [:]
  for (index, candidate) in candidates.enumerated() {
    let key = candidate.group.map { "group:\($0)" } ?? "prompt:\(questionText(candidate.prompt))"
    if members[key] == nil { order.append(key) }
    members[key, default: []].append(index)
  }
  return order.map { members[$0]! }
}

/// Judges candidates one prompt group at a time (at most `concurrency` groups in flight) and puts
/// each group's rewards back in input order: the shape of every judge that sees a prompt's
/// responses together (listwise, SPCT).
func scoreByPromptGroup(
  _ candidates: [Candidate], concurrency: Int,
  _ judgeGroup: @escaping @Sendable ([Candidate], Int) async throws -> [Reward]
) async throws -> [Reward] {
  let groups = promptGroups(candidates)
  let judged = try await boundedMap(groups, limit: concurrency) { index, members in
    try await judgeGroup(members.map { candidates[$0] }, index)
  }
  var rewards = [Reward](repeating: Reward(.nan), count: candidates.count)
  for (members, groupRewards) in zip(groups, judged) {
    for (position, member) in members.enumerated() { rewards[member] = groupRewards[position] }
  }
  return rewards
}

/// Neutral names for N shown responses: A, B, C, … (at most 26).
func responseNames(_ count: Int) -> [String] {
  (0..<count).map { String(UnicodeScalar(UInt8(65 + $0))) }
}

/// How a listwise judge answers.
public enum ListwiseFormat: String, Sendable, CaseIterable {
  /// The best response's letter, `[[C]]` (RewardBench 2's best-of-4): reward 1 for it, 0 for the rest.
  case best
  /// RewardAnything's JSON `{"scores": {…}, "best-to-worst": […]}`: each response's score.
  case ranking
}

/// A judge that sees all responses to a prompt at once, shuffled (seeded per prompt) and named
/// neutrally A, B, C…, so neither position nor a model name can sway it. Principle-following
/// (RewardAnything) is this judge with a `principle` and the `ranking` format.
public struct ListwiseJudge: RewardModel {
  public let name: String
  public let engine: any ChatEngine
  public let template: JudgeTemplate
  public let format: ListwiseFormat
  public let settings: JudgeSettings
  public let extras: [String: String]
  public let ledger: JudgeLedger

  public static let providedVariables: Set<String> = [
    "question", "responses", "count", "reference", "rubric", "principle",
  ]
  public static let maximumResponses = 26

  public init(
    name: String, engine: any ChatEngine, template: JudgeTemplate, format: ListwiseFormat = .best,
    settings: JudgeSettings = JudgeSettings(), extras: [String: String] = [:], ledger: JudgeLedger = JudgeLedger()
  ) {
    self.name = name
    self.engine = engine
    self.template = template
    self.format = format
    self.settings = settings
    self.extras = extras
    self.ledger = ledger
  }

  public var benefitsFromBatching: Bool { true }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    try await scoreByPromptGroup(candidates, concurrency: settings.concurrency) { group, index in
      try await judgeGroup(group, index: index)
    }
  }

  func judgeGroup(_ group: [Candidate], index: Int) async throws -> [Reward] {
    guard group.count <= Self.maximumResponses else {
      let message = "group \(index) has \(group.count) responses; a listwise judge shows at most 26"
      ledger.recordItem(retries: 0, failure: message, engineError: true)
      return group.map { _ in Reward(.nan, rationale: "error: \(message)") }
    }
    let question = questionText(group[0].prompt)
    var shown = Array(group.indices)
    var generator = SeededGenerator(seed: itemSeed(settings.seed, [question] + group.map(\.response)))
    generator.shuffle(&shown)
    let names = responseNames(group.count)
    var values: [String: any Sendable] = [
      "question": question, "count": String(group.count),
      "responses": zip(names, shown).map { ["name": $0, "text": group[$1].response] },
    ]
    if let reference = group[0].reference { values["reference"] = reference }
    for (key, value) in extras { values[key] = value }
    let quoted = group.map(\.response)
    let instructions = [template.system ?? "", template.user]
    let session = JudgeSession(engine: engine, settings: settings, ledger: ledger)
    do {
      let messages = try template.render(values)
      let exchange = try await session.ask(messages) { reply -> Result<[Double], Unparseable> in
        switch format {
        case .best:
          VerdictParser.choice(
            reply, count: group.count, policy: settings.policy, quoted: quoted, instructions: instructions
          ).map { best in names.indices.map { $0 == best ? 1 : 0 } }
        case .ranking:
          VerdictParser.ranking(reply, names: names).map(\.scores)
        }
      }
      let reply = exchange.replies.last ?? ""
      switch exchange.value {
      case .success(let byShownPosition):
        ledger.recordItem(retries: exchange.retries, failure: nil)
        var rewards = [Reward](repeating: Reward(.nan), count: group.count)
        for (position, member) in shown.enumerated() {
          rewards[member] = Reward(byShownPosition[position], rationale: "shown as \(names[position])\n\(reply)")
        }
        return rewards
      case .failure(let problem):
        ledger.recordItem(retries: exchange.retries, failure: "group \(index): unparseable: \(problem.reason)")
        return group.map { _ in Reward(.nan, rationale: "unparseable: \(problem.reason)\n\(reply)") }
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
}
