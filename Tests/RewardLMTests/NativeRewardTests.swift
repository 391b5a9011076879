import Foundation
import RewardBackbones
import RewardCore
import Testing

@testable import RewardLM

/// A tokenizer for tests: greedy longest match over `merges` (so "ab" can be one token and a
/// prompt's last token can merge with a response's first), other bytes as `byte + 10`.
struct GreedyTokenizer: TextTokenizer {
  var merges: [String: TokenID] = [:]
  var vocabularySize = 300
  var bosTokenID: TokenID? = 1
  var eosTokenID: TokenID? = 2
  var padTokenID: TokenID? = 0

  func encode(_ text: String, addSpecialTokens: Bool) throws -> [TokenID] {
    var ids: [TokenID] = addSpecialTokens ? bosTokenID.map { [$0] } ?? [] : []
    var bytes = Substring(text)
    while let first = bytes.utf8.first {
      if let (piece, id) = merges.filter({ bytes.hasPrefix($0.key) }).max(by: { $0.key.count < $1.key.count }) {
        ids.append(id)
        bytes = bytes.dropFirst(piece.count)
      } else {
        ids.append(TokenID(first) + 10)
        bytes = Substring(bytes.utf8.dropFirst())
      }
    }
    return ids
  }

  func decode(_ ids: [TokenID]) -> String { "" }
}

/// A chat template for tests: "<role>: content\n" per turn, "assistant: " as the generation prompt.
struct PlainRenderer: ConversationRenderer {
  func render(_ messages: [Message], addGenerationPrompt: Bool) throws -> String {
    messages.map { "\($0.role.rawValue): \($0.content)\n" }.joined() + (addGenerationPrompt ? "assistant: " : "")
  }
}

@Suite struct ResponseTokenizationTests {
  @Test func responseTokensAreTheFullEncodingMinusThePrompts() throws {
    let tokenizer = GreedyTokenizer(merges: ["ab": 200])
    let plain = try ResponseTokenization.split(prompt: "xy", response: "cd", tokenizer: tokenizer)
    #expect(plain == ResponseTokens(prompt: [130, 131], response: [109, 110]))
    // "a" + "b…" encode together as "ab": the merged token belongs to the response.
    let merged = try ResponseTokenization.split(prompt: "xa", response: "bc", tokenizer: tokenizer)
    #expect(merged == ResponseTokens(prompt: [130], response: [200, 109]))
  }

  @Test func longInputsKeepTheResponseHeadAndThePromptEnd() {
    let tokens = ResponseTokens(prompt: [1, 2, 3, 4], response: [5, 6, 7])
    #expect(ResponseTokenization.fit(tokens, maxTokens: 7).truncated == false)
    let cut = ResponseTokenization.fit(tokens, maxTokens: 5)
    #expect(cut.truncated && cut.tokens == ResponseTokens(prompt: [3, 4], response: [5, 6, 7]))
    let long = ResponseTokenization.fit(ResponseTokens(prompt: [1, 2], response: [5, 6, 7, 8, 9]), maxTokens: 3)
    #expect(long.tokens == ResponseTokens(prompt: [2], response: [5, 6]))
  }
}

@Suite struct NativeRewardTests {
  static func tiny(_ name: String, seqcls: Bool = false, renderer: (any ConversationRenderer)? = PlainRenderer())
    throws -> NativeLanguageModel
  {
    let path = LMFixtures.path("tiny/\(name)" + (seqcls ? "/seqcls" : ""))
    return NativeLanguageModel(
      name: path, model: try DecoderModel(directory: path), tokenizer: GreedyTokenizer(), renderer: renderer)
  }

