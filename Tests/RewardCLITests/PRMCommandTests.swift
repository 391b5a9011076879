import Foundation
import RewardCore
import RewardTestSupport
import Testing

/// `reward prm score` and `reward prm eval` through the real binary.
struct PRMCommandTests {
  @Test func scoreWritesStepRewardsWithOffsetsAndShaping() throws {
    let input = """
      {"prompt": "Eggs?", "response": "16 - 3 = 13 eggs.\\n\\nShe sells 13 * 2 = $27.", "outcome": 0.5}
      {"problem": "p", "steps": ["2 + 2 = 4", "4 * 3 = 12"], "outcome": 1}
      """
    let result = try RewardBinary.run(
      ["prm", "score", "-", "--shaping", "delta", "--outcome-field", "outcome"], stdin: input)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map { try? JSONParser.parse(String($0)).objectValue }
    #expect(lines.count == 2)
    let first = try #require(lines[0])
    #expect(first["reward"] == .double(0))
    let stepValues = first["step_rewards"]?.arrayValue ?? []
    let steps = stepValues.compactMap { $0.objectValue }
    #expect(steps.count == 2)
    #expect(steps.map { $0["start"] } == [.int(0), .int(19)])
    #expect(steps.map { $0["end"] } == [.int(17), .int(42)])
    // Checker scores [1, 0] → delta [1, 0], plus the outcome 0.5 on the last step.
    #expect(steps.map { $0["reward"] } == [.double(1), .double(0.5)])
    let second = try #require(lines[1])
    #expect(second["response"] == .string("2 + 2 = 4\n\n4 * 3 = 12"))
    #expect(second["steps"] == ["2 + 2 = 4", "4 * 3 = 12"])
  }

  @Test func badRecordIsLocated() throws {
    let result = try RewardBinary.run(
      ["prm", "score", "-"], stdin: "{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": 3}\n")
    #expect(result.status != 0)
    #expect(result.stderr.contains("-:2: field 'prompt': wrong type"), "\(result.stderr)")
  }

  @Test func evalRefusesCalibratingOnTheTestFile() throws {
    let result = try RewardBinary.run(["prm", "eval", "--model", "step-check", "--calibration", "a.json", "a.json"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("also a test file"), "\(result.stderr)")
  }
}

/// A PRM checkpoint trained by `reward prm train` loads wherever `--model` is accepted.
struct PRMCheckpointCLITests {
  @Test func trainedPRMScoresThroughRewardScore() throws {
    let directory = NSTemporaryDirectory() + "rewardkit-prm-cli-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("RewardDataTests/Fixtures/process").path
    let train = try RewardBinary.run([
      "prm", "train", fixtures + "/trl-stepwise.jsonl", fixtures + "/math-shepherd.jsonl", "--output", directory,
      "--buckets", "1024", "--quiet",
    ])
    #expect(train.status == 0, "\(train.stderr)")
    let scored = try RewardBinary.run(
      ["score", "--model", directory, "-"], stdin: #"{"prompt": "q", "response": "a\n\nb"}"# + "\n")
    #expect(scored.status == 0, "\(scored.stderr)")
    #expect(scored.stdout.contains("\"reward\""), "\(scored.stdout)")
  }
}

/// `reward prm eval` with a generative critic (judge file, `mode: prm-critic`) on the real
/// llama-server that scripts/test.sh starts; skipped without it. Checks the wiring end to end:
/// the report is printed and every solution is either predicted or counted as unreadable.
struct PRMGenerativeCLITests {
  static let engineURL = ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_URL"]

  @Test(.enabled(if: engineURL != nil, "REWARDKIT_LLAMA_URL is not set (scripts/test.sh starts llama-server)"))
  func criticJudgeFileEvaluatesOnProcessBench() throws {
    let directory = NSTemporaryDirectory() + "rewardkit-prm-critic-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let judge = directory + "/critic.yaml"
    try """
    mode: prm-critic
    sampling: {max_tokens: 48}
    engine: {base_url: "\(Self.engineURL!)", model: smollm2}
    """.write(toFile: judge, atomically: true, encoding: .utf8)
    let data = SharedData.path("data/process/processbench-gsm8k.json")
    let result = try RewardBinary.run(["prm", "eval", "--model", judge, "--limit", "2", "--json", data])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try #require(JSONParser.parse(result.stdout).arrayValue?.first?.objectValue)
    let counted = (report["erroneous"]?.doubleValue ?? 0) + (report["correct"]?.doubleValue ?? 0)
    #expect(counted == 2)
    #expect(result.stderr.contains("judge: 2 items"), "\(result.stderr)")
  }
}
