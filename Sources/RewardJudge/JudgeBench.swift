import Foundation
import RewardCore

/// One JudgeBench pair: a question, two responses, which one is objectively correct, and
/// optionally a judge's stored trials (original order, then swapped).
public struct JudgeBenchPair: Sendable {
  public var pairID: String
  public var source: String
  public var question: String
  public var responseA: String
  public var responseB: String
  /// `.aBetter` (`A>B`) or `.bBetter` (`B>A`).
  public var label: PairVerdict
  public var storedTrials: [StoredTrial]

  /// JudgeBench's category: knowledge (mmlu-pro-*), reasoning / math (livebench-*), coding.
  public var category: String {
    if source.hasPrefix("mmlu-pro") { return "knowledge" }
    if source == "livebench-reasoning" { return "reasoning" }
    if source == "livebench-math" { return "math" }
    if source.hasPrefix("livecodebench") { return "coding" }
    return source
  }
}

/// A judge's stored trial: its reply text and JudgeBench's parsed decision (`A>B`, `A=B`, `B>A`
/// or null), in the orientation the judge saw (the second trial's A is the pair's B).
public struct StoredTrial: Sendable {
  public var prompt: String?
  public var reply: String
  public var decision: PairVerdict?
}

public enum JudgeBenchReader {
  /// Reads JudgeBench JSON Lines (`pair_id`, `source`, `question`, `response_A`, `response_B`,
  /// `label`, optional `judgments`). Errors name the line and field.
  public static func read(path: String) throws -> [JudgeBenchPair] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw InputError(.unreadableFile, at: SourceLocation(file: path), error.localizedDescription)
    }
    var pairs: [JudgeBenchPair] = []
    for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where !line.allSatisfy(\.isWhitespace) {
      pairs.append(try parse(String(line), path: path, line: offset + 1))
    }
    return pairs
  }

  static func parse(_ text: String, path: String, line: Int) throws -> JudgeBenchPair {
    func fail(_ message: String, _ kind: InputError.Kind = .invalidValue, field: String? = nil) -> InputError {
      InputError(kind, at: SourceLocation(file: path, line: line, field: field), message)
    }
    let object: JSONObject
    do {
      guard let parsed = try JSONParser.parse(text).objectValue else {
        throw fail("expected a JSON object", .malformedJSON)
      }
      object = parsed
    } catch let error as JSONSyntaxError {
      throw fail("column \(error.column): \(error.message)", .malformedJSON)
    }
    func string(_ key: String) throws -> String {
      guard let value = object[key] else { throw fail("expected a string", .missingField, field: key) }
      guard let string = value.stringValue else {
        throw fail("expected a string, found \(value.typeName)", .wrongType, field: key)
      }
      return string
    }
    let labelText = try string("label")
    guard let label = PairVerdict(rawValue: labelText), label == .aBetter || label == .bBetter else {
      throw fail("expected A>B or B>A, found '\(labelText)'", field: "label")
    }
    var trials: [StoredTrial] = []
    if let judgments = object["judgments"], !judgments.isNull {
      guard let items = judgments.arrayValue else { throw fail("expected a list", .wrongType, field: "judgments") }
      for (index, item) in items.enumerated() {
        let field = "judgments[\(index)]"
        guard let entry = item.objectValue, let judgment = entry["judgment"]?.objectValue,
          let reply = judgment["response"]?.stringValue
        else { throw fail("expected a string", .missingField, field: "\(field).judgment.response") }
        var decision: PairVerdict? = nil
        if let stored = entry["decision"], !stored.isNull {
          guard let text = stored.stringValue, let parsed = PairVerdict(rawValue: text) else {
            throw fail("expected A>B, A=B, B>A or null, found \(stored.jsonText)", field: "\(field).decision")
          }
          decision = parsed
        }
        trials.append(StoredTrial(prompt: judgment["prompt"]?.stringValue, reply: reply, decision: decision))
      }
    }
    return JudgeBenchPair(
      pairID: object["pair_id"]?.stringValue ?? "line \(line)", source: try string("source"),
      question: try string("question"), responseA: try string("response_A"), responseB: try string("response_B"),
      label: label, storedTrials: trials)
  }
}

/// JudgeBench's scoring rule: each trial scores +1 when its decision (the second trial's flipped
/// back) names the correct response, −1 when it names the other, 0 for a tie or no decision;
/// a pair is correct when the sum is positive.
public enum JudgeBenchScoring {
  /// `trials` in the pair's orientation (already un-swapped); nil for no decision.
  public static func pairScore(label: PairVerdict, trials: [PairVerdict?]) -> Int {
    trials.reduce(0) { sum, verdict in
      guard let winner = verdict?.winner, winner != .tie else { return sum }
      return sum + (winner == label.winner ? 1 : -1)
    }
  }

  public struct Report: Sendable, Equatable {
    public struct Group: Sendable, Equatable {
      public var name: String
      public var pairs: Int
      public var correct: Int
      public var accuracy: Double { pairs == 0 ? 0 : Double(correct) / Double(pairs) }
    }
    public var overall: Group
    public var byCategory: [Group]
    public var bySource: [Group]
    /// Live runs: pairs whose prompt did not fit the engine's context, and the result on the rest.
    public var overContext = 0
    public var fitting: Group?
  }

