import ArgumentParser
import Foundation
import RewardCore
import RewardData
import RewardEval

struct EvalCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Measure a reward model's pairwise accuracy on preference files.",
    discussion: """
      Accuracy is strict, as in RewardBench: a pair counts only when the chosen response scores
      strictly higher (a tied score is wrong). Soft labels count in their majority direction;
      tied labels are errors (or skipped with --skip-invalid). Per-subset accuracy is shown when
      the data has subsets (RewardBench `subset`, AlpacaEval `dataset`, Auto-J `scenario`).
      """)

  @Option(help: "Checkpoint directory written by `reward train`.")
  var model: String

  @Argument(help: "Preference files.")
  var files: [String]

  @OptionGroup var data: DataOptions

  @Flag(help: "Print the results as JSON.")
  var json = false

  @Flag(help: "No progress output.")
  var quiet = false

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let rewardModel = try ModelLoader.load(model)
    let dataset = try data.read(files, terminal: terminal)
    let (pairs, ties) = try dataset.strictPairs(skipInvalid: data.skipInvalid)
    reportSkipped(ties, terminal: terminal)
    let started = Date()
    let report = try await PairwiseEvaluation.evaluate(
      rewardModel, pairs: pairs, skipped: dataset.skipped + ties,
      progress: { done, total in terminal.progress("scoring", done: done, total: total, started: started) })
    if json {
      print(reportJSON(report).jsonText)
    } else {
      print(reportTable(report))
    }
  }

  private func reportTable(_ report: PairwiseReport) -> String {
    func row(_ name: String, _ s: AccuracySummary) -> [String] {
      [name, String(s.pairs), format(100 * s.accuracy, 2) + "%", s.meanMargin.map { format($0, 4) } ?? "–"]
    }
    var rows = report.subsets.map { row($0.name, $0.summary) }
    rows.append(row("overall", report.overall))
    var text = "model: \(report.model)\n" + table(["subset", "pairs", "accuracy", "mean margin"], rows)
    if !report.skipped.isEmpty { text += "\n(\(report.skipped.count) records skipped)" }
    return text
  }

  private func reportJSON(_ report: PairwiseReport) -> JSONValue {
    func summary(_ s: AccuracySummary) -> JSONValue {
      [
        "pairs": .int(Int64(s.pairs)), "correct": .int(Int64(s.correct)), "accuracy": .double(s.accuracy),
        "mean_margin": s.meanMargin.map(JSONValue.double) ?? .null,
      ]
    }
    var counts: [String: Int] = [:]
    for error in report.skipped { counts[error.kind.rawValue, default: 0] += 1 }
    let skippedByKind = JSONObject(counts.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int(Int64($0.value))) })
    return [
      "model": .string(report.model), "overall": summary(report.overall),
      "subsets": .object(JSONObject(report.subsets.map { ($0.name, summary($0.summary)) })),
      "skipped": .object(skippedByKind),
    ]
  }
}
