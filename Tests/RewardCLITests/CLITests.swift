import Foundation
import RewardCore
import RewardTestSupport
import Testing

/// Runs the real `reward` binary, as a user would: the one this build made (the test target
/// depends on the `reward` product, so it is built first), never one found on `PATH`.
struct RewardBinary {
  /// Folders that hold the build's products: the test runner's (Linux: `/proc/self/exe`,
  /// `….build/debug/RewardKitPackageTests.xctest`) and the test bundle's (macOS `xctest`).
  static var productFolders: [URL] {
    var folders = [URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()]
    folders += Bundle.allBundles.filter { $0.bundlePath.hasSuffix(".xctest") }.map {
      $0.bundleURL.deletingLastPathComponent()
    }
    folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
    return folders
  }

  /// `$REWARD_BINARY` when set, else `reward` beside the test bundle; nil when neither exists.
  static let path: String? = {
    if let explicit = ProcessInfo.processInfo.environment["REWARD_BINARY"], !explicit.isEmpty { return explicit }
    return productFolders.map { $0.appendingPathComponent("reward").path }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }()

  struct NotBuilt: Error, CustomStringConvertible {
    var description: String {
      "the reward binary is not beside the test bundle (looked in "
        + RewardBinary.productFolders.map(\.path).joined(separator: ", ")
        + "); build it with `swift build --build-tests` or set REWARD_BINARY"
    }
  }

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
    guard let path else { throw NotBuilt() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read before waiting so a large output cannot fill the pipe and block the child.
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self))
  }
}

/// The first model's results in an `eval --json` report (schema 1: always a `models` list).
func firstModel(_ report: JSONValue) -> JSONObject? {
  report.objectValue?["models"]?.arrayValue?.first?.objectValue
}

enum Paths {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static func shared(_ relative: String) -> String {
    repository.deletingLastPathComponent().appendingPathComponent("shared/" + relative).path
  }
  static func fixture(_ name: String) -> String {
    repository.appendingPathComponent("Tests/RewardDataTests/Fixtures/" + name).path
  }
  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "rewardkit-cli-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

@Suite(.serialized) struct CLITests {
  @Test func inspectPrintsFormatCountsAndExample() throws {
    let result = try RewardBinary.run(["data", "inspect", Paths.shared("data/preference/llmbar-natural.json")])
    #expect(result.status == 0)
    #expect(result.stdout.contains("(format: llmbar)"))
    #expect(result.stdout.contains("pairs:   100"))
    #expect(result.stdout.contains("ties:    0"))
    #expect(result.stdout.contains("length in words"))
    #expect(result.stdout.contains("[chosen]"))
  }

  @Test func inspectJSONOnHHCountsTiesDuplicatesAndSkips() throws {
    let result = try RewardBinary.run([
      "data", "inspect", "--json", "--skip-invalid", Paths.shared("data/preference/hh-rlhf-helpful-base-test.jsonl.gz"),
    ])
    #expect(result.status == 0)
    let json = try JSONParser.parse(result.stdout).objectValue
    #expect(json?["schema_version"] == .int(1) && json?["command"] == "data inspect")
    #expect(json?["pairs"] == .int(2350))
    #expect(json?["skipped"] == .int(4))
    #expect(json?["identical_responses"] == .int(2))
    #expect(result.stderr.contains("skipped 4 invalid records: 4 × empty response"))
  }

  @Test func trainEvalScoreRoundTrip() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let data = Paths.shared("data/preference/llmbar-adversarial-neighbor.json")
    let checkpoint = directory + "/ckpt"
    let train = try RewardBinary.run(["train", data, "--out", checkpoint, "--seed", "3", "--epochs", "5", "--quiet"])
    #expect(train.status == 0, "\(train.stderr)")
    #expect(train.stdout.contains("saved \(checkpoint)"))
    #expect(train.stderr.isEmpty)  // --quiet

    let config = try JSONParser.parse(String(contentsOfFile: checkpoint + "/config.json", encoding: .utf8)).objectValue
    #expect(config?["format"] == "rewardkit-checkpoint")
    #expect(config?["featurizer"]?.objectValue?["kind"] == "hashed-ngrams")
    #expect(config?["training"]?.objectValue?["data_pairs"] == .int(134))
    #expect(config?["training"]?.objectValue?["data_hash"]?.stringValue?.count == 16)
    #expect(FileManager.default.fileExists(atPath: checkpoint + "/model.safetensors"))

