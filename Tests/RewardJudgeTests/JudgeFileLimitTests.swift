import Foundation
import RewardCore
import RewardSpec
import RewardYAML
import Testing

@testable import RewardJudge

/// Judge files are read by the same bounded reader as specs (RELIABILITY.md 16.11): an alias bomb,
/// deep nesting or a huge file is a located load error, never gigabytes of expansion or a crash.
@Suite struct JudgeFileLimitTests {
  func write(_ text: String, name: String = "judge.yaml") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("judge-limits-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func loadError(_ text: String, name: String = "judge.yaml") throws -> JudgeConfigurationError? {
    let path = try write(text, name: name)
    do {
      _ = try JudgeConfiguration.load(path: path, engineFactory: { _, _ in ScriptedEngine(texts: [""]) })
      return nil
    } catch let error as JudgeConfigurationError {
      #expect(error.file == path)
      return error
    }
  }

  /// Nine levels of ten aliases: 10⁹ values once expanded.
  static let aliasBomb: String = {
    var lines = ["mode: pairwise", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in 1...9 {
      lines.append("a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", "))]")
    }
    return lines.joined(separator: "\n") + "\nengine: {base_url: \"http://127.0.0.1:1/v1\", model: m}\n"
  }()

  @Test func anAliasBombInAJudgeFileStopsAtTheValueLimitWithItsLine() throws {
    let error = try #require(try loadError(Self.aliasBomb))
    #expect(error.message.contains("the judge file holds more than 100000 values once YAML aliases are expanded"))
    // Located: the key path inside the expansion and the line of the value that crossed the limit.
    #expect(error.field.hasPrefix("a"))
    #expect(error.message.contains("(line "))
  }

  @Test func deepNestingInAJudgeFileIsRejectedWithoutCrashing() throws {
    let yaml = "mode: pairwise\nsampling: " + String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
    let error = try #require(try loadError(yaml))
    #expect(error.message.contains("nested more than 64 levels"))
    #expect(error.field.hasPrefix("sampling"))
    let json =
      "{\"mode\": \"pairwise\", \"sampling\": " + String(repeating: "[", count: 100)
      + String(repeating: "]", count: 100) + "}"
    let jsonError = try #require(try loadError(json, name: "judge.json"))
    #expect(jsonError.message.contains("nested more than 64 levels"))
  }

  @Test func aHugeJudgeFileIsRejectedBeforeItIsRead() throws {
    let text = "mode: pairwise\n#" + String(repeating: "x", count: DocumentLimits.standard.maximumBytes)
    let error = try #require(try loadError(text))
    #expect(error.field == "(file)")
    #expect(error.message.contains("the judge file is \(text.utf8.count) bytes, over the limit of 1048576"))
  }

  @Test func aBrokenJudgeFileGivenAsAModelIsReportedAsAJudgeFile() throws {
    // `--model judge.yaml`: the loader recognises the judge file by its `mode:` even when it cannot
    // be read whole, so the message is the judge file's, not a spec's.
    let path = try write(Self.aliasBomb)
    #expect(JudgeConfiguration.isJudgeFile(path))
    #expect(throws: JudgeConfigurationError.self) { try ModelLoader.loadPreferenceModel(path) }
  }

  @Test func aSyntaxErrorHasItsLine() throws {
    let error = try #require(try loadError("mode: pairwise\nsampling: {temperature: 0\nengine: x\n"))
    #expect(error.message.hasPrefix("invalid YAML"))
    #expect(error.message.contains("(line "))
  }
}
