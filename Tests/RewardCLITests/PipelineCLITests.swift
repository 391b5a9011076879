import Foundation
import RewardCore
import Testing

/// The pipeline stages through the real binary: scored on the fly with a rule spec, paired,
/// trained into a Bradley–Terry checkpoint, relabelled by it, and selected for SFT.
struct PipelineCLITests {
  /// Eight GSM8K prompts with four responses each: two with the right final answer.
  func groupsFile(_ directory: String) throws -> String {
    let text = try String(contentsOfFile: Paths.shared("data/math/gsm8k-test.jsonl"), encoding: .utf8)
    var out = ""
    for line in text.split(separator: "\n").prefix(8) {
      let record = try JSONParser.parse(String(line)).objectValue!
      let answer = record["answer"]!.stringValue!.components(separatedBy: "#### ").last!
      var group = JSONObject()
      group["prompt"] = record["question"]
      group["responses"] = [
        .string("Working it out carefully, the answer is \(answer)."), .string("It is \(answer)7."),
        .string("#### \(answer)"), .string("Probably \(answer)9, I think, roughly."),
      ]
      group["reference"] = record["answer"]
      out += JSONValue.object(group).jsonText + "\n"
    }
    let path = directory + "/groups.jsonl"
    try out.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test(.enabled(if: FileManager.default.fileExists(atPath: Paths.shared("data/math/gsm8k-test.jsonl"))))
  func scorePairTrainLabelSelect() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let groups = try groupsFile(directory)
    let spec = directory + "/spec.yaml"
    try """
    name: math-length
    components:
      - {kind: math, weight: 1.0}
      - {kind: length, target: 40, weight: 0.1}
    """.write(toFile: spec, atomically: true, encoding: .utf8)

    let pairs = directory + "/pairs.jsonl"
    let pairing = try RewardBinary.run([
      "data", "pairs", groups, "--model", spec, "--rule", "all", "--margin", "0.5", "-o", pairs,
    ])
    #expect(pairing.status == 0, "\(pairing.stderr)")
    // Per prompt: 2 correct × 2 wrong pairs kept; the correct/correct and wrong/wrong pairs differ by
    // length only (gap < 0.5) and are dropped.
    #expect(pairing.stderr.contains("8 groups → 32 pairs; 16 ties or near-ties"), "\(pairing.stderr)")

    let checkpoint = directory + "/bt"
    let train = try RewardBinary.run(["train", pairs, "--out", checkpoint, "--seed", "3", "--epochs", "5", "--quiet"])
    #expect(train.status == 0, "\(train.stderr)")

    let label = try RewardBinary.run(["data", "label", pairs, "--model", checkpoint, "--flip-below", "0.1"])
    #expect(label.status == 0, "\(label.stderr)")
    let labelled = label.stdout.split(separator: "\n")
    #expect(labelled.count == 32)
    #expect(labelled.allSatisfy { $0.contains("\"model_probability\":") })
    #expect(label.stderr.contains("Cohen's κ"))

    let scored = try RewardBinary.run(["data", "score", groups, "--model", spec])
    #expect(scored.status == 0, "\(scored.stderr)")
    let select = try RewardBinary.run(["data", "select", "-", "--top-k", "1"], stdin: scored.stdout)
    #expect(select.status == 0, "\(select.stderr)")
    let selected = select.stdout.split(separator: "\n")
    #expect(selected.count == 8)
    #expect(selected.allSatisfy { $0.hasPrefix("{\"messages\":") && $0.contains("\"rank\":1") })
  }

  @Test func badInputAndMissingEngineAreClearErrors() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/bad.jsonl"
    try
      "{\"prompt\":\"a\",\"responses\":[\"x\"],\"rewards\":[1]}\n{\"prompt\":\"a\",\"responses\":[\"x\",\"y\"],\"rewards\":[1]}\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    let result = try RewardBinary.run(["data", "pairs", path])
    #expect(result.status != 0)
    #expect(result.stderr.contains("bad.jsonl:2: field 'rewards'"), "\(result.stderr)")

    let prompts = directory + "/prompts.jsonl"
    try "{\"prompt\":\"a\"}\n".write(toFile: prompts, atomically: true, encoding: .utf8)
    let sample = try RewardBinary.run(
      ["data", "sample", prompts, "--engine-url", "http://127.0.0.1:9/v1", "--engine-model", "m"])
    #expect(sample.status != 0)
    // Nothing listens on the discard port: the error names the engine, after fast-failing retries.
    #expect(sample.stderr.contains("127.0.0.1:9"), "\(sample.stderr)")
  }
}

