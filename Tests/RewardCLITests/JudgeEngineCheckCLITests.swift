import Foundation
import RewardCore
import RewardTestSupport
import Testing

/// `reward score`, `eval` and `serve` with a judge whose engine is down stop at start with a
/// message naming the engine's URL (and how to skip the check), not at the first item.
@Suite struct JudgeEngineCheckCLITests {
  /// Port 1 on loopback: nothing listens there, so a connection is refused at once.
  static let closedURL = "http://127.0.0.1:1/v1"

  func files() throws -> (judge: String, spec: String, data: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-check-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let judge = directory.appendingPathComponent("judge.yaml").path
    try """
    mode: pointwise
    template: builtin:pointwise
    retries: 0
    engine: {base_url: "\(Self.closedURL)", model: m, max_retries: 0, timeout_s: 5}
    """.write(toFile: judge, atomically: true, encoding: .utf8)
    let spec = directory.appendingPathComponent("spec.yaml").path
    try "components:\n  - {kind: judge, name: style, file: judge.yaml}\n"
      .write(toFile: spec, atomically: true, encoding: .utf8)
    let data = directory.appendingPathComponent("items.jsonl").path
    try #"{"prompt": "2+2?", "response": "4"}"#.write(toFile: data, atomically: true, encoding: .utf8)
    return (judge, spec, data)
  }

  func expectStartCheckFailure(
    _ result: RewardBinary.Result, file: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) {
    #expect(result.status != 0, sourceLocation: sourceLocation)
    #expect(result.stderr.contains(Self.closedURL), "\(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.contains(file), "\(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.contains("--no-engine-check"), "\(result.stderr)", sourceLocation: sourceLocation)
  }

  @Test func scoreAndEvalStopAtStartNamingTheEngineURL() throws {
    let (judge, spec, data) = try files()
    expectStartCheckFailure(try RewardBinary.run(["score", "--model", judge, data, "--quiet"]), file: judge)
    expectStartCheckFailure(try RewardBinary.run(["score", "--spec", spec, data, "--quiet"]), file: judge)
    expectStartCheckFailure(
      try RewardBinary.run([
        "eval", "--benchmark", "rewardbench", "--model", judge, Paths.shared("data/preference/llmbar-natural.json"),
        "--limit", "2", "--quiet",
      ]), file: judge)
  }

  @Test func theCheckCanBeSkipped() throws {
    let (judge, _, data) = try files()
    // Skipped, the judge reaches the engine per item: the first item fails (no verdict, NaN), not the start.
    let result = try RewardBinary.run(["score", "--model", judge, data, "--quiet", "--no-engine-check"])
    #expect(!result.stderr.contains("--no-engine-check"), "\(result.stderr)")
    #expect(result.stderr.contains("items.jsonl:1"), "\(result.stderr)")
  }

  @Test func serveStopsBeforeListening() throws {
    let (judge, _, _) = try files()
    expectStartCheckFailure(try RewardBinary.run(["serve", "--model", judge, "--port", "0"]), file: judge)
  }
}
