import Foundation
import RewardCore
import RewardJudge
import RewardSpec

/// `reward eval --benchmark judgebench FILE`: JudgeBench's score for the stored judgments in the
/// file (and how often our parser reads them differently), or with `--model judge.yaml` a live
/// pairwise judge run in both orders.
enum JudgeBenchEval {
  static func run(
    files: [String], models: [String], limit: Int?, json: Bool, terminal: Terminal, checkEngines: Bool = true
  )
    async throws
  {
    var pairs: [JudgeBenchPair] = []
    for file in files { pairs += try JudgeBenchReader.read(path: file) }
    if let limit { pairs = Array(pairs.prefix(limit)) }
    var results: [(String, JudgeBenchScoring.Report, [String: JSONValue], [String])] = []
    if models.isEmpty {
      guard pairs.contains(where: { !$0.storedTrials.isEmpty }) else {
        throw ConfigurationError("\(files.joined(separator: ", ")): no stored `judgments`; give a judge with --model")
      }
      let audit = StoredJudgmentAudit.run(pairs)
      let extra: [String: JSONValue] = [
        "trials": .int(Int64(audit.trials)), "parser_disagreements": .int(Int64(audit.disagreements)),
        "stored_undecided": .int(Int64(audit.storedUndecided)),
        "parser_unparseable": .int(Int64(audit.reparsedUnparseable)),
        "reparsed_accuracy": .double(audit.reparsed.overall.accuracy),
      ]
      let notes =
        [
          "stored decisions scored with JudgeBench's rule; our arena-hard parser (strict) differs on "
            + "\(audit.disagreements) of \(audit.trials) trials and scores \(format(audit.reparsed.overall.accuracy))"
        ] + audit.examples
      results.append(("stored judgments", audit.stored, extra, notes))
    }
    for path in models {
      let loaded = try JudgeConfiguration.load(path: path, engineFactory: JudgeComponent.engineFactory)
      guard let judge = loaded.pairwise else {
        throw ConfigurationError("\(path): JudgeBench needs a pairwise judge (mode pairwise or reasoning)")
      }
      if checkEngines { try await JudgeEngines.checkReachable(judge) }
      let started = Date()
      let report = try await JudgeBenchRun.run(pairs, judge: judge) { done, total in
        terminal.progress("\(path) pairs", done: done, total: total, started: started, logEvery: 5)
      }
      let summary = loaded.ledger.summary
      let extra: [String: JSONValue] = [
        "unparseable": .int(Int64(summary.unparseable)), "engine_errors": .int(Int64(summary.engineErrors)),
        "over_context": .int(Int64(report.overContext)),
        "fitting_pairs": .int(Int64(report.fitting?.pairs ?? 0)),
        "fitting_accuracy": report.fitting.map { $0.pairs == 0 ? .null : .double($0.accuracy) } ?? .null,
        "judge_calls": .int(Int64(summary.calls)), "wall_seconds": .double(Date().timeIntervalSince(started)),
        "parse_failure_rate": .double(summary.parseFailureRate),
        "consistency_rate": summary.consistencyRate.map { .double($0) } ?? .null,
        "first_position_win_rate": summary.firstPositionWinRate.map { .double($0) } ?? .null,
        "prompt_tokens": .int(Int64(summary.promptTokens)), "completion_tokens": .int(Int64(summary.completionTokens)),
        "seconds_per_item": .double(summary.items == 0 ? 0 : summary.seconds / Double(summary.items)),
      ]
      var notes = [summary.text]
      if report.overContext > 0, let fitting = report.fitting {
        notes.append(
          "\(report.overContext) pairs did not fit the engine's context (counted wrong); on the \(fitting.pairs) that fit: "
            + "\(fitting.pairs == 0 ? "–" : format(fitting.accuracy)) (\(fitting.correct)/\(fitting.pairs))")
      }
      results.append((path, report, extra, notes))
    }
    if json {
      let models = results.map { result -> JSONValue in
        let (name, report, extra, _) = result
        var object = JSONObject()
        object["name"] = .string(name)
        object["pairs"] = .int(Int64(report.overall.pairs))
        object["accuracy"] = .double(report.overall.accuracy)
        object["by_category"] = .object(groups(report.byCategory))
        object["by_source"] = .object(groups(report.bySource))
        for (key, value) in extra { object[key] = value }
        return .object(object)
      }
      let document: JSONValue = ["benchmark": "judgebench", "models": .array(models)]
      print(document.jsonText)
      return
    }
    for (name, report, _, notes) in results {
      print(
        "JudgeBench — \(name): \(format(report.overall.accuracy)) (\(report.overall.correct)/\(report.overall.pairs))")
      for group in report.byCategory {
        print(
          "  \(group.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(format(group.accuracy))  (\(group.correct)/\(group.pairs))"
        )
      }
      for note in notes { print("  \(note)") }
    }
  }

  static func groups(_ groups: [JudgeBenchScoring.Report.Group]) -> JSONObject {
    var object = JSONObject()
    for group in groups {
      object[group.name] = [
        "pairs": .int(Int64(group.pairs)), "correct": .int(Int64(group.correct)), "accuracy": .double(group.accuracy),
      ]
    }
    return object
  }

  static func format(_ accuracy: Double) -> String { String(format: "%.2f", 100 * accuracy) }
}
