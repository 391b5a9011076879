import Foundation
import RewardCore
import RewardData
import Testing

@testable import RewardEval

/// Each input file is its own data set in every report (issue 15.3), and `--json` has one shape
/// whatever the number of models (15.9).
@Suite struct DataSetReportTests {
  static let files = [
    SharedData.path("data/preference/hh-rlhf-helpful-base-test.jsonl.gz"),
    SharedData.path("data/preference/llmbar-natural.json"),
    SharedData.path("data/preference/llmbar-adversarial-neighbor.json"),
  ]

  static func pairs() throws -> [PreferencePair] {
    // HH-RLHF helpful-base has 4 records with an empty response: skipped, as `--skip-invalid` does.
    try PreferenceReader.read(files, options: ReadOptions(skipInvalid: true)).strictPairs(skipInvalid: true).pairs
  }

  static func suite(models: [LengthModel]) async throws -> SuiteReport {
    let pairs = try pairs()
    var evaluations: [ModelEvaluation] = []
    for model in models {
      evaluations.append(
        try await EvaluationSuite.evaluate(
          model, inputs: EvaluationInputs(pairs: pairs), options: EvaluationOptions(bootstrapResamples: 50)))
    }
    return SuiteReport(title: "data sets", dataFiles: files, models: evaluations)
  }

  @Test func everyFileIsItsOwnDataSetWithItsOwnAccuracy() async throws {
    let pairs = try Self.pairs()
    let report = try #require(try await Self.suite(models: [LengthModel()]).models[0].pairwise)
    #expect(report.dataSets.map(\.name) == Self.files.map { ($0 as NSString).lastPathComponent })
    #expect(report.dataSets.map(\.file) == Self.files)
    #expect(report.dataSets.map(\.overall.pairs) == [2_350, 100, 134])
    for (dataSet, file) in zip(report.dataSets, Self.files) {
      // The length model's accuracy on a file is computed from that file's pairs alone.
      let own = pairs.filter { $0.source.file == file }
      #expect(dataSet.overall.correct == own.count(where: { $0.chosen.count > $0.rejected.count }))
    }
    #expect(report.overall.pairs == 2_584)
    #expect(report.overall.correct == report.dataSets.map(\.overall.correct).reduce(0, +))
    let mean = try #require(report.dataSetMean)
    #expect(abs(mean - report.dataSets.map(\.overall.accuracy).reduce(0, +) / 3) < 1e-12)
  }

  @Test func terminalTableHasARowPerDataSetAndThePooledFigure() async throws {
    let suite = try await Self.suite(models: [LengthModel(), LengthModel(name: "shorter", sign: -1)])
    let text = ReportTable.render(suite)
    for name in ["hh-rlhf-helpful-base-test.jsonl.gz", "llmbar-natural.json", "llmbar-adversarial-neighbor.json"] {
      let row = try #require(text.split(separator: "\n").first { $0.hasPrefix(name) }, "no row for \(name)")
      // One accuracy cell per model (columns are models).
      #expect(row.components(separatedBy: "%").count - 1 == 2, "\(row)")
    }
    #expect(text.contains("all pairs (pooled)"))
    #expect(text.contains("mean of data sets"))
  }

  @Test func jsonHasDataSetsPerModel() async throws {
    let suite = try await Self.suite(models: [LengthModel()])
    let json = try #require(ReportJSON.encode(suite).objectValue)
    let model = try #require(json["models"]?.arrayValue?.first?.objectValue)
    let dataSets = try #require(model["data_sets"]?.arrayValue)
    #expect(dataSets.count == 3)
    #expect(
      dataSets.map { $0.objectValue?["name"]?.stringValue } == [
        "hh-rlhf-helpful-base-test.jsonl.gz", "llmbar-natural.json", "llmbar-adversarial-neighbor.json",
      ])
    #expect(dataSets[1].objectValue?["overall"]?.objectValue?["pairs"]?.doubleValue == 100)
    #expect(model["data_set_mean"]?.doubleValue != nil)
  }

  @Test func htmlShowsEachDataSet() async throws {
    let html = ReportHTML.render(try await Self.suite(models: [LengthModel()]))
    #expect(html.contains("llmbar-adversarial-neighbor.json"))
    #expect(html.contains("data-set-accuracy"))
  }

  /// The keys and value kinds of a JSON value, with arrays reduced to their first element: what a
  /// script reading the report depends on.
  static func shape(_ value: JSONValue) -> String {
    if let object = value.objectValue {
      return "{" + object.entries.map { "\($0.key):\(shape($0.value))" }.joined(separator: ",") + "}"
    }
    if let array = value.arrayValue { return "[" + (array.first.map(shape) ?? "") + "]" }
    return value.typeName
  }

  @Test func jsonHasOneShapeForOneOrTwoModels() async throws {
    let one = ReportJSON.encode(try await Self.suite(models: [LengthModel()]))
    let two = ReportJSON.encode(try await Self.suite(models: [LengthModel(), LengthModel(name: "b", sign: -1)]))
    #expect(one.objectValue?["schema_version"]?.doubleValue == Double(ReportJSON.schemaVersion))
    #expect(one.objectValue?["models"]?.arrayValue?.count == 1)
    #expect(two.objectValue?["models"]?.arrayValue?.count == 2)
    let oneModel = try #require(one.objectValue?["models"]?.arrayValue?.first)
    let twoModel = try #require(two.objectValue?["models"]?.arrayValue?.first)
    // Same keys at the top and in each model (timing aside, whose numbers differ but keys do not).
    #expect(one.objectValue?.entries.map(\.key) == two.objectValue?.entries.map(\.key))
    #expect(Self.shape(oneModel) == Self.shape(twoModel))
  }

  @Test func pairsFromLabelledGroupsAreOneDataSetNotOnePerGroup() async throws {
    let groups = try GSM8KGroups.read(SharedData.path("data/math/gsm8k-test.jsonl"), limit: 10)
    let pairs = EvaluationInputs.pairs(from: groups, subset: "gsm8k")
    let report = try await PairwiseEvaluation.evaluate(
      LengthModel(), pairs: pairs, options: EvaluationOptions(bootstrapResamples: 0))
    #expect(report.dataSets.map(\.name) == ["gsm8k"])
    #expect(report.dataSets.first?.overall.pairs == pairs.count)
  }

  @Test func shortNamesTellFilesApart() {
    #expect(DataSetNames.short(["a/x.json", "b/y.json"]) == ["x.json", "y.json"])
    #expect(DataSetNames.short(["a/x.json", "b/x.json"]) == ["a/x.json", "b/x.json"])
    #expect(DataSetNames.short(["x.json"]) == ["x.json"])
  }
}
