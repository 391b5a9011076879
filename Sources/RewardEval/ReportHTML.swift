import Foundation
import RewardCore

/// A self-contained HTML report (inline CSS and SVG, no scripts to run, nothing fetched): tables of
/// every headline number and charts comparing the models. The full JSON report is embedded too.
/// Each chart is a `<figure data-chart="…" data-points="n">` whose SVG has n data marks.
public enum ReportHTML {
  public static func render(_ suite: SuiteReport) -> String {
    let names = suite.models.map(\.model)
    var body = "<h1>\(e(suite.title))</h1>"
    body += "<p class=\"meta\">Data: \(suite.dataFiles.map { "<code>\(e($0))</code>" }.joined(separator: ", "))</p>"
    body += summaryTable(suite)
    body += dataSetChart(suite, names: names)
    body += subsetChart(suite, names: names)
    body += rewardBenchSection(suite, names: names)
    body += rewardBench2Section(suite, names: names)
    body += rmBenchSection(suite, names: names)
    body += bestOfNChart(suite)
    body += calibrationChart(suite)
    body += lengthSection(suite, names: names)
    body += detectionTable(suite)
    body += agreementTable(suite)
    body += positionTable(suite)
    body += generativeTable(suite)
    let json = ReportJSON.encode(suite).jsonText.replacingOccurrences(of: "</", with: "<\\/")
    body += "<script type=\"application/json\" id=\"report-data\">\(json)</script>"
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>\(e(suite.title))</title>
      <style>
      body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
      h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
      table{border-collapse:collapse;margin:8px 0;font-size:13px}
      th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
      th{background:#f4f4f4}.meta{color:#555;font-size:13px}figure{margin:8px 0}
      figcaption{font-size:12px;color:#555;max-width:760px}
      </style></head><body>
      \(body)
      </body></html>

      """
  }

  static func e(_ text: String) -> String { SVGChart.escape(text) }
  static func pct(_ value: Double?) -> String { value.map { String(format: "%.1f%%", 100 * $0) } ?? "–" }
  static func num(_ value: Double?, _ digits: Int = 3) -> String {
    guard let value, value.isFinite else { return "–" }
    return String(format: "%.\(digits)f", value)
  }

  static func table(_ header: [String], _ rows: [[String]]) -> String {
    var html = "<table><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
    for row in rows { html += "<tr>" + row.map { "<td>\(e($0))</td>" }.joined() + "</tr>" }
    return html + "</table>"
  }

  static func figure(_ name: String, points: Int, svg: String, caption: String) -> String {
    "<figure data-chart=\"\(name)\" data-points=\"\(points)\">\(svg)<figcaption>\(e(caption))</figcaption></figure>"
  }

  static func summaryTable(_ suite: SuiteReport) -> String {
    let rows: [[String]] = suite.models.map { m in
      let p = m.pairwise
      let ci = p?.overall.interval.map { "\(pct($0.lower))–\(pct($0.upper))" } ?? "–"
      return [
        m.model, p.map { String($0.overall.pairs) } ?? "–", pct(p?.overall.accuracy), ci,
        num(p?.calibration?.expectedCalibrationError), num(p?.calibration?.brierScore), num(p?.detection?.auroc),
        num(p?.lengthBias?.rewardLengthSpearman), m.seconds.map { String(format: "%.2f s", $0) } ?? "–",
      ]
    }
    let nonFinite = suite.models.compactMap { m in
      m.nonFiniteRewards.flatMap { $0 > 0 ? "\(m.model): \($0) non-finite rewards (their pairs count as wrong)" : nil }
    }
    let warning = nonFinite.map { "<p class=\"meta\">\(e($0))</p>" }.joined()
    return "<h2>Summary</h2>" + warning
      + table(
        ["model", "pairs", "accuracy", "95% CI", "ECE", "Brier", "AUROC", "reward–length ρ", "time"], rows)
  }

  static func subsetChart(_ suite: SuiteReport, names: [String]) -> String {
    let reports = suite.models.map(\.pairwise)
    guard reports.contains(where: { $0 != nil }) else { return "" }
    let labels = unionInOrder(reports.map { $0?.subsets.map(\.name) ?? [] }) + ["overall"]
    let bars = BarTable(labels: labels, models: reports.count) { label, series in
      let report = reports[series]
      let summary = label == "overall" ? report?.overall : report?.subsets.first { $0.name == label }?.summary
      guard let summary, summary.pairs > 0 else { return (nil, "–") }
      return (
        .init(series: series, value: summary.accuracy, lower: summary.interval?.lower, upper: summary.interval?.upper),
        "\(pct(summary.accuracy)) (n=\(summary.pairs))"
      )
    }
    return barSection(
      "Pairwise accuracy by subset", chart: "subset-accuracy", bars, names: names, firstColumn: "subset",
      yLabel: "strict pairwise accuracy",
      caption: "Bars: strict accuracy (a tied score counts as wrong); whiskers: seeded bootstrap 95% interval.")
  }

  /// One group of bars per input file, then the pooled accuracy and the mean over files (shown
  /// only when there are several files: with one, it is the overall bar below).
  static func dataSetChart(_ suite: SuiteReport, names: [String]) -> String {
    let reports = suite.models.map(\.pairwise)
    guard reports.contains(where: { ($0?.dataSets.count ?? 0) > 1 }) else { return "" }
    let pooled = "all pairs (pooled)"
    let mean = "mean of data sets"
    let labels = unionInOrder(reports.map { $0?.dataSets.map(\.name) ?? [] }) + [pooled, mean]
    let bars = BarTable(labels: labels, models: reports.count) { label, series in
      let report = reports[series]
      if label == mean {
        let value = report?.dataSetMean
        return (value.map { .init(series: series, value: $0) }, pct(value))
      }
      let summary = label == pooled ? report?.overall : report?.dataSets.first { $0.name == label }?.overall
      guard let summary, summary.pairs > 0 else { return (nil, "–") }
      return (
        .init(series: series, value: summary.accuracy, lower: summary.interval?.lower, upper: summary.interval?.upper),
        "\(pct(summary.accuracy)) (n=\(summary.pairs))"
      )
    }
    return barSection(
      "Pairwise accuracy by data set", chart: "data-set-accuracy", bars, names: names, firstColumn: "data set",
      yLabel: "strict pairwise accuracy",
      caption: "One group per input file; pooled: every pair of every file; mean: the files' accuracies "
        + "averaged with equal weight. Whiskers: seeded bootstrap 95% interval.")
  }

  static func rewardBenchSection(_ suite: SuiteReport, names: [String]) -> String {
    let scores = suite.models.map(\.rewardBench)
    guard scores.contains(where: { $0 != nil }) else { return "" }
    let sections = RewardBench.sections.map(\.name) + ["Prior Sets (0.5 weight)", "Score"]
    let bars = BarTable(labels: sections, models: scores.count) { section, series in
      let s = scores[series]
      let value: Double? =
        section == "Score"
        ? s?.overall : section.hasPrefix("Prior") ? s?.priorSets : s?.sections.first { $0.name == section }?.score
      return (value.map { .init(series: series, value: $0) }, pct(value))
    }
    return barSection(
      "RewardBench sections", chart: "rewardbench-sections", bars, names: names, firstColumn: "section",
      yLabel: "score",
      caption: "Sections: example-count-weighted means of their subsets (math-prm weighted 984); "
        + "score: sections weight 2, prior sets weight 1.")
  }

  static func rewardBench2Section(_ suite: SuiteReport, names: [String]) -> String {
    let reports = suite.models.map(\.rewardBench2)
    guard reports.contains(where: { $0 != nil }) else { return "" }
    let labels = unionInOrder(reports.map { $0?.subsets.map(\.name) ?? [] }) + ["overall"]
    let bars = BarTable(labels: labels, models: reports.count) { label, series in
      let report = reports[series]
      let value = label == "overall" ? report?.overall : report?.subsets.first { $0.name == label }?.score
      return (value.map { .init(series: series, value: $0) }, pct(value))
    }
    return barSection(
      "RewardBench 2 (best-of-4)", chart: "rewardbench2-subsets", bars, names: names, firstColumn: "subset",
      yLabel: "score",
      caption: "Per prompt: 1 when the chosen response scores highest, 1/k when k responses tie at the top; "
        + "Ties subset: its weighted accuracy-and-margin formula; overall: mean of subsets.")
  }

  /// Every name of every list, once, in order of first appearance (subsets across models).
  static func unionInOrder(_ lists: [[String]]) -> [String] {
    var names: [String] = []
    for name in lists.joined() where !names.contains(name) { names.append(name) }
    return names
  }

  /// A heading, a grouped bar chart (one group per label, one bar per model) and the same numbers
  /// as a table.
  static func barSection(
    _ title: String, chart: String, _ bars: BarTable, names: [String], firstColumn: String, yLabel: String,
    caption: String
  ) -> String {
    "<h2>\(e(title))</h2>"
      + figure(
        chart, points: bars.points, svg: SVGChart.bars(groups: bars.groups, seriesNames: names, yLabel: yLabel),
        caption: caption)
      + table([firstColumn] + names, bars.rows)
  }

  static func rmBenchSection(_ suite: SuiteReport, names: [String]) -> String {
    let reports = suite.models.map(\.rmBench)
    guard reports.contains(where: { $0 != nil }) else { return "" }
    var html = "<h2>RM-Bench</h2>"
    var groups: [(label: String, bars: [SVGChart.Bar])] = []
    for (label, key) in [("hard", \RMBench.Report.hard), ("normal", \.normal), ("easy", \.easy), ("total", \.total)] {
      groups.append(
        (
          label,
          reports.enumerated().compactMap { series, r in r.map { .init(series: series, value: $0[keyPath: key]) } }
        ))
    }
    html += figure(
      "rmbench-difficulty", points: groups.map(\.bars.count).reduce(0, +),
      svg: SVGChart.bars(groups: groups, seriesNames: names, yLabel: "accuracy"),
      caption: "Hard: plainer chosen vs fancier rejected style (above the diagonal); easy: below it.")
    let styles = ["concise", "detailed", "markdown"]
    for (name, report) in zip(names, reports) {
      guard let cells = report?.overall.cells else { continue }
      html += "<p><b>\(e(name))</b>: chosen style (rows) vs rejected style (columns)</p>"
      html += table(
        [""] + cells.indices.map { $0 < styles.count ? styles[$0] : "\($0 + 1)" },
        cells.enumerated().map {
          [$0.offset < styles.count ? styles[$0.offset] : "\($0.offset + 1)"] + $0.element.map { pct($0) }
        })
    }
    return html
  }

  static func bestOfNChart(_ suite: SuiteReport) -> String {
    let curves = suite.models.map(\.bestOfN)
    guard let reference = curves.compactMap({ $0 }).first, let maxN = reference.points.map(\.n).max() else { return "" }
    var lines: [SVGChart.Line] = []
    for (series, curve) in curves.enumerated() {
      guard let curve else { continue }
      lines.append(
        .init(
          name: suite.models[series].model, points: curve.points.map { (Double($0.n), $0.model) },
          color: SVGChart.color(series), dashed: false))
    }
    lines.append(
      .init(name: "oracle", points: reference.points.map { (Double($0.n), $0.oracle) }, color: "#222", dashed: true))
    lines.append(
      .init(
        name: "majority vote", points: reference.points.map { (Double($0.n), $0.majority) }, color: "#888", dashed: true
      ))
    lines.append(
      .init(name: "random", points: reference.points.map { (Double($0.n), $0.random) }, color: "#bbb", dashed: true))
    let svg = SVGChart.lines(
      lines, xRange: 1...Double(max(2, maxN)), yRange: 0...1, xLabel: "n (responses per prompt)",
      yLabel: "accuracy of the pick", xTicks: (1...maxN).map(Double.init))
    let rows = reference.points.indices.map { i -> [String] in
      ["\(reference.points[i].n)"] + curves.map { pct($0?.points[i].model) }
        + [pct(reference.points[i].oracle), pct(reference.points[i].majority), pct(reference.points[i].random)]
    }
    return "<h2>Best-of-n</h2>"
      + figure(
        "best-of-n", points: lines.map(\.points.count).reduce(0, +), svg: svg,
        caption: "\(reference.groups) prompts, \(reference.subsetsPerSize) seeded random subsets per n.")
      + table(["n"] + suite.models.map(\.model) + ["oracle", "majority", "random"], rows)
  }

  static func calibrationChart(_ suite: SuiteReport) -> String {
    var lines: [SVGChart.Line] = []
    for (series, model) in suite.models.enumerated() {
      guard let bins = model.pairwise?.calibration?.bins else { continue }
      lines.append(
        .init(
          name: model.model, points: bins.map { ($0.meanPredicted, $0.observed) }, color: SVGChart.color(series),
          dashed: false))
    }
    guard !lines.isEmpty else { return "" }
    let svg = SVGChart.lines(
      lines, xRange: 0...1, yRange: 0...1, xLabel: "predicted P(a ≻ b) = σ(r_a − r_b)", yLabel: "observed frequency",
      xTicks: stride(from: 0.0, through: 1.0, by: 0.1).map { $0 }, diagonal: true)
    return "<h2>Calibration (reliability diagram)</h2>"
      + figure(
        "reliability", points: lines.map(\.points.count).reduce(0, +), svg: svg,
        caption: "Each pair counts in both orders; equal-width bins; the dotted diagonal is perfect calibration.")
  }

  static func lengthSection(_ suite: SuiteReport, names: [String]) -> String {
    let biases = suite.models.map { $0.pairwise?.lengthBias }
    guard biases.contains(where: { $0 != nil }) else { return "" }
    var lines: [SVGChart.Line] = []
    var lowest = Double.infinity
    var highest = -Double.infinity
    var longest = 1.0
    for (series, bias) in biases.enumerated() {
      guard let bias, !bias.bins.isEmpty else { continue }
      lines.append(
        .init(
          name: names[series], points: bias.bins.map { ($0.meanLength, $0.meanReward) }, color: SVGChart.color(series),
          dashed: false))
      lowest = min(lowest, bias.bins.map(\.meanReward).min()!)
      highest = max(highest, bias.bins.map(\.meanReward).max()!)
      longest = max(longest, bias.bins.map(\.meanLength).max()!)
    }
    var html = "<h2>Length bias</h2>"
    if !lines.isEmpty {
      let pad = max(1e-6, (highest - lowest) * 0.1)
      let ticks = (0...5).map { longest * Double($0) / 5 }.map { $0.rounded() }
      html += figure(
        "length-reward", points: lines.map(\.points.count).reduce(0, +),
        svg: SVGChart.lines(
          lines, xRange: 0...longest, yRange: (lowest - pad)...(highest + pad), xLabel: "response length (words)",
          yLabel: "mean reward", xTicks: ticks),
        caption: "Mean reward of responses binned by length (equal-count bins).")
    }
    var groups: [(label: String, bars: [SVGChart.Bar])] = []
    for (label, key) in [("chosen longer", \LengthBias.chosenLonger), ("chosen shorter", \.chosenShorter)] {
      groups.append(
        (
          label,
          biases.enumerated().compactMap { series, bias in
            guard let s = bias?[keyPath: key], s.pairs > 0 else { return nil }
            return .init(series: series, value: s.accuracy, lower: s.interval?.lower, upper: s.interval?.upper)
          }
        ))
    }
    html += figure(
      "length-accuracy", points: groups.map(\.bars.count).reduce(0, +),
      svg: SVGChart.bars(groups: groups, seriesNames: names, yLabel: "accuracy"),
      caption: "Accuracy on pairs where the chosen response is longer vs shorter than the rejected one.")
    html += table(
      ["model", "chosen longer", "chosen shorter", "same length", "Pearson r", "Spearman ρ"],
      zip(names, biases).map { name, b in
        [
          name, b.map { "\(pct($0.chosenLonger.accuracy)) (n=\($0.chosenLonger.pairs))" } ?? "–",
          b.map { "\(pct($0.chosenShorter.accuracy)) (n=\($0.chosenShorter.pairs))" } ?? "–",
          b.map { String($0.sameLength) } ?? "–", num(b?.rewardLengthPearson), num(b?.rewardLengthSpearman),
        ]
      })
    return html
  }

  static func detectionTable(_ suite: SuiteReport) -> String {
    let rows = suite.models.compactMap { m in
      m.detection.map { [m.model, String($0.positives), String($0.negatives), num($0.auroc, 4)] }
    }
    guard !rows.isEmpty else { return "" }
    return "<h2>Detection (AUROC of the reward)</h2>"
      + "<p class=\"meta\">Positives: correct best-of-n responses, or the labelled class of a detection file.</p>"
      + table(["model", "positives", "negatives", "AUROC"], rows)
  }

  static func agreementTable(_ suite: SuiteReport) -> String {
    guard !suite.agreements.isEmpty else { return "" }
    return "<h2>Agreement between models</h2>"
      + table(
        ["first", "second", "pairs", "agreement", "Cohen's κ"],
        suite.agreements.map { [$0.first, $0.second, String($0.pairs), pct($0.rate), num($0.cohensKappa)] })
  }

  static func generativeTable(_ suite: SuiteReport) -> String {
    let models = suite.models.compactMap { m in m.generative.map { (m.model, $0) } }
    guard !models.isEmpty else { return "" }
    return "<h2>Generative judge (RewardBench rules)</h2>"
      + table(
        [
          "model", "rule", "items", "score", "win", "loss", "tie", "error", "unparseable", "order consistent",
          "first-position wins", "prompt tokens", "completion tokens",
        ],
        models.map { name, g in generativeRow(name, g) })
  }

  static func generativeRow(_ name: String, _ g: GenerativeEvaluation) -> [String] {
    var row: [String] = [name, g.rule, String(g.items), pct(g.score)]
    for outcome in GenerativeScoring.Outcome.allCases { row.append(String(g.outcomes[outcome] ?? 0)) }
    let judge = g.judge
    row.append(judge.map { pct($0.parseFailureRate) } ?? "–")
    row.append(pct(judge?.consistencyRate))
    row.append(pct(judge?.firstPositionWinRate))
    row.append(judge.map { String($0.promptTokens) } ?? "–")
    row.append(judge.map { String($0.completionTokens) } ?? "–")
    return row
  }

  static func positionTable(_ suite: SuiteReport) -> String {
    let checks = suite.models.compactMap { m in m.positionCheck.map { (m.model, $0) } }
    guard !checks.isEmpty else { return "" }
    return "<h2>Position check</h2>"
      + table(
        ["model", "pairs", "consistent", "first preferred", "acc. chosen first", "acc. chosen second"],
        checks.map {
          [
            $0.0, String($0.1.pairs), pct($0.1.consistency), pct($0.1.firstPreferred), pct($0.1.accuracyChosenFirst),
            pct($0.1.accuracyChosenSecond),
          ]
        })
  }
}

/// Bars grouped by label with one bar per model, and the matching table rows (label, then one cell
/// per model), built from one function that gives each model's bar (nil: none) and cell text.
struct BarTable {
  var groups: [(label: String, bars: [SVGChart.Bar])] = []
  var rows: [[String]] = []

  init(labels: [String], models: Int, cell: (_ label: String, _ series: Int) -> (bar: SVGChart.Bar?, text: String)) {
    for label in labels {
      let cells = (0..<models).map { cell(label, $0) }
      groups.append((label, cells.compactMap(\.bar)))
      rows.append([label] + cells.map(\.text))
    }
  }

  /// How many bars the chart draws (a report's test checks every chart has its data).
  var points: Int { groups.map(\.bars.count).reduce(0, +) }
}