  @Test func responseLogProbabilitiesSumTheResponseTokens() async throws {
    let language = try Self.tiny("llama")
    let scorer = NativeResponseScorer(language)
    let pairs = [("user: hi\nassistant: ", "hello there"), ("", "abc"), ("prompt", ""), ("q", "a much longer answer")]
    let results = try await scorer.responseLogProbabilities(pairs.map { (prompt: $0.0, response: $0.1) })
    for ((prompt, response), result) in zip(pairs, results) {
      let tokens = try scorer.tokens(prompt: prompt, response: response)
      #expect(result.tokenCount == tokens.response.count)
      guard !tokens.response.isEmpty else {
        #expect(result.sum == 0)
        continue
      }
      let direct = try language.model.tokenLogProbabilities([tokens.all])[0].suffix(tokens.response.count)
      // Packed with other sequences or alone, sgemm rounds a little differently.
      #expect(abs(result.sum - direct.reduce(0, +)) < 1e-4)
      #expect(result.sum < 0)
    }
    // An empty prompt is conditioned on BOS.
    #expect(try scorer.tokens(prompt: "", response: "abc").prompt == [1])
  }

  @Test func truncatedInputsScoreTheKeptTokens() async throws {
    let scorer = NativeResponseScorer(try Self.tiny("qwen2"), maxTokens: 8)
    let result = try await scorer.responseLogProbabilities([(prompt: "a long prompt", response: "a long response")])
    #expect(result[0].tokenCount == 7)
  }

  @Test func sequenceClassifierRewardsAreTheScoreHeadAndMultiOutputGivesComponents() async throws {
    let single = try SequenceClassifierRewardModel(try Self.tiny("llama", seqcls: true))
    let multi = try SequenceClassifierRewardModel(try Self.tiny("qwen2", seqcls: true))
    let candidates = [
      Candidate(prompt: [.user("What is 2+2?")], response: "4"),
      Candidate(prompt: [.system("Be brief."), .user("Hi")], response: "Hello! How can I help you today?"),
    ]
    for model in [single, multi] {
      let rewards = try await model.score(candidates)
      for (candidate, reward) in zip(candidates, rewards) {
        let ids = try model.tokens(for: candidate)
        let text = try model.language.conversationText(candidate.prompt, response: candidate.response)
        #expect(ids == (try GreedyTokenizer().encode(text, addSpecialTokens: false)))
        let direct = try model.language.model.sequenceScores([ids])[0]
        #expect(abs(reward.value - Double(direct[0])) < 1e-5)
        if direct.count > 1 {
          #expect(zip(reward.components, direct).allSatisfy { abs($0.value - Double($1)) < 1e-5 })
          #expect(reward.components.count == 3)
        } else {
          #expect(reward.components.isEmpty)
        }
      }
    }
    #expect(throws: ConfigurationError.self) { try SequenceClassifierRewardModel(try Self.tiny("llama")) }
  }

