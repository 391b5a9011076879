import Foundation
import RewardCore

/// One expert vote from MT-Bench's human judgements (FastChat `human_judgments.json`, the `human`
/// split of lmsys/mt_bench_human_judgments): which of two models answered a question better at
/// one turn. `winner` is `model_a`, `model_b`, `tie` or `tie (bothbad)` (both count as a tie).
public struct MTBenchVote: Sendable, Equatable {
  public var questionID: String
  public var modelA: String
  public var modelB: String
  public var winner: PairVerdict.Winner
  public var judge: String
  public var turn: Int
  public var conversationA: Conversation
  public var conversationB: Conversation
  public var source: SourceLocation
}

public enum MTBenchHumanReader {
  /// Reads a JSON array of votes (FastChat's file) or JSON Lines (the Hugging Face export).
  /// Errors name the file, the line (JSON Lines) or record index, and the field.
  public static func read(path: String) throws -> [MTBenchVote] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw InputError(.unreadableFile, at: SourceLocation(file: path), error.localizedDescription)
    }
    if text.drop(while: \.isWhitespace).first == "[" {
      let value: JSONValue
      do {
        value = try JSONParser.parse(text)
      } catch {
        throw InputError(
          .malformedJSON, at: SourceLocation(file: path, line: error.line), "column \(error.column): \(error.message)")
      }
      return try (value.arrayValue ?? []).enumerated().map { index, item in
        try vote(item, at: SourceLocation(file: path, field: "[\(index)]"))
      }
    }
    var votes: [MTBenchVote] = []
    for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where !line.allSatisfy(\.isWhitespace) {
      let location = SourceLocation(file: path, line: offset + 1)
      do {
        votes.append(try vote(JSONParser.parse(String(line)), at: location))
      } catch let error as JSONSyntaxError {
        throw InputError(.malformedJSON, at: location, "column \(error.column): \(error.message)")
      }
    }
    return votes
  }

  static func vote(_ value: JSONValue, at location: SourceLocation) throws -> MTBenchVote {
    func fail(_ field: String, _ kind: InputError.Kind, _ message: String) -> InputError {
      InputError(kind, at: location.field(location.field.map { "\($0).\(field)" } ?? field), message)
    }
    guard let object = value.objectValue else {
      throw InputError(.wrongType, at: location, "expected a vote object, found \(value.typeName)")
    }
    func string(_ key: String) throws -> String {
      guard let value = object[key] else { throw fail(key, .missingField, "expected a string") }
      if case .int(let number) = value { return String(number) }
      guard let text = value.stringValue else {
        throw fail(key, .wrongType, "expected a string, found \(value.typeName)")
      }
      return text
    }
    func conversation(_ key: String) throws -> Conversation {
      guard let items = object[key]?.arrayValue, !items.isEmpty else {
        throw fail(key, .missingField, "expected a list of {role, content} messages")
      }
      return try items.enumerated().map { index, item in
        guard let role = item.objectValue?["role"]?.stringValue, let content = item.objectValue?["content"]?.stringValue
        else { throw fail("\(key)[\(index)]", .wrongType, "expected {role, content}") }
        return Message(role: role == "assistant" ? .assistant : role == "system" ? .system : .user, content: content)
      }
    }
    let winnerText = try string("winner")
    let winner: PairVerdict.Winner
    switch winnerText {
    case "model_a": winner = .a
    case "model_b": winner = .b
    case _ where winnerText.hasPrefix("tie"): winner = .tie
    default:
      throw fail("winner", .invalidValue, "expected model_a, model_b, tie or tie (bothbad), found '\(winnerText)'")
    }
    guard case .int(let turn) = object["turn"] ?? .null, turn == 1 || turn == 2 else {
      throw fail("turn", .invalidValue, "expected 1 or 2")
    }
    // FastChat's model judgements carry the judge as a list (["gpt-4", "pair-v2"]); keep its first name.
    let judge = object["judge"]?.stringValue ?? object["judge"]?.arrayValue?.first?.stringValue ?? ""
    return MTBenchVote(
      questionID: try string("question_id"), modelA: try string("model_a"), modelB: try string("model_b"),
      winner: winner, judge: judge, turn: Int(turn), conversationA: try conversation("conversation_a"),
      conversationB: try conversation("conversation_b"), source: location)
  }
}