    let eval = try RewardBinary.run(["eval", "--model", checkpoint, "--json", "--quiet", data])
    #expect(eval.status == 0, "\(eval.stderr)")
    let report = firstModel(try JSONParser.parse(eval.stdout))
    let overall = report?["overall"]?.objectValue
    #expect(overall?["pairs"] == .int(134))
    let correct = try #require(overall?["correct"]?.doubleValue)
    #expect(overall?["accuracy"]?.doubleValue == correct / 134)

    // Score chosen and rejected of the same file through stdin; the eval's accuracy must follow.
    let pairs = try #require(JSONParser.parse(String(contentsOfFile: data, encoding: .utf8)).arrayValue)
    var lines = ""
    for pair in pairs {
      let object = try #require(pair.objectValue)
      for key in ["output_1", "output_2"] {
        let record: JSONValue = ["prompt": object["input"]!, "response": object[key]!, "which": .string(key)]
        lines += record.jsonText + "\n"
      }
    }
    let score = try RewardBinary.run(["score", "--model", checkpoint, "-"], stdin: lines)
    #expect(score.status == 0, "\(score.stderr)")
    let scored = score.stdout.split(separator: "\n").map { try? JSONParser.parse(String($0)).objectValue }
    #expect(scored.count == 2 * pairs.count)
    #expect(scored.first??["which"] == "output_1")  // input fields are kept, in order
    var agree = 0
    for (index, pair) in pairs.enumerated() {
      let first = scored[2 * index]?["reward"]?.doubleValue ?? .nan
      let second = scored[2 * index + 1]?["reward"]?.doubleValue ?? .nan
      let label = pair.objectValue?["label"]?.doubleValue
      if (label == 1 && first > second) || (label == 2 && second > first) { agree += 1 }
    }
    #expect(Double(agree) == correct)
  }

  @Test func badInputExitsNonZeroWithAClearMessage() throws {
    let missing = try RewardBinary.run(["data", "inspect", "/nonexistent/file.jsonl"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("/nonexistent/file.jsonl: missing file: no such file"))

    let hh = Paths.shared("data/preference/hh-rlhf-helpful-base-test.jsonl.gz")
    let empty = try RewardBinary.run(["data", "inspect", hh])
    #expect(empty.status != 0)
    #expect(empty.stderr.contains("hh-rlhf-helpful-base-test.jsonl.gz:121: field 'rejected': empty response"))

    let ties = try RewardBinary.run(["train", Paths.fixture("autoj.jsonl"), "--out", "/tmp/unused", "--epochs", "0"])
    #expect(ties.status != 0)
    #expect(ties.stderr.contains("epochs must be ≥ 1"))
  }

  @Test func evalRejectsTiedLabelsUnlessSkipping() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let checkpoint = directory + "/ckpt"
    let train = try RewardBinary.run(["train", Paths.fixture("autoj.jsonl"), "--out", checkpoint, "--quiet"])
    #expect(train.status == 0, "\(train.stderr)")
    let strict = try RewardBinary.run(["eval", "--model", checkpoint, Paths.fixture("autoj.jsonl")])
    #expect(strict.status != 0)
    #expect(strict.stderr.contains("autoj.jsonl:3: tie"))
    let skipping = try RewardBinary.run([
      "eval", "--model", checkpoint, "--skip-invalid", "--json", Paths.fixture("autoj.jsonl"),
    ])
    #expect(skipping.status == 0)
    let report = firstModel(try JSONParser.parse(skipping.stdout))
    #expect(report?["overall"]?.objectValue?["pairs"] == .int(2))
    #expect(report?["skipped"]?.objectValue?["tie"] == .int(1))
    #expect(report?["subsets"]?.objectValue?.keys == ["chitchat", "code_generation"])
  }