  /// `pairScores[i]` is pair i's summed score.
  public static func report(_ pairs: [JudgeBenchPair], pairScores: [Int]) -> Report {
    func groups(_ key: (JudgeBenchPair) -> String) -> [Report.Group] {
      var order: [String] = []
      var totals: [String: (Int, Int)] = [:]
      for (pair, score) in zip(pairs, pairScores) {
        let name = key(pair)
        if totals[name] == nil { order.append(name) }
        totals[name, default: (0, 0)].0 += 1
        if score > 0 { totals[name, default: (0, 0)].1 += 1 }
      }
      return order.sorted().map { Report.Group(name: $0, pairs: totals[$0]!.0, correct: totals[$0]!.1) }
    }
    return Report(
      overall: Report.Group(name: "overall", pairs: pairs.count, correct: pairScores.filter { $0 > 0 }.count),
      byCategory: groups(\.category), bySource: groups(\.source))
  }
}

/// Audit of a judge run elsewhere: score its stored decisions with JudgeBench's rule, re-parse its
/// stored replies with our parser, and count where the two decisions differ.
public struct StoredJudgmentAudit: Sendable {
  public var stored: JudgeBenchScoring.Report
  public var reparsed: JudgeBenchScoring.Report
  public var trials = 0
  /// Trials whose re-parsed decision differs from the stored one (both in the judge's orientation).
  public var disagreements = 0
  public var storedUndecided = 0
  public var reparsedUnparseable = 0
  /// The first disagreements, for the report.
  public var examples: [String] = []

  public static func run(
    _ pairs: [JudgeBenchPair], format: VerdictParser.PairFormat = .arenaHard, policy: ParsePolicy = .strict
  ) -> StoredJudgmentAudit {
    var storedScores: [Int] = []
    var reparsedScores: [Int] = []
    var audit = StoredJudgmentAudit(
      stored: JudgeBenchScoring.report([], pairScores: []), reparsed: JudgeBenchScoring.report([], pairScores: []))
    for pair in pairs {
      var storedTrials: [PairVerdict?] = []
      var reparsedTrials: [PairVerdict?] = []
      for (index, trial) in pair.storedTrials.enumerated() {
        let swapped = index % 2 == 1
        let shown = swapped ? [pair.responseB, pair.responseA] : [pair.responseA, pair.responseB]
        let parsed = VerdictParser.pair(trial.reply, format: format, policy: policy, quoted: shown)
        let mine: PairVerdict? = try? parsed.get()
        audit.trials += 1
        if trial.decision == nil { audit.storedUndecided += 1 }
        if mine == nil { audit.reparsedUnparseable += 1 }
        if mine?.decision != trial.decision?.decision {
          audit.disagreements += 1
          if audit.examples.count < 10 {
            let reason = (try? parsed.get()).map(\.rawValue) ?? "unparseable"
            audit.examples.append(
              "\(pair.pairID) trial \(index + 1): stored \(trial.decision?.decision ?? "none"), parsed \(reason)")
          }
        }
        storedTrials.append(swapped ? trial.decision?.swapped : trial.decision)
        reparsedTrials.append(swapped ? mine?.swapped : mine)
      }
      storedScores.append(JudgeBenchScoring.pairScore(label: pair.label, trials: storedTrials))
      reparsedScores.append(JudgeBenchScoring.pairScore(label: pair.label, trials: reparsedTrials))
    }
    audit.stored = JudgeBenchScoring.report(pairs, pairScores: storedScores)
    audit.reparsed = JudgeBenchScoring.report(pairs, pairScores: reparsedScores)
    return audit
  }
}

/// A live judge on JudgeBench pairs, by JudgeBench's protocol: two trials per pair, the second
/// with the responses swapped, scored with the counter rule.
public enum JudgeBenchRun {
  public static func run(
    _ pairs: [JudgeBenchPair], judge: PairwiseJudge, progress: (@Sendable (Int, Int) -> Void)? = nil
  ) async throws -> JudgeBenchScoring.Report {
    let bothOrders = PairwiseJudge(
      name: judge.name, engine: judge.engine, template: judge.template, format: judge.format, order: .both,
      aggregate: .counter, settings: judge.settings, extras: judge.extras, ledger: judge.ledger)
    let candidatePairs = pairs.map { pair in
      CandidatePair(
        Candidate(prompt: [.user(pair.question)], response: pair.responseA),
        Candidate(prompt: [.user(pair.question)], response: pair.responseB))
    }
    let judgements = try await bothOrders.judge(candidatePairs, progress: progress)
    let scores = zip(pairs, judgements).map { pair, judgement in
      JudgeBenchScoring.pairScore(label: pair.label, trials: judgement.trials.map { try? $0.verdict.get() })
    }
    var report = JudgeBenchScoring.report(pairs, pairScores: scores)
    // Pairs the engine could not take (prompt over its context) count as wrong, as JudgeBench
    // counts a missing verdict; the accuracy on the pairs that fit is reported beside it.
    let fits = judgements.map { !$0.overContext }
    report.overContext = fits.count(where: { !$0 })
    report.fitting =
      JudgeBenchScoring.report(
        zip(pairs, fits).filter(\.1).map(\.0), pairScores: zip(scores, fits).filter(\.1).map(\.0)
      ).overall
    return report
  }
}