  @Test func featurizerPoolsTheChosenLayerAndCachesOnDisk() async throws {
    let directory = NSTemporaryDirectory() + "rewardlm-cache-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let language = try Self.tiny("qwen3")
    let candidates = [
      Candidate(prompt: [.user("Name a colour")], response: "Blue."),
      Candidate(prompt: [.user("Name a colour")], response: "Green, like grass."),
      Candidate(prompt: [.user("Name a colour")], response: "Blue."),
    ]
    let featurizer = try DecoderFeaturizer(
      language: language, backbone: "tiny-qwen3", fingerprint: "test", layer: 2, pooling: .mean, tokenBudget: 64,
      cacheDirectory: directory)
    #expect(featurizer.dimension == 64)
    let vectors = try await featurizer.features(for: candidates)
    #expect(vectors[0] == vectors[2])
    let expected = try language.model.pooledHiddenStates(
      [try featurizer.tokens(for: candidates[1])], layer: 2, pooling: .mean)[0]
    #expect(vectors[1].values == expected)
    #expect(featurizer.cache?.count == 2)
    // A second featurizer on the same files reads the cache instead of running the model.
    let again = try DecoderFeaturizer(
      language: language, backbone: "tiny-qwen3", fingerprint: "test", layer: 2, pooling: .mean, tokenBudget: 64,
      cacheDirectory: directory)
    #expect(again.cache?.count == 2)
    #expect(try await again.features(for: candidates) == vectors)
    // The response's template text (with its end-of-turn newline) follows the generation prompt.
    let split = try language.promptAndResponseText(candidates[0])
    #expect(split.prompt == "user: Name a colour\nassistant: " && split.response == "Blue.\n")
    let settings = try DecoderFeaturizer.settings(from: featurizer.descriptor)
    #expect(settings.layer == 2 && settings.pooling == .mean && settings.tokenBudget == 64)
    #expect(throws: ConfigurationError.self) {
      try DecoderFeaturizer(language: language, backbone: "x", fingerprint: "f", layer: 9, cacheDirectory: nil)
    }
  }

  /// The cache is keyed by the tokens the model reads: a featurizer that renders candidates
  /// differently (here: no chat template) sharing the cache file never gets the other's vectors.
  @Test func cacheIsKeyedByTokensNotText() async throws {
    let directory = NSTemporaryDirectory() + "rewardlm-cache-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let candidates = [Candidate(prompt: [.user("Name a colour")], response: "Blue.")]
    func featurizer(_ renderer: (any ConversationRenderer)?) throws -> DecoderFeaturizer {
      try DecoderFeaturizer(
        language: try Self.tiny("llama", renderer: renderer), backbone: "tiny-llama", fingerprint: "same",
        layer: 2, pooling: .lastToken, tokenBudget: 64, cacheDirectory: directory)
    }
    let templated = try featurizer(PlainRenderer())
    let plain = try featurizer(nil)
    #expect(try templated.tokens(for: candidates[0]) != plain.tokens(for: candidates[0]))
    let first = try await templated.features(for: candidates)
    let second = try await plain.features(for: candidates)
    #expect(first != second)
    let expected = try plain.language.model.pooledHiddenStates(
      [try plain.tokens(for: candidates[0])], layer: 2, pooling: .lastToken)[0]
    #expect(second[0].values == expected)
  }

  @Test func loaderRecognisesLanguageModels() throws {
    #expect(LanguageModelLoader.isLanguageModel(LMFixtures.path("gguf/tiny-llama-q8_0.gguf")))
    #expect(LanguageModelLoader.isLanguageModel(LMFixtures.path("tiny/llama")))
    #expect(LanguageModelLoader.isLanguageModel("smollm2"))
    #expect(!LanguageModelLoader.isLanguageModel(LMFixtures.path("README.md")))
    #expect(!LanguageModelLoader.isLanguageModel(LMFixtures.path("smollm2")))
    let path = LMFixtures.path("gguf/tiny-llama-q8_0.gguf")
    #expect(try LanguageModelLoader.fingerprint(path: path) == (try LanguageModelLoader.fingerprint(path: path)))
    #expect(
      try LanguageModelLoader.fingerprint(path: path)
        != (try LanguageModelLoader.fingerprint(path: LMFixtures.path("tiny/llama"))))
    #expect(throws: ConfigurationError.self) { try LanguageModelLoader.load("/nonexistent/model.gguf") }
  }

  @Test func loaderReadsSmolLM2WithItsTokenizer() throws {
    guard SmolLM2File.isPresent else {
      print("skipped: \(SmolLM2File.skipReason)")
      return
    }
    let language = try LanguageModelLoader.load(SmolLM2File.path)
    #expect(language.model.config.layerCount == 30)
    let cases = try #require(try LMFixtures.json("smollm2/tokenizer_cases.json").objectValue?["cases"]?.arrayValue)
    for item in cases.prefix(20).compactMap(\.objectValue) {
      let text = try #require(item["text"]?.stringValue)
      #expect(try language.tokenizer.encode(text, addSpecialTokens: false) == item["ids"]!.tokenIDs)
    }
  }
}
