import Foundation
import RewardCore
import RewardTestSupport
import Testing

/// `reward train --backbone engine:URL#MODEL`: heads on an engine's /v1/embeddings.
@Suite struct EngineBackboneCLITests {
  static let embeddingsURL = ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_EMBEDDINGS_URL"]

  @Test func aBackboneWithoutAModelIsAClearError() throws {
    let data = Paths.shared("data/preference/llmbar-natural.json")
    let result = try RewardBinary.run([
      "train", data, "--backbone", "engine:http://127.0.0.1:9/v1", "--out", NSTemporaryDirectory() + "never",
    ])
    #expect(result.status != 0)
    #expect(result.stderr.contains("expected engine:URL#MODEL"))
  }

  /// Against the real llama-server that scripts/test.sh starts with --embeddings: train on a
  /// slice of LLMBar, then score through the checkpoint, which names the engine.
  @Test(.enabled(if: embeddingsURL != nil, "REWARDKIT_LLAMA_EMBEDDINGS_URL is not set (scripts/test.sh sets it)"))
  func trainAndScoreOnLlamaServerEmbeddings() throws {
    let directory = try Paths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let pairs =
      try JSONParser.parse(
        String(contentsOfFile: Paths.shared("data/preference/llmbar-natural.json"), encoding: .utf8)
      ).arrayValue ?? []
    let slice = directory + "/llmbar-slice.json"
    try JSONValue.array(Array(pairs.prefix(6))).jsonText.write(toFile: slice, atomically: true, encoding: .utf8)
    let train = try RewardBinary.run([
      "train", slice, "--backbone", "engine:\(Self.embeddingsURL!)#smollm2", "--out", directory + "/ckpt", "--quiet",
      "--epochs", "3",
    ])
    try #require(train.status == 0, "\(train.stderr)")
    let config = try JSONParser.parse(String(contentsOfFile: directory + "/ckpt/config.json", encoding: .utf8))
    let featurizer = config.objectValue?["featurizer"]?.objectValue
    #expect(featurizer?["kind"] == "engine_embeddings")
    #expect(featurizer?["dimension"] == .int(576))
    let score = try RewardBinary.run(
      ["score", "--model", directory + "/ckpt", "-"], stdin: #"{"prompt": "Say hi.", "response": "Hello!"}"#)
    #expect(score.status == 0, "\(score.stderr)")
    #expect(try JSONParser.parse(score.stdout).objectValue?["reward"]?.doubleValue != nil)
  }
}
