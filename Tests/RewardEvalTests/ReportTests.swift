import Foundation
import RewardCore
import RewardData
import Testing

@testable import RewardEval

@Suite struct ReportTests {
  /// Two models on real data: LLMBar pairs plus GSM8K best-of-8, plus small RewardBench 2 and RM-Bench inputs.
  static func suite() async throws -> SuiteReport {
    let dataset = try PreferenceReader.read([SharedData.path("data/preference/llmbar-natural.json")])
    let gsm8k = try GSM8KGroups.read(SharedData.path("data/math/gsm8k-test.jsonl"), limit: 20)
    let pairs = try dataset.strictPairs(skipInvalid: false).pairs
    let rb2 = pairs.prefix(6).enumerated().map { index, pair in
      ResponseGroup(
        prompt: pair.prompt, chosen: [pair.chosen], rejected: [pair.rejected, pair.rejected + " x", "no"],
        subset: index < 3 ? "Focus" : "Math", source: pair.source)
    }
    let rm = pairs.prefix(4).map { pair in
      ResponseGroup(
        prompt: pair.prompt, chosen: [pair.chosen, pair.chosen + " More.", pair.chosen + "\n- more"],
        rejected: [pair.rejected, pair.rejected + " More.", pair.rejected + "\n- more"], subset: "chat",
        source: pair.source)
    }
    var models: [ModelEvaluation] = []
    for model in [LengthModel(name: "longer is better"), LengthModel(name: "shorter <is> better", sign: -1)] {
      let options = EvaluationOptions(bootstrapResamples: 100)
      var evaluation = try await EvaluationSuite.evaluate(
        model, inputs: EvaluationInputs(pairs: pairs, groups: rb2, labeledGroups: gsm8k), options: options,
        bestOfNSubsets: 8, positionCheck: true)
      evaluation.rmBench = try await EvaluationSuite.evaluate(
        model, inputs: EvaluationInputs(groups: rm, groupsAreRMBench: true), options: options
      ).rmBench
      models.append(evaluation)
    }
    return SuiteReport(title: "test report", dataFiles: ["llmbar-natural.json"], models: models)
  }

  @Test func htmlIsSelfContainedWellFormedAndEveryChartHasItsData() async throws {
    let suite = try await Self.suite()
    let html = ReportHTML.render(suite)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    // No network: nothing to fetch (the SVG namespace is an identifier, not a request).
    let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
    #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
    #expect(!html.contains("<script src") && !html.contains("<link"))
    try checkWellFormed(html)

    let figures = html.components(separatedBy: "<figure ").dropFirst()
    let names = figures.compactMap { $0.split(separator: "\"").dropFirst().first.map(String.init) }
    #expect(
      Set(names) == [
        "subset-accuracy", "rewardbench2-subsets", "rmbench-difficulty", "best-of-n", "reliability", "length-reward",
        "length-accuracy",
      ])
    for figure in figures {
      let body = String(figure[..<figure.range(of: "</figure>")!.lowerBound])
      let declared = Int(body.components(separatedBy: "data-points=\"")[1].prefix { $0.isNumber }) ?? -1
      let bars = body.components(separatedBy: "<rect class=\"mark\"").count - 1
      let circles = body.components(separatedBy: "<circle").count - 1
      #expect(declared > 0, "chart without data: \(body.prefix(60))")
      #expect(bars + circles == declared, "\(body.prefix(60))")
    }
    // Escaped model names; the two models' bars both present.
    #expect(html.contains("shorter &lt;is&gt; better"))
    // The embedded JSON parses and holds both models.
    let start = try #require(html.range(of: "<script type=\"application/json\" id=\"report-data\">"))
    let end = try #require(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
    let json = try JSONParser.parse(
      String(html[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "<\\/", with: "</"))
    #expect(json.objectValue?["models"]?.arrayValue?.count == 2)
  }

  @Test func jsonHoldsEveryMeasurement() async throws {
    let suite = try await Self.suite()
    let json = try #require(ReportJSON.encode(suite).objectValue)
    let first = try #require(json["models"]?.arrayValue?.first?.objectValue)
    for key in [
      "overall", "subsets", "length_bias", "calibration", "auroc_chosen_vs_rejected", "rewardbench2", "rm_bench",
      "best_of_n", "position_check", "detection",
    ] {
      #expect(first[key] != nil, "missing \(key)")
    }
    let agreement = try #require(json["agreement"]?.arrayValue?.first?.objectValue)
    // Opposite models: they agree only on pairs of equal length (both wrong: tie).
    #expect((agreement["rate"]?.doubleValue ?? 1) < 0.1)
    // Round trip through text.
    #expect(try JSONParser.parse(ReportJSON.encode(suite).jsonText) == ReportJSON.encode(suite))
  }

  /// Tags balance (void and self-closed elements aside); a minimal XML-ish well-formedness check.
  func checkWellFormed(_ html: String) throws {
    var stack: [String] = []
    var rest = Substring(html)
    let void: Set<String> = ["meta", "!DOCTYPE", "br", "hr", "img", "input", "link"]
    while let open = rest.firstIndex(of: "<") {
      guard let close = rest[open...].firstIndex(of: ">") else {
        Issue.record("unclosed tag")
        return
      }
      let tag = rest[rest.index(after: open)..<close]
      rest = rest[rest.index(after: close)...]
      if tag.hasPrefix("/") {
        let name = String(tag.dropFirst())
        #expect(stack.last == name, "</\(name)> closes <\(stack.last ?? "nothing")>")
        if stack.last == name { stack.removeLast() }
        if name == "script" || name == "style" { continue }
      } else if !tag.hasSuffix("/") {
        let name = String(tag.prefix { $0 != " " })
        if void.contains(name) { continue }
        stack.append(name)
        if name == "script" || name == "style", let end = rest.range(of: "</\(name)>") {
          rest = rest[end.lowerBound...]
        }
      }
    }
    #expect(stack.isEmpty, "unclosed: \(stack)")
  }
}
