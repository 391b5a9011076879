import Foundation
import RewardCore
import RewardLM
import Testing

@testable import RewardSpec

/// `kind: implicit_reward` with `policy: smollm2` on the native runtime, against the transformers
/// reference in Tests/RewardLMTests/Fixtures/dpo/pairs.json (real HH-RLHF and LLMBar pairs; the
/// "plain" rule: chat-templated prompt with the generation prompt, the raw response).
@Suite(.enabled(if: FetchedSmolLM2.path != nil, "smollm2 is not fetched: reward backbone fetch smollm2"))
struct ImplicitRewardSmolLM2Tests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("RewardLMTests/Fixtures/dpo/pairs.json").path

  struct Pair {
    var prompt: Conversation
    var promptText: String
    var chosen: String
    var rejected: String
    var sums: (chosen: Double, rejected: Double)
    var means: (chosen: Double, rejected: Double)
  }

  /// The first pairs with plain references (four keep a debug-build run short; multi-turn included).
  static func pairs(_ count: Int = 4) throws -> [Pair] {
    let json = try JSONParser.parse(String(contentsOfFile: fixture, encoding: .utf8))
    let items = (json.objectValue?["pairs"]?.arrayValue ?? []).compactMap(\.objectValue)
      .filter { $0["plain_chosen_sum"]?.doubleValue != nil }
    return try items.prefix(count).map { item in
      let prompt: Conversation
      switch item["prompt"] {
      case .string(let text)?: prompt = [.user(text)]
      case .array(let turns)?:
        prompt = try turns.map { turn in
          let object = try #require(turn.objectValue)
          return Message(
            role: try #require(Role(rawValue: object["role"]?.stringValue ?? "")),
            content: try #require(object["content"]?.stringValue))
        }
      default: throw ConfigurationError("fixture pair without a prompt")
      }
      func number(_ key: String) throws -> Double { try #require(item[key]?.doubleValue) }
      return Pair(
        prompt: prompt, promptText: try #require(item["plain_prompt_text"]?.stringValue),
        chosen: try #require(item["chosen"]?.stringValue), rejected: try #require(item["rejected"]?.stringValue),
        sums: (try number("plain_chosen_sum"), try number("plain_rejected_sum")),
        means: (try number("plain_chosen_mean"), try number("plain_rejected_mean")))
    }
  }

  func candidates(_ pairs: [Pair]) -> [Candidate] {
    pairs.flatMap {
      [Candidate(prompt: $0.prompt, response: $0.chosen), Candidate(prompt: $0.prompt, response: $0.rejected)]
    }
  }

  @Test func referenceFreeRewardsMatchTransformers() async throws {
    let pairs = try Self.pairs()
    let spec = try RewardSpecLoader.load(
      text: "components:\n  - kind: implicit_reward\n    policy: smollm2\n    normalize: mean\n")
    // The prompt the model sees is transformers' apply_chat_template(add_generation_prompt=True).
    let model = try ImplicitRewardModel(
      name: "smollm2", policy: ScoringLanguageModel(scorer: EmptyScorer()),
      renderer: try #require(try LanguageModelLoader.load("smollm2").renderer))
    for (index, pair) in pairs.enumerated() {
      let texts = try model.texts(for: Candidate(prompt: pair.prompt, response: pair.chosen), index: index)
      #expect(texts.prompt == pair.promptText, "pair \(index)")
    }
    let rewards = try await spec.score(candidates(pairs))
    for (index, pair) in pairs.enumerated() {
      // Per-token differences are ~1e-4 (Q4_1 dequantised either way, float32 in another order).
      #expect(abs(rewards[2 * index].value - pair.means.chosen) < 2e-3, "pair \(index) chosen")
      #expect(abs(rewards[2 * index + 1].value - pair.means.rejected) < 2e-3, "pair \(index) rejected")
      // reward-bench's accuracy rule agrees with the reference pair by pair.
      #expect(
        (rewards[2 * index].value > rewards[2 * index + 1].value) == (pair.means.chosen > pair.means.rejected),
        "pair \(index)")
    }
  }

  /// The library model directly: summed log-probabilities, reported as `policy_logp` too.
  @Test func summedLogProbabilitiesMatchTransformers() async throws {
    let pairs = try Self.pairs(2)
    let language = try LanguageModelResolver.standard.load("smollm2")
    let model = try ImplicitRewardModel(
      name: "smollm2", policy: ScoringLanguageModel(scorer: language.scorer, tokenizer: language.tokenizer),
      renderer: try #require(language.renderer))
    let rewards = try await model.score(candidates(pairs))
    for (index, pair) in pairs.enumerated() {
      #expect(abs(rewards[2 * index].value - pair.sums.chosen) < 0.02, "pair \(index) chosen")
      #expect(abs(rewards[2 * index + 1].value - pair.sums.rejected) < 0.02, "pair \(index) rejected")
      #expect(rewards[2 * index].components.map(\.name) == ["policy_logp"])
    }
  }

  @Test func policyEqualToReferenceIsExactlyZero() async throws {
    let spec = try RewardSpecLoader.load(
      text: "components:\n  - kind: implicit_reward\n    policy: smollm2\n    reference: smollm2\n")
    let rewards = try await spec.score(candidates(try Self.pairs(2)))
    #expect(rewards.count == 4)
    #expect(rewards.allSatisfy { $0.value == 0 })
  }
}

enum FetchedSmolLM2 {
  static let path: String? = LanguageModelLoader.resolve("smollm2").flatMap {
    LanguageModelLoader.isGGUF($0) ? $0 : nil
  }
}

/// A scorer for tests that only render texts.
private struct EmptyScorer: ResponseLogProbabilityScorer {
  var name: String { "empty" }
  func responseLogProbabilities(_ pairs: [(prompt: String, response: String)]) async throws
    -> [ResponseLogProbability]
  {
    pairs.map { _ in ResponseLogProbability(sum: 0, tokenCount: 0) }
  }
}