  @Test func splitWritesReadableHalves() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try RewardBinary.run([
      "data", "split", Paths.shared("data/preference/llmbar-natural.json"), "--test-fraction", "0.3", "--seed", "1",
      "--train-out", directory + "/a.jsonl", "--test-out", directory + "/b.jsonl",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let inspect = try RewardBinary.run(["data", "inspect", "--json", directory + "/b.jsonl"])
    #expect(try JSONParser.parse(inspect.stdout).objectValue?["pairs"] == .int(30))
  }

  @Test func demoRunsEndToEnd() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try RewardBinary.run(["demo", "--out", directory + "/demo", "--quiet"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("2354 pairs → 1177 to train, 1177 held out"))
    #expect(result.stdout.contains("HH-RLHF helpful-base, held-out half"))
    #expect(FileManager.default.fileExists(atPath: directory + "/demo/config.json"))
  }

  @Test func scoreWithASpecComposingRulesAndACheckpoint() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let train = try RewardBinary.run([
      "train", Paths.shared("data/preference/llmbar-natural.json"), "--out", directory + "/ckpt", "--quiet",
    ])
    #expect(train.status == 0, "\(train.stderr)")
    let spec = """
      components:
        - kind: math
          weight: 1.0
        - kind: format
          pattern: '<think>[\\s\\S]*</think>'
          weight: 0.1
        - kind: checkpoint
          path: ckpt
          weight: 0.5
      normalize:
        method: group
      """
    try spec.write(toFile: directory + "/spec.yaml", atomically: true, encoding: .utf8)
    let input = [
      #"{"prompt": "2+2?", "response": "<think>easy</think> The answer is \\boxed{4}", "reference": "4", "group": "a"}"#,
      #"{"prompt": "2+2?", "response": "5", "reference": "4", "group": "a"}"#,
    ].joined(separator: "\n")
    let result = try RewardBinary.run(["score", "--spec", directory + "/spec.yaml", "-"], stdin: input)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)).objectValue }
    #expect(lines.count == 2)
    let components = lines.map { $0["components"]?.objectValue }
    #expect(components[0]?["math"] == .double(1) && components[1]?["math"] == .double(0))
    #expect(components[0]?["format"] == .double(1) && components[1]?["format"] == .double(0))
    #expect(components[0]?["checkpoint"]?.doubleValue != nil)
    // Group-normalised: the two rewards of group "a" are ±1 around their mean.
    let rewards = lines.compactMap { $0["reward"]?.doubleValue }
    try #require(rewards.count == 2)
    #expect(abs(rewards[0] + rewards[1]) < 1e-6 && rewards[0] > 0)

    let bad = try RewardBinary.run(["score", "--spec", directory + "/missing.yaml", "-"], stdin: input)
    #expect(bad.status != 0)
    let both = try RewardBinary.run(["score", "--spec", directory + "/spec.yaml", "--model", "x", "-"], stdin: input)
    #expect(both.status != 0 && both.stderr.contains("exactly one of --model and --spec"))
  }

  @Test(.enabled(if: MiniLM.isFetched, Comment(rawValue: MiniLM.skipReason)))
  func trainOnMiniLMEmbeddingsAndRebuildThePipelineFromTheCheckpoint() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let data = Paths.shared("data/preference/llmbar-natural.json")
    let train = try RewardBinary.run([
      "train", data, "--backbone", "minilm", "--out", directory + "/ckpt", "--quiet", "--epochs", "3",
    ])
    try #require(train.status == 0, "\(train.stderr)")
    let config = try JSONParser.parse(String(contentsOfFile: directory + "/ckpt/config.json", encoding: .utf8))
    let featurizer = config.objectValue?["featurizer"]?.objectValue
    #expect(featurizer?["kind"] == "encoder")
    #expect(featurizer?["backbone"] == "minilm")
    #expect(featurizer?["max_length"] == .int(256))
    #expect(config.objectValue?["head"]?.objectValue?["dimension"] == .int(384))
    // score and eval rebuild the same encoder from the checkpoint.
    let score = try RewardBinary.run(
      ["score", "--model", directory + "/ckpt", "-"], stdin: #"{"prompt": "Say hi.", "response": "Hello!"}"#)
    #expect(score.status == 0, "\(score.stderr)")
    #expect(try JSONParser.parse(score.stdout).objectValue?["reward"]?.doubleValue != nil)
    let eval = try RewardBinary.run(["eval", "--model", directory + "/ckpt", "--quiet", "--json", data])
    #expect(eval.status == 0, "\(eval.stderr)")
  }

  @Test func everyCommandHasHelp() throws {
    for command in [
      ["train"], ["eval"], ["score"], ["data", "inspect"], ["data", "split"], ["data", "strength"], ["demo"], ["serve"],
      ["embed"], ["backbone", "fetch"],
    ] {
      let result = try RewardBinary.run(command + ["--help"])
      #expect(result.status == 0)
      #expect(result.stdout.contains("USAGE:"))
      #expect(result.stdout.contains("OVERVIEW:"))
    }
  }
}