/// The whole online loop of issue 14 on a real engine: llama-server with SmolLM2-135M-Instruct
/// (started by scripts/test.sh, which sets REWARDKIT_LLAMA_URL) samples responses to GSM8K and
/// MT-Bench prompts, a math + length spec scores them, pairs are built and trained into a Bradley–Terry
/// checkpoint, and `reward eval` reads that checkpoint. A 135M model rarely solves GSM8K; the
/// length rule keeps rewards apart so pairs exist either way — the point is the protocol.
struct OnlineLoopOnRealEngineTests {
  static let engineURL = ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_URL"]

  @Test(.enabled(if: engineURL != nil, "REWARDKIT_LLAMA_URL is not set (scripts/test.sh starts llama-server)"))
  func sampleScorePairTrainEval() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let text = try String(contentsOfFile: Paths.shared("data/math/gsm8k-test.jsonl"), encoding: .utf8)
    var prompts = ""
    for (index, line) in text.split(separator: "\n").prefix(6).enumerated() {
      let record = try JSONParser.parse(String(line)).objectValue!
      var prompt = JSONObject()
      prompt["id"] = .string("gsm8k-\(index)")
      prompt["prompt"] = record["question"]
      prompt["answer"] = .string(record["answer"]!.stringValue!.components(separatedBy: "#### ").last!)
      prompts += JSONValue.object(prompt).jsonText + "\n"
    }
    // Two MT-Bench questions as they are in the file (`turns`): no reference, so the math rule is
    // not applicable and the length rule alone ranks their responses.
    let mtBench = try String(contentsOfFile: Paths.shared("data/judge/mt-bench-questions.jsonl"), encoding: .utf8)
    prompts += mtBench.split(separator: "\n").prefix(2).map { String($0) + "\n" }.joined()
    try prompts.write(toFile: directory + "/prompts.jsonl", atomically: true, encoding: .utf8)
    try """
    components:
      - {kind: math, weight: 1.0}
      - {kind: length, target: 30, weight: 0.2}
    """.write(toFile: directory + "/spec.yaml", atomically: true, encoding: .utf8)

    let groups = directory + "/groups.jsonl"
    let sample = try RewardBinary.run([
      "data", "sample", directory + "/prompts.jsonl", "-o", groups, "--engine-url", Self.engineURL!,
      // A second replica that is down: requests fail over to the live one.
      "--engine-url", "http://127.0.0.1:9/v1",
      "--engine-model", "smollm2", "-n", "4", "--max-tokens", "48", "--temperature", "0.9", "--seed", "11",
      "--concurrency", "4",
    ])
    #expect(sample.status == 0, "\(sample.stderr)")
    let sampled = try String(contentsOfFile: groups, encoding: .utf8).split(separator: "\n")
    #expect(sampled.count == 8)
    for line in sampled {
      let group = try JSONParser.parse(String(line)).objectValue!
      #expect(group["responses"]?.arrayValue?.count == 4)
      #expect(group["answer"] != nil || group["turns"] != nil, "the prompt's other fields reach the group")
      #expect(group["generation"]?.objectValue?["seed"] != nil)
    }

    // A rerun over the finished file resumes with nothing left to do: the file is unchanged.
    let before = try Data(contentsOf: URL(fileURLWithPath: groups))
    let rerun = try RewardBinary.run([
      "data", "sample", directory + "/prompts.jsonl", "-o", groups, "--engine-url", Self.engineURL!,
      "--engine-model", "smollm2", "-n", "4", "--max-tokens", "48", "--temperature", "0.9", "--seed", "11",
    ])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: groups)) == before)

    let pairs = directory + "/pairs.jsonl"
    let pairing = try RewardBinary.run([
      "data", "pairs", groups, "--model", directory + "/spec.yaml", "--rule", "all", "--margin", "0.001", "-o", pairs,
    ])
    #expect(pairing.status == 0, "\(pairing.stderr)")
    let pairLines = try String(contentsOfFile: pairs, encoding: .utf8).split(separator: "\n")
    #expect(pairLines.count >= 6, "\(pairing.stderr)")

    let checkpoint = directory + "/bt"
    let train = try RewardBinary.run(["train", pairs, "--out", checkpoint, "--seed", "1", "--epochs", "5", "--quiet"])
    #expect(train.status == 0, "\(train.stderr)")
    let eval = try RewardBinary.run(["eval", "--model", checkpoint, pairs, "--json"])
    #expect(eval.status == 0, "\(eval.stderr)")
    let report = try JSONParser.parse(eval.stdout).objectValue!
    #expect(report["schema_version"] != nil)
    #expect(report["models"]?.arrayValue?.count == 1)
  }
}
