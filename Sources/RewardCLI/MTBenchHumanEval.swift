import Foundation
import RewardCore
import RewardJudge
import RewardSpec

/// `reward eval --benchmark mt-bench-human FILE --model judge.yaml`: agreement of a pairwise
/// judge with MT-Bench's expert votes, per turn, with and without ties (the MT-Bench paper's
/// setups S1 and S2, computed as FastChat's `compute_agreement.py`).
enum MTBenchHumanEval {
  static func run(
    files: [String], models: [String], limit: Int?, json: Bool, terminal: Terminal, checkEngines: Bool = true
  )
    async throws
  {
    var votes: [MTBenchVote] = []
    for file in files { votes += try MTBenchHumanReader.read(path: file) }
    var items = MTBenchAgreement.items(votes)
    guard !items.isEmpty else {
      throw ConfigurationError("\(files.joined(separator: ", ")): no expert votes (`judge: expert_…`) to compare with")
    }
    if let limit { items = Array(items.prefix(limit)) }
    var results: [JSONValue] = []
    for path in models {
      let loaded = try JudgeConfiguration.load(path: path, engineFactory: JudgeComponent.engineFactory)
      guard let judge = loaded.pairwise else {
        throw ConfigurationError("\(path): MT-Bench agreement needs a pairwise judge (mode pairwise or reasoning)")
      }
      if checkEngines { try await JudgeEngines.checkReachable(judge) }
      let started = Date()
      let judgements = try await judge.judge(items.map(\.pair)) { done, total in
        terminal.progress("\(path) pairs", done: done, total: total, started: started, logEvery: 5)
      }
      let report = MTBenchAgreement.report(
        items, judge: judgements.map { MTBenchAgreement.verdict(probability: $0.probability) })
      let summary = loaded.ledger.summary
      if json {
        results.append(encode(path, report, summary, items: items.count))
      } else {
        print("MT-Bench human agreement — \(path) (\(items.count) question × model pairs)")
        for turn in 0..<2 {
          for (setup, counts) in [("with ties", report.withTies[turn]), ("without ties", report.withoutTies[turn])] {
            let rate = counts.total == 0 ? "–" : String(format: "%.2f", counts.rate)
            print(
              "  turn \(turn + 1) \(setup.padding(toLength: 13, withPad: " ", startingAt: 0)) \(rate)  (\(counts.agreed)/\(counts.total) votes)"
            )
          }
        }
        print("  judge errors (no verdict, counted as disagreeing): \(report.judgeErrors)")
        print(summary.text.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
      }
    }
    if json {
      let document: JSONValue = ["benchmark": "mt-bench-human", "models": .array(results)]
      print(document.jsonText)
    }
  }

  static func encode(_ name: String, _ report: MTBenchAgreement.Report, _ summary: JudgeRunSummary, items: Int)
    -> JSONValue
  {
    func counts(_ counts: MTBenchAgreement.Counts) -> JSONValue {
      [
        "agreed": .int(Int64(counts.agreed)), "votes": .int(Int64(counts.total)),
        "rate": counts.total == 0 ? .null : .double(counts.rate),
      ]
    }
    var object = JSONObject()
    object["name"] = .string(name)
    object["items"] = .int(Int64(items))
    for turn in 0..<2 {
      object["turn\(turn + 1)"] = [
        "with_ties": counts(report.withTies[turn]), "without_ties": counts(report.withoutTies[turn]),
      ]
    }
    object["judge_errors"] = .int(Int64(report.judgeErrors))
    object["unparseable"] = .int(Int64(summary.unparseable))
    object["parse_failure_rate"] = .double(summary.parseFailureRate)
    object["consistency_rate"] = summary.consistencyRate.map { .double($0) } ?? .null
    object["first_position_win_rate"] = summary.firstPositionWinRate.map { .double($0) } ?? .null
    object["prompt_tokens"] = .int(Int64(summary.promptTokens))
    object["completion_tokens"] = .int(Int64(summary.completionTokens))
    return .object(object)
  }
}
