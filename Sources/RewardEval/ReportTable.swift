import Foundation
import RewardCore

/// The terminal report of `reward eval`: one table per kind of result, models side by side
/// (columns) and data sets and their subsets as rows, as reward-bench prints them.
public enum ReportTable {
  public static func render(_ suite: SuiteReport) -> String {
    let names = suite.models.map(\.model)
    var parts: [String] = ["models: " + names.joined(separator: ", ")]
    func pct(_ value: Double?) -> String { value.map { format(100 * $0, 2) + "%" } ?? "–" }
    func accuracyCell(_ s: AccuracySummary?) -> String {
      guard let s, s.pairs > 0 else { return "–" }
      let ci = s.interval.map { " [\(format(100 * $0.lower, 1))–\(format(100 * $0.upper, 1))]" } ?? ""
      return pct(s.accuracy) + ci
    }
    let pairwise = suite.models.map(\.pairwise)
    if let first = pairwise.compactMap({ $0 }).first {
      parts.append(accuracyTable(first, pairwise, names: names, cell: accuracyCell, pct: pct))
      let diagnostics: [(String, (PairwiseReport) -> String)] = [
        ("mean margin", { $0.overall.meanMargin.map { format($0, 4) } ?? "–" }),
        ("acc. chosen longer", { accuracyCell($0.lengthBias?.chosenLonger) }),
        ("acc. chosen shorter", { accuracyCell($0.lengthBias?.chosenShorter) }),
        ("reward–length Spearman", { $0.lengthBias?.rewardLengthSpearman.map { format($0, 3) } ?? "–" }),
        ("ECE", { $0.calibration.map { format($0.expectedCalibrationError, 4) } ?? "–" }),
        ("Brier", { $0.calibration.map { format($0.brierScore, 4) } ?? "–" }),
        ("AUROC chosen vs rejected", { $0.detection?.auroc.map { format($0, 4) } ?? "–" }),
      ]
      parts.append(
        table(["diagnostic"] + names, diagnostics.map { name, value in [name] + pairwise.map { $0.map(value) ?? "–" } })
      )
      let skipped = first.skipped.count
      if skipped > 0 { parts.append("(\(skipped) records skipped)") }
      let nonFinite = zip(names, suite.models).compactMap { name, model in
        model.nonFiniteRewards.flatMap {
          $0 > 0 ? "\(name): \($0) non-finite rewards (their pairs count as wrong)" : nil
        }
      }
      if !nonFinite.isEmpty { parts.append(nonFinite.joined(separator: "\n")) }
    }
    let rewardBench = suite.models.map(\.rewardBench)
    if rewardBench.contains(where: { $0 != nil }) {
      var rows = RewardBench.sections.map { section in
        [section.name] + rewardBench.map { s in pct(s?.sections.first { $0.name == section.name }?.score) }
      }
      rows.append(["Prior Sets (0.5 weight)"] + rewardBench.map { pct($0?.priorSets) })
      rows.append(["RewardBench score"] + rewardBench.map { pct($0?.overall) })
      parts.append(table(["RewardBench section"] + names, rows))
    }
    let rb2 = suite.models.map(\.rewardBench2)
    if let first = rb2.compactMap({ $0 }).first {
      var rows = first.subsets.map { subset in
        [subset.name, String(subset.prompts)] + rb2.map { r in pct(r?.subsets.first { $0.name == subset.name }?.score) }
      }
      rows.append(["overall", ""] + rb2.map { pct($0?.overall) })
      parts.append(table(["RewardBench 2 subset", "prompts"] + names, rows))
    }
    let rm = suite.models.map(\.rmBench)
    if rm.contains(where: { $0 != nil }) {
      let rows = [("hard", \RMBench.Report.hard), ("normal", \.normal), ("easy", \.easy), ("total", \.total)].map {
        name, key in [name] + rm.map { pct($0?[keyPath: key]) }
      }
      parts.append(table(["RM-Bench"] + names, rows))
    }
    let curves = suite.models.map(\.bestOfN)
    if let reference = curves.compactMap({ $0 }).first {
      let rows = reference.points.indices.map { i in
        ["\(reference.points[i].n)"] + curves.map { pct($0?.points[i].model) }
          + [pct(reference.points[i].oracle), pct(reference.points[i].majority), pct(reference.points[i].random)]
      }
      parts.append(
        "best-of-n on \(reference.groups) prompts (\(reference.subsetsPerSize) random subsets per n)\n"
          + table(["n"] + names + ["oracle", "majority", "random"], rows))
    }
    let detections = suite.models.map(\.detection)
    if detections.contains(where: { $0 != nil }) {
      parts.append(
        table(
          ["detection", "positives", "negatives", "AUROC"],
          zip(names, detections).map { name, d in
            [
              name, d.map { String($0.positives) } ?? "–", d.map { String($0.negatives) } ?? "–",
              d?.auroc.map { format($0, 4) } ?? "–",
            ]
          }))
    }
    if !suite.agreements.isEmpty {
      parts.append(
        table(
          ["agreement", "with", "pairs", "rate", "Cohen's κ"],
          suite.agreements.map {
            [$0.first, $0.second, String($0.pairs), pct($0.rate), $0.cohensKappa.map { format($0, 3) } ?? "–"]
          }))
    }
    let generative = suite.models.compactMap { m in m.generative.map { (m.model, $0) } }
    if !generative.isEmpty {
      parts.append(generativeTable(generative, pct: pct))
    }
    let checks = suite.models.compactMap { m in m.positionCheck.map { (m.model, $0) } }
    if !checks.isEmpty {
      parts.append(
        table(
          ["position check", "consistent", "first preferred"],
          checks.map { [$0.0, pct($0.1.consistency), pct($0.1.firstPreferred)] }))
    }
    return parts.joined(separator: "\n\n")
  }