/// MT-Bench agreement between a judge and the experts, as FastChat's `compute_agreement.py`:
/// votes are grouped per turn by (question, model pair), oriented to the models' sorted order; the
/// judge gives one verdict per group and is compared with every expert vote in it. Without ties,
/// a vote is left out when the expert or the judge said tie. A judge with no verdict (unparseable,
/// engine error) disagrees: it is never dropped silently.
public enum MTBenchAgreement {
  /// One question × model pair × turn to judge, with the experts' votes on it.
  public struct Item: Sendable {
    public var questionID: String
    public var turn: Int
    /// The pair in sorted model order: `first` is the alphabetically first model.
    public var firstModel: String
    public var secondModel: String
    public var pair: CandidatePair
    public var humanVotes: [PairVerdict.Winner]
  }

  public struct Counts: Sendable, Equatable {
    public var agreed = 0
    public var total = 0
    public var rate: Double { total == 0 ? .nan : Double(agreed) / Double(total) }
  }

  public struct Report: Sendable, Equatable {
    /// Index 0: turn 1, index 1: turn 2.
    public var withTies: [Counts]
    public var withoutTies: [Counts]
    public var judgeErrors = 0
  }

  /// Expert votes (`judge` starting with `expert`, as FastChat counts "human") grouped into items.
  public static func items(_ votes: [MTBenchVote]) -> [Item] {
    var order: [String] = []
    var items: [String: Item] = [:]
    for vote in votes where vote.judge.hasPrefix("expert") {
      let inOrder = vote.modelA < vote.modelB
      let key =
        "\(vote.turn)\u{0}\(vote.questionID)\u{0}\(inOrder ? vote.modelA : vote.modelB)\u{0}"
        + (inOrder ? vote.modelB : vote.modelA)
      let winner = inOrder ? vote.winner : (vote.winner == .a ? .b : vote.winner == .b ? .a : .tie)
      if items[key] == nil {
        let (first, second) =
          inOrder ? (vote.conversationA, vote.conversationB) : (vote.conversationB, vote.conversationA)
        order.append(key)
        items[key] = Item(
          questionID: vote.questionID, turn: vote.turn, firstModel: inOrder ? vote.modelA : vote.modelB,
          secondModel: inOrder ? vote.modelB : vote.modelA, pair: pair(first, second, turn: vote.turn),
          humanVotes: [])
      }
      items[key]!.humanVotes.append(winner)
    }
    return order.map { items[$0]! }
  }

  /// What the judge is shown. Turn 1: the question and the two first answers. Turn 2: both user
  /// turns as the question and each assistant's two answers as its response, so the judge sees the
  /// whole of both conversations (FastChat's multi-turn template does the same with its own layout).
  static func pair(_ first: Conversation, _ second: Conversation, turn: Int) -> CandidatePair {
    func assistant(_ conversation: Conversation, _ index: Int) -> String {
      let answers = conversation.filter { $0.role == .assistant }
      return index < answers.count ? answers[index].content : ""
    }
    let questions = first.filter { $0.role == .user }.map(\.content)
    guard turn == 2, questions.count >= 2 else {
      let prompt: Conversation = [.user(questions.first ?? "")]
      return CandidatePair(
        Candidate(prompt: prompt, response: assistant(first, 0)),
        Candidate(prompt: prompt, response: assistant(second, 0)))
    }
    let prompt: Conversation = [
      .user(
        "First question: \(questions[0])\n\nSecond question: \(questions[1])\n\nJudge the answers to the second question."
      )
    ]
    func transcript(_ conversation: Conversation) -> String {
      "Answer to the first question: \(assistant(conversation, 0))\n\nAnswer to the second question: \(assistant(conversation, 1))"
    }
    return CandidatePair(
      Candidate(prompt: prompt, response: transcript(first)), Candidate(prompt: prompt, response: transcript(second)))
  }

  /// The judge's verdict from its P(first ≻ second): above ½ the first, below the second, ½ a
  /// tie, NaN none.
  public static func verdict(probability: Double) -> PairVerdict.Winner? {
    if probability.isNaN { return nil }
    return probability > 0.5 ? .a : probability < 0.5 ? .b : .tie
  }

  public static func report(_ items: [Item], judge: [PairVerdict.Winner?]) -> Report {
    precondition(items.count == judge.count, "one judge verdict per item")
    var report = Report(withTies: [Counts(), Counts()], withoutTies: [Counts(), Counts()])
    for (item, machine) in zip(items, judge) {
      let turn = item.turn - 1
      if machine == nil { report.judgeErrors += 1 }
      for human in item.humanVotes {
        report.withTies[turn].total += 1
        if machine == human { report.withTies[turn].agreed += 1 }
        guard human != .tie, machine != .tie else { continue }
        report.withoutTies[turn].total += 1
        if machine == human { report.withoutTies[turn].agreed += 1 }
      }
    }
    return report
  }
}
