import Foundation
import RewardCore
import Testing

/// `reward eval --benchmark best-of-n` on a user's file gives the same report as the built-in GSM8K
/// builder on the same groups.
@Suite struct EvalBestOfNTests {
  static let fixture = Paths.repository.appendingPathComponent(
    "Tests/RewardEvalTests/Fixtures/gsm8k-bon-groups.jsonl.gz"
  )
  .path

  func report(_ arguments: [String]) throws -> JSONObject {
    let run = try RewardBinary.run(["eval", "--json", "--quiet", "--no-cache"] + arguments)
    #expect(run.status == 0, "\(run.stderr)")
    return try #require(firstModel(JSONParser.parse(run.stdout)))
  }

  @Test func aFileOfGroupsReportsAsTheBuilderDoes() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // The math verifier as the model: it needs the groups' references to score.
    let spec = directory + "/math.json"
    try #"{"components": [{"kind": "math"}]}"#.write(toFile: spec, atomically: true, encoding: .utf8)
    let file = try report(["--model", spec, "--benchmark", "best-of-n", Self.fixture])
    let built = try report([
      "--model", spec, "--benchmark", "gsm8k-bon", "--limit", "12", Paths.shared("data/math/gsm8k-test.jsonl"),
    ])
    let curve = try #require(file["best_of_n"]?.objectValue)
    #expect(curve == built["best_of_n"]?.objectValue)
    #expect(curve["groups"] == .int(12))
    #expect(file["detection"] == built["detection"])
    #expect(file["overall"]?.objectValue?["accuracy"] == built["overall"]?.objectValue?["accuracy"])
    // The verifier agrees with the labels, so its pick is the oracle's at every n.
    for point in curve["points"]?.arrayValue ?? [] {
      let object = try #require(point.objectValue)
      #expect(object["model"] == object["oracle"])
    }
  }

  @Test func badGroupsExitWithFileLineAndField() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let data = directory + "/groups.jsonl"
    let lines = #"""
      {"prompt": "p", "outputs": ["a", "b"], "ok": [true, false]}
      {"prompt": "q", "outputs": ["c", "d"], "ok": [true]}
      """#
    try lines.write(toFile: data, atomically: true, encoding: .utf8)
    let spec = directory + "/length.json"
    try #"{"components": [{"kind": "length", "target": 10}]}"#.write(toFile: spec, atomically: true, encoding: .utf8)
    let strict = try RewardBinary.run([
      "eval", "--model", spec, "--benchmark", "best-of-n", "--response-field", "outputs", "--label-field", "ok", data,
    ])
    #expect(strict.status != 0)
    #expect(
      strict.stderr.contains(
        "groups.jsonl:2: field 'ok': invalid value: 1 label for 2 responses in 'outputs'; expected one label per response"
      ), "\(strict.stderr)")
    let skipping = try RewardBinary.run([
      "eval", "--model", spec, "--benchmark", "best-of-n", "--response-field", "outputs", "--label-field", "ok",
      "--skip-invalid", "--no-cache", "--json", data,
    ])
    #expect(skipping.status == 0, "\(skipping.stderr)")
    #expect(skipping.stderr.contains("skipped 1 invalid record"))
    let report = firstModel(try JSONParser.parse(skipping.stdout))
    #expect(report?["best_of_n"]?.objectValue?["groups"] == .int(1))
    let misplaced = try RewardBinary.run(["eval", "--model", spec, "--response-field", "outputs", data])
    #expect(misplaced.status != 0)
    #expect(misplaced.stderr.contains("apply to --benchmark best-of-n"))
  }
}
