import Foundation
import RewardCore
import RewardTestSupport
import Testing

/// `reward eval` and `reward score` as a user runs them: one data set per file, one JSON shape
/// (issue 15.3, 15.9), and non-finite rewards reported instead of crashing or written as null
/// (issue 16.3).
@Suite struct EvalReportCLITests {
  static let natural = Paths.shared("data/preference/llmbar-natural.json")
  static let adversarial = Paths.shared("data/preference/llmbar-adversarial-neighbor.json")

  /// A spec whose total overflows on every response (two maximal weights: the weights' sum is +∞,
  /// and the weighted total ∞ · ∞/∞ is NaN): a model that gives a non-finite reward, as a
  /// checkpoint with NaN weights would.
  static let overflowingSpec = """
    components:
      - {kind: format, name: a, pattern: '[\\s\\S]', weight: 1.0e308}
      - {kind: format, name: b, pattern: '[\\s\\S]', weight: 1.0e308}
    """

  /// A spec of one rule: response contains a question mark (a cheap, deterministic model).
  static let questionSpec = "components:\n  - {kind: format, pattern: '\\?'}\n"

  func write(_ text: String, _ name: String, in directory: String) throws -> String {
    let path = directory + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func theBinaryIsTheOneThisBuildMade() throws {
    let path = try #require(RewardBinary.path, "\(RewardBinary.NotBuilt())")
    #expect(FileManager.default.isExecutableFile(atPath: path))
    let version = try RewardBinary.run(["--version"])
    #expect(version.status == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
  }

  @Test func evalReportsEachFileAsItsOwnDataSet() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let spec = try write(Self.questionSpec, "question.yaml", in: directory)
    let html = directory + "/report.html"
    let run = try RewardBinary.run([
      "eval", "--model", spec, "--no-cache", "--quiet", "--html", html, Self.natural, Self.adversarial,
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let rows = run.stdout.split(separator: "\n")
    let natural = try #require(rows.first { $0.hasPrefix("llmbar-natural.json") })
    let adversarial = try #require(rows.first { $0.hasPrefix("llmbar-adversarial-neighbor.json") })
    #expect(natural.contains(" 100 ") && adversarial.contains(" 134 "))
    #expect(rows.contains { $0.hasPrefix("all pairs (pooled)") && $0.contains(" 234 ") })
    #expect(try String(contentsOfFile: html, encoding: .utf8).contains("data-set-accuracy"))

    let json = try RewardBinary.run([
      "eval", "--model", spec, "--no-cache", "--quiet", "--json", Self.natural, Self.adversarial,
    ])
    let model = try #require(firstModel(try JSONParser.parse(json.stdout)))
    let dataSets = (model["data_sets"]?.arrayValue ?? []).compactMap(\.objectValue)
    #expect(dataSets.map { $0["file"]?.stringValue } == [Self.natural, Self.adversarial])
    #expect(dataSets.map { $0["overall"]?.objectValue?["pairs"] } == [.int(100), .int(134)])
  }

  @Test func evalJSONHasTheSameShapeForOneAndTwoModels() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let spec = try write(Self.questionSpec, "question.yaml", in: directory)
    let other = try write("components:\n  - {kind: format, pattern: '\\n'}\n", "newline.yaml", in: directory)
    func report(_ models: [String]) throws -> JSONObject {
      let run = try RewardBinary.run(
        ["eval", "--no-cache", "--quiet", "--json", "--bootstrap", "0"] + models.flatMap { ["--model", $0] }
          + [Self.natural])
      #expect(run.status == 0, "\(run.stderr)")
      return try #require(JSONParser.parse(run.stdout).objectValue)
    }
    let one = try report([spec])
    let two = try report([spec, other])
    #expect(one["schema_version"] == .int(1) && two["schema_version"] == .int(1))
    #expect(one.keys == two.keys)
    #expect(one["models"]?.arrayValue?.count == 1 && two["models"]?.arrayValue?.count == 2)
    let first = try #require(one["models"]?.arrayValue?.first?.objectValue)
    let same = try #require(two["models"]?.arrayValue?.first?.objectValue)
    #expect(first.keys == same.keys)
    #expect(first["overall"] == same["overall"])
  }

  @Test func scoreStopsOnANonFiniteRewardUnlessAskedToMarkIt() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let spec = try write(Self.overflowingSpec, "overflow.yaml", in: directory)
    let input = try write(
      #"{"prompt": "p", "response": "r"}"# + "\n" + #"{"prompt": "q", "response": "s"}"# + "\n", "in.jsonl",
      in: directory)
    let strict = try RewardBinary.run(["score", "--spec", spec, input])
    #expect(strict.status == 1, "\(strict.stderr)")
    #expect(strict.stderr.contains("model 'overflow' gave a non-finite reward (NaN) for \(input):1"))
    #expect(!strict.stdout.contains("null"))
    let marked = try RewardBinary.run(["score", "--spec", spec, "--keep-non-finite", input])
    #expect(marked.status == 0, "\(marked.stderr)")
    let lines = marked.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)).objectValue }
    #expect(lines.count == 2)
    #expect(lines.allSatisfy { $0["reward"] == .null && $0["invalid"] == "non-finite reward: NaN" })
    #expect(marked.stderr.contains("2 records got a non-finite reward"))
  }

  @Test func evalReportsNonFiniteRewardsInsteadOfCrashing() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let spec = try write(Self.overflowingSpec, "overflow.yaml", in: directory)
    let strict = try RewardBinary.run(["eval", "--model", spec, "--no-cache", "--quiet", Self.natural])
    // An error exit (1), not a signal: the old main died with SIGILL in the calibration bins.
    #expect(strict.status == 1, "\(strict.stderr)")
    #expect(strict.stderr.contains("model 'overflow' gave a non-finite reward (NaN) for \(Self.natural)"))
    let counted = try RewardBinary.run([
      "eval", "--model", spec, "--no-cache", "--quiet", "--json", "--allow-non-finite", Self.natural,
    ])
    #expect(counted.status == 0, "\(counted.stderr)")
    let model = try #require(firstModel(try JSONParser.parse(counted.stdout)))
    #expect(model["non_finite_rewards"] == .int(200))
    #expect(model["non_finite_pairs"] == .int(100))
    #expect(model["overall"]?.objectValue?["correct"] == .int(0))
  }
}