  /// Generative judges under RewardBench's rules: score, outcomes and what the judge cost.
  static func generativeTable(_ models: [(String, GenerativeEvaluation)], pct: (Double?) -> String) -> String {
    let rows = models.map { name, g -> [String] in
      let counts = GenerativeScoring.Outcome.allCases.map { String(g.outcomes[$0] ?? 0) }.joined(separator: "/")
      let judge = g.judge
      return [
        name, g.rule, String(g.items), pct(g.score), counts, judge.map { pct($0.parseFailureRate) } ?? "–",
        pct(judge?.consistencyRate), pct(judge?.firstPositionWinRate),
        judge.map { "\($0.promptTokens)+\($0.completionTokens)" } ?? "–",
      ]
    }
    return table(
      [
        "generative judge", "rule", "items", "score", "win/loss/tie/error", "unparseable", "order consistent",
        "first-position wins", "tokens (prompt+completion)",
      ], rows)
  }

  /// Accuracy per data set (each input file) and subset, then the pooled figure; with several
  /// data sets also their unweighted mean. One file: its subsets, then `overall`.
  static func accuracyTable(
    _ first: PairwiseReport, _ pairwise: [PairwiseReport?], names: [String],
    cell: (AccuracySummary?) -> String, pct: (Double?) -> String
  ) -> String {
    func subsetRows(
      _ subsets: [(name: String, summary: AccuracySummary)], indent: String,
      of find: (PairwiseReport) -> [(name: String, summary: AccuracySummary)]
    ) -> [[String]] {
      subsets.map { subset in
        [indent + subset.name, String(subset.summary.pairs)]
          + pairwise.map { p in cell(p.flatMap { find($0).first { $0.name == subset.name }?.summary }) }
      }
    }
    let header = ["pairs"] + names.map { "\($0) (95% CI)" }
    guard first.dataSets.count > 1 else {
      var rows = subsetRows(first.subsets, indent: "", of: \.subsets)
      rows.append(["overall", String(first.overall.pairs)] + pairwise.map { cell($0?.overall) })
      return table(["subset"] + header, rows)
    }
    var rows: [[String]] = []
    for dataSet in first.dataSets {
      let find = { (report: PairwiseReport) in report.dataSets.first { $0.file == dataSet.file } }
      rows.append([dataSet.name, String(dataSet.overall.pairs)] + pairwise.map { cell($0.flatMap(find)?.overall) })
      rows += subsetRows(dataSet.subsets, indent: "  ", of: { find($0)?.subsets ?? [] })
    }
    rows.append(["all pairs (pooled)", String(first.overall.pairs)] + pairwise.map { cell($0?.overall) })
    rows.append(["mean of data sets", ""] + pairwise.map { pct($0?.dataSetMean) })
    return table(["data set / subset"] + header, rows)
  }
}

/// Plain-text tables for terminal reports.
public enum TextTable {
  /// Aligned columns under a header and a rule: the first left-aligned, the rest right-aligned.
  public static func render(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { column in
      ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { index, cell in
        index == 0
          ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
          : String(repeating: " ", count: widths[index] - cell.count) + cell
      }.joined(separator: "  ")
    }
    return ([line(header), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + rows.map(line))
      .joined(separator: "\n")
  }

  /// `value` with `digits` decimals.
  public static func number(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
  }
}

private func table(_ header: [String], _ rows: [[String]]) -> String { TextTable.render(header, rows) }
private func format(_ value: Double, _ digits: Int) -> String { TextTable.number(value, digits) }
