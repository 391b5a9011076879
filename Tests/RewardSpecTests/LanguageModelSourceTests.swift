import Foundation
import RewardCore
import RewardLM
import RewardSpec
import Testing

/// `--model DIR|FILE.gguf` with a decoder LM: a sequence-classification checkpoint scores, a
/// causal LM is refused with a pointer to the implicit-reward component.
@Suite struct LanguageModelSourceTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("RewardLMTests/Fixtures").path

  /// GPT-2's byte ↔ printable-character table: a byte-level BPE with no merges is one token per byte.
  static func byteLevelTokenizerJSON() -> JSONValue {
    var printable = Array(33...126) + Array(161...172) + Array(174...255)
    var characters = printable
    var extra = 0
    for byte in 0..<256 where !printable.contains(byte) {
      printable.append(byte)
      characters.append(256 + extra)
      extra += 1
    }
    var vocabulary = JSONObject()
    for (byte, character) in zip(printable, characters) {
      vocabulary[String(Character(Unicode.Scalar(UInt32(character))!))] = .int(Int64(byte))
    }
    return [
      "model": ["type": "BPE", "vocab": .object(vocabulary), "merges": []],
      "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
      "decoder": ["type": "ByteLevel"], "added_tokens": [], "normalizer": nil, "post_processor": nil,
    ]
  }

  /// A copy of a tiny model directory with a byte-level tokenizer.json.
  static func modelDirectory(_ relative: String) throws -> String {
    let directory = NSTemporaryDirectory() + "rewardlm-spec-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for file in ["config.json", "model.safetensors"] {
      try FileManager.default.copyItem(atPath: "\(fixtures)/\(relative)/\(file)", toPath: "\(directory)/\(file)")
    }
    try byteLevelTokenizerJSON().jsonText.write(
      toFile: directory + "/tokenizer.json", atomically: true, encoding: .utf8)
    return directory
  }

  @Test func sequenceClassificationDirectoryScoresThroughModelLoader() async throws {
    let directory = try Self.modelDirectory("tiny/qwen2/seqcls")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let model = try ModelLoader.load(directory)
    let classifier = try #require(model as? SequenceClassifierRewardModel)
    let candidates = [
      Candidate(prompt: [.user("Is the sky blue?")], response: "Yes, on a clear day."),
      Candidate(prompt: [.user("Is the sky blue?")], response: "No."),
    ]
    let rewards = try await model.score(candidates)
    #expect(rewards.count == 2 && rewards.allSatisfy(\.isFinite))
    #expect(rewards[0].components.count == 3)
    let ids = try classifier.tokens(for: candidates[1])
    let direct = try classifier.language.model.sequenceScores([ids])[0]
    #expect(abs(rewards[1].value - Double(direct[0])) < 1e-5)
  }

  @Test func causalLanguageModelIsRefusedWithAPointerToImplicitRewards() throws {
    let directory = try Self.modelDirectory("tiny/llama")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    do {
      _ = try ModelLoader.load(directory)
      Issue.record("expected an error")
    } catch let error as ConfigurationError {
      #expect(error.message.contains("no score head") && error.message.contains("implicit_reward"))
    }
  }
}
