import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `reward train` as a user runs it: options checked before data, divergence reported, help
/// that reads at 80 columns, and checkpoints that survive a kill mid-overwrite.
@Suite(.serialized) struct TrainCommandTests {
  static let llmbar = Paths.shared("data/preference/llmbar-natural.json")

  /// Closed choices are enums checked when the command line is parsed, before any data is read
  /// (the data file here does not even exist).
  @Test(arguments: [
    (["--loss", "huber"], "--loss"), (["--aggregate", "median"], "--aggregate"), (["--head", "dpo"], "--head"),
    (["--head", "ensemble", "--members", "1"], "at least 2 members"),
    (["--head", "armo"], "--ratings"),
    (["--head", "regression", "--reward-weights", "helpfulness"], "--reward-weights"),
    (["--head", "gpm", "--calibrate"], "--calibrate"),
  ])
  func invalidOptionsFailBeforeReadingData(_ options: [String], _ named: String) throws {
    let result = try RewardBinary.run(["train", "/nonexistent/pairs.jsonl", "--out", "/tmp/unused"] + options)
    #expect(result.status != 0)
    #expect(result.stderr.contains(named), "\(result.stderr)")
    #expect(!result.stderr.contains("/nonexistent"), "\(result.stderr)")
  }

  /// 16.4: this crashed with SIGILL (index out of range after a NaN loss).
  @Test func divergenceIsACleanError() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try RewardBinary.run([
      "train", Self.llmbar, "--out", directory + "/ckpt", "--learning-rate", "1e30", "--buckets", "4096", "--quiet",
    ])
    #expect(result.status == 1, "status \(result.status): \(result.stderr)")
    #expect(result.stderr.contains("training diverged in epoch 1"), "\(result.stderr)")
    #expect(result.stderr.contains("learning rate"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: directory + "/ckpt"))
  }

  @Test func gpmCheckpointRecordsItsOwnObjective() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try RewardBinary.run([
      "train", Self.llmbar, "--out", directory + "/ckpt", "--head", "gpm", "--buckets", "4096", "--epochs", "2",
      "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let config = try String(contentsOfFile: directory + "/ckpt/config.json", encoding: .utf8)
    #expect(config.contains(#""objective": "general-preference""#))
    #expect(config.contains(#""head_family": "gpm""#))
  }

  /// Help is wrapped by argument-parser at 80 columns: no line is longer, and no line is a
  /// stranded word or two left over from re-wrapping a longer hard-broken line.
  @Test func helpReadsCleanlyAtEightyColumns() throws {
    let help = try RewardBinary.run(["train", "--help"])
    #expect(help.status == 0)
    let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    for (index, line) in lines.enumerated() {
      #expect(line.count <= 80, "line \(index + 1) is \(line.count) columns: \(line)")
    }
    let discussion = try #require(help.stdout.components(separatedBy: "USAGE:").first)
    let paragraphs = discussion.components(separatedBy: "\n\n")
    for paragraph in paragraphs {
      let lines = paragraph.split(separator: "\n")
      // A stranded word: a line of one or two words right after a full line (the wrapper pushed
      // it over), inside a paragraph (the paragraph's last line may be short).
      for (previous, line) in zip(lines, lines.dropFirst()).dropLast()
      where line.split(separator: " ").count <= 2 && previous.count >= 60 {
        Issue.record("stranded line in the help: '\(line)'")
      }
    }
  }

  /// 16.5: kill -9 during an overwrite left the new config.json with the old weights. Now every
  /// kill leaves a checkpoint that loads (its checksum matches) and is the old or the new one.
  @Test func killedOverwritesLeaveTheOldOrTheNewCheckpoint() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    func train(seed: Int, to path: String) throws {
      let result = try RewardBinary.run([
        "train", Self.llmbar, "--out", path, "--seed", String(seed), "--epochs", "2", "--quiet",
      ])
      try #require(result.status == 0, "\(result.stderr)")
    }
    func checksum(_ path: String) throws -> String {
      let data = try Data(contentsOf: URL(fileURLWithPath: path + "/config.json"))
      let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      return try #require((object["weights"] as? [String: Any])?["checksum"] as? String)
    }
    try train(seed: 1, to: directory + "/old")
    try train(seed: 2, to: directory + "/new")
    let (old, new) = (try checksum(directory + "/old"), try checksum(directory + "/new"))
    #expect(old != new)
    let target = directory + "/target"
    for trial in 0..<8 {
      try? FileManager.default.removeItem(atPath: target)
      try FileManager.default.copyItem(atPath: directory + "/old", toPath: target)
      let process = Process()
      guard let binary = RewardBinary.path else { throw RewardBinary.NotBuilt() }
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = ["train", Self.llmbar, "--out", target, "--seed", "2", "--epochs", "2", "--quiet"]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      usleep(UInt32(100_000 + 150_000 * trial))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let found = try checksum(target)
      #expect(found == old || found == new, "trial \(trial)")
      let score = try RewardBinary.run(
        ["score", "--model", target, "-"], stdin: #"{"prompt": "hi", "response": "hello"}"# + "\n")
      #expect(score.status == 0, "trial \(trial): \(score.stderr)")
    }
  }
}
