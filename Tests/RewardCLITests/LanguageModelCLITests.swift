import Foundation
import RewardCore
import RewardTestSupport
import Testing

/// `reward backbone template` and `reward embed --tokens` on SmolLM2, against transformers'
/// outputs recorded in Tests/RewardLMTests/Fixtures (chat_templates/cases.json,
/// smollm2/tokenizer_cases.json).
enum SmolLM2Cache {
  static var isFetched: Bool {
    FileManager.default.fileExists(
      atPath: CacheRoot.folder("models") + "/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf")
  }
}

@Suite(.enabled(if: SmolLM2Cache.isFetched, "smollm2 is not fetched: reward backbone fetch smollm2"))
struct LanguageModelCLITests {
  static let fixtures = Paths.repository.appendingPathComponent("Tests/RewardLMTests/Fixtures").path

  static func fixture(_ name: String) throws -> [JSONObject] {
    let json = try JSONParser.parse(String(contentsOfFile: fixtures + "/" + name, encoding: .utf8))
    return (json.objectValue?["cases"]?.arrayValue ?? []).compactMap(\.objectValue)
  }

  @Test func templateRendersAsApplyChatTemplate() throws {
    let cases = try Self.fixture("chat_templates/cases.json").filter {
      $0["template"] == "smollm2" && $0["error"]?.isNull != false
    }
    #expect(cases.count >= 10)
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let input = cases.map { item in
      JSONValue.object(
        JSONObject([
          ("id", item["id"]!), ("messages", item["messages"]!),
          ("add_generation_prompt", item["add_generation_prompt"]!),
        ])
      ).jsonText
    }.joined(separator: "\n")
    try input.write(toFile: directory + "/conversations.jsonl", atomically: true, encoding: .utf8)
    let result = try RewardBinary.run(["backbone", "template", "smollm2", directory + "/conversations.jsonl"])
    try #require(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == cases.count)
    for (line, item) in zip(lines, cases) {
      let object = try #require(try JSONParser.parse(line).objectValue)
      #expect(object["id"] == item["id"])
      #expect(object["text"] == item["expected"], "\(item["id"]?.stringValue ?? "?")")
    }
  }

  @Test func templateErrorsNameTheLine() throws {
    let result = try RewardBinary.run(
      ["backbone", "template", "smollm2", "-"],
      stdin: #"{"messages": [{"role": "user", "content": "hi"}]}"# + "\n" + #"{"messages": "hi"}"#)
    #expect(result.status != 0)
    #expect(result.stderr.contains("<stdin>:2") && result.stderr.contains("messages"))
  }

  /// Ids as tokenizer(text, add_special_tokens=False). The fixture's ids come from transformers'
  /// GGUF loader, whose split differs from SmolLM2's own tokenizer only where whitespace runs into
  /// a digit (documented in LMFixtureParityTests); everywhere else they must be identical.
  @Test func tokensAreTheTokenizersIDs() throws {
    let cases = try Self.fixture("smollm2/tokenizer_cases.json")
    #expect(cases.count > 200)
    let input = cases.map { JSONValue.string($0["text"]?.stringValue ?? "").jsonText }.joined(separator: "\n")
    let result = try RewardBinary.run(["embed", "--backbone", "smollm2", "--tokens", "--quiet", "-"], stdin: input)
    try #require(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    // Every line is a JSON string, so none is skipped as blank.
    let written = cases
    #expect(lines.count == written.count)
    var differing = 0
    for (line, item) in zip(lines, written) {
      let object = try #require(try JSONParser.parse(line).objectValue)
      #expect(object["text"] == item["text"])
      guard object["tokens"] != item["ids"] else { continue }
      differing += 1
      let scalars = Array((item["text"]?.stringValue ?? "").unicodeScalars)
      let spaceThenDigit = zip(scalars, scalars.dropFirst()).contains {
        $0.properties.isWhitespace && $1.properties.numericType != nil
      }
      #expect(spaceThenDigit, "\(item["id"]?.stringValue ?? "?")")
    }
    #expect(differing <= 5)
  }

  @Test func infoReadsTheGGUFMetadata() throws {
    let result = try RewardBinary.run(["backbone", "info", "smollm2", "--json"])
    try #require(result.status == 0, "\(result.stderr)")
    let info = try #require(try JSONParser.parse(result.stdout).objectValue)
    #expect(info["architecture"] == "llama")
    #expect(info["layers"] == 30)
    #expect(info["hidden_size"] == 576)
    #expect(info["vocabulary"] == 49152)
    #expect(info["chat_template"] == true)
  }

  @Test func embeddingsOfALanguageModelAreRefusedWithAdvice() throws {
    let result = try RewardBinary.run(["embed", "--backbone", "smollm2", "-"], stdin: "hello\n")
    #expect(result.status != 0)
    #expect(result.stderr.contains("--tokens"))
  }
}
