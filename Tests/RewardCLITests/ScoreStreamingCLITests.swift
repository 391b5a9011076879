import Foundation
import RewardCore
import Testing

/// `reward score` as a user runs it: the issue's record scores 1.0 (as over HTTP, see
/// RewardServerTests.SameRecordTests), output lines are the input lines with the reward appended,
/// and bad input stops with a located error and no output file.
struct ScoreStreamingCLITests {
  @Test func theSameRecordsScoreAsOverHTTPAndOutputEchoesEachLine() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "name: math\ncomponents:\n  - kind: math\n".write(
      toFile: directory + "/math.yaml", atomically: true, encoding: .utf8)
    let lines = [
      #"{"prompt": "What is 2+2?", "response": "The answer is \\boxed{4}", "answer": "4"}"#,
      #"{"prompt": "What is 2+3?", "response": "It is \\boxed{5}", "reference": 5}"#,
      #"{"prompt": "", "response": "\\boxed{41}", "ground_truth": "42"}"#,
    ]
    let result = try RewardBinary.run(
      ["score", "--spec", directory + "/math.yaml", "--batch-size", "2", "-"], stdin: lines.joined(separator: "\n"))
    #expect(result.status == 0, "\(result.stderr)")
    let output = result.stdout.split(separator: "\n").map(String.init)
    #expect(output.count == 3)
    for (line, written) in zip(lines, output) { #expect(written.hasPrefix(String(line.dropLast()) + ",\"reward\":")) }
    let rewards = try output.map { try JSONParser.parse($0).objectValue?["reward"]?.doubleValue }
    #expect(rewards == [1, 1, 0])

    let bad = lines[0] + "\n" + #"{"prompt": "p", "response": "4", "reference": ["4"]}"#
    let out = directory + "/out.jsonl"
    let failed = try RewardBinary.run(["score", "--spec", directory + "/math.yaml", "-o", out, "-"], stdin: bad)
    #expect(failed.status != 0)
    #expect(failed.stderr.contains("-:2: field 'reference': wrong type: expected the reference answer"))
    #expect(!FileManager.default.fileExists(atPath: out))  // no half-written output
  }
}
