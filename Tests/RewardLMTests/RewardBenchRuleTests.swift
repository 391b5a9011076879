import Foundation
import RewardCore
import Testing

@testable import RewardLM

/// `text_rule: reward-bench` (`RewardBenchDPORule`): reward-bench's texts, special tokens and
/// truncation, on scripted pieces and on SmolLM2 against reward-bench's own code
/// (Fixtures/dpo/reward_bench_rule.json, scripts/reward_bench_reference.py).
@Suite struct RewardBenchRuleTests {
  static let tokenizer = GreedyTokenizer(merges: ["assistant": 250, "user": 251])
  static let rule = try! RewardBenchDPORule(renderer: PlainRenderer(), tokenizer: tokenizer)

  @Test func answerIsTheTemplatedTurnAfterThePromptWithoutTheGenerationPrompt() throws {
    let candidate = Candidate(prompt: [.user("hi"), .assistant("yo"), .user("and?")], response: "fine")
    let texts = try Self.rule.texts(for: candidate, index: 0)
    #expect(texts.prompt == "user: hi\nassistant: yo\nuser: and?\n")
    #expect(texts.answer == "assistant: fine\n")
    let tokens = try Self.rule.tokens(for: candidate, index: 0)
    // BOS before the prompt, EOS after the answer (scored).
    #expect(tokens.prompt == [1] + (try Self.tokenizer.encode(texts.prompt, addSpecialTokens: false)))
    #expect(tokens.response == (try Self.tokenizer.encode(texts.answer, addSpecialTokens: false)) + [2])
  }

  @Test func everyOccurrenceOfThePromptIsRemovedAsPythonDoes() {
    #expect(RewardBenchDPORule.removingOccurrences(of: "ab", in: "abXabYab") == "XY")
    #expect(RewardBenchDPORule.removingOccurrences(of: "aa", in: "aaa") == "a")
    #expect(RewardBenchDPORule.removingOccurrences(of: "", in: "abc") == "abc")
    // Code points, not canonically equivalent Characters: "é" precomposed is not "e" + U+0301.
    #expect(RewardBenchDPORule.removingOccurrences(of: "\u{E9}", in: "e\u{301}!") == "e\u{301}!")
  }

  @Test func truncationKeepsThePromptEndThenTheAnswerHead() {
    let prompt = (0..<300).map { TokenID($0) }
    let fits = ResponseTokens(prompt: prompt, response: Array(repeating: 7, count: 1748))
    #expect(RewardBenchDPORule.truncate(fits, longerAnswer: 1748) == fits)
    // 300 + 1800 > 2048: the prompt keeps its last 128 tokens; 128 + 1800 fits.
    let cutPrompt = RewardBenchDPORule.truncate(
      ResponseTokens(prompt: prompt, response: Array(repeating: 7, count: 1800)), longerAnswer: 1800)
    #expect(cutPrompt.prompt == Array(prompt.suffix(128)) && cutPrompt.response.count == 1800)
    // Still too long: the answer keeps its first 1,920.
    let long = (0..<3000).map { TokenID($0) }
    let cutBoth = RewardBenchDPORule.truncate(ResponseTokens(prompt: prompt, response: long), longerAnswer: 3000)
    #expect(cutBoth.prompt.count == 128 && cutBoth.response == Array(long.prefix(1920)))
    // The pair's longer answer decides: a short answer beside a long one loses its prompt head too.
    let short = RewardBenchDPORule.truncate(ResponseTokens(prompt: prompt, response: [1, 2]), longerAnswer: 3000)
    #expect(short.prompt.count == 128 && short.response == [1, 2])
  }

  @Test func promptsReward_benchWouldRelabelAreRefused() throws {
    let system = Candidate(prompt: [.system("Be brief."), .user("hi")], response: "ok")
    #expect {
      try Self.rule.tokens(for: system, index: 4)
    } throws: { "\($0)".contains("item 4: turn 0 is 'system'") }
    let endsWithAssistant = Candidate(prompt: [.user("hi"), .assistant("yo")], response: "ok")
    #expect {
      try Self.rule.tokens(for: endsWithAssistant, index: 1)
    } throws: { "\($0)".contains("end with the user's") }
    #expect(throws: ConfigurationError.self) {
      try Self.rule.tokens(for: Candidate(prompt: [], response: "ok"), index: 0)
    }
    var noEOS = GreedyTokenizer()
    noEOS.eosTokenID = nil
    #expect {
      try RewardBenchDPORule(renderer: PlainRenderer(), tokenizer: noEOS)
    } throws: { "\($0)".contains("no EOS token") }
  }

  /// The reward model with the rule on a tiny native model: sum, mean and norm of exactly the
  /// log-probabilities of the rule's answer tokens.
  @Test func implicitRewardScoresTheRulesTokens() async throws {
    let language = try NativeRewardTests.tiny("llama")
    let policy = ScoringLanguageModel(scorer: NativeResponseScorer(language), tokenizer: language.tokenizer)
    let candidates = [
      Candidate(prompt: [.user("What is 2+2?")], response: "4"),
      Candidate(prompt: [.user("hi"), .assistant("yo"), .user("and?")], response: "a longer answer"),
    ]
    let rule = try RewardBenchDPORule(renderer: PlainRenderer(), tokenizer: language.tokenizer)
    for normalization in ImplicitRewardModel.Normalization.allCases {
      let model = try ImplicitRewardModel(
        name: "tiny", policy: policy, renderer: PlainRenderer(), normalization: normalization, textRule: .rewardBench)
      let rewards = try await model.score(candidates)
      for (index, candidate) in candidates.enumerated() {
        let tokens = try rule.tokens(for: candidate, index: index)
        let values = try language.model.tokenLogProbabilities([tokens.all], from: [tokens.prompt.count])[0]
        #expect(values.count == tokens.response.count)
        let expected =
          switch normalization {
          case .sum: values.reduce(0, +)
          case .mean: values.reduce(0, +) / Double(values.count)
          case .norm: -values.reduce(0) { $0 + $1 * $1 }.squareRoot()
          }
        #expect(abs(rewards[index].value - expected) < 1e-4, "\(normalization) item \(index)")
      }
    }
  }

  @Test func combinationsReward_benchDoesNotDefineAreRefused() throws {
    let language = try NativeRewardTests.tiny("llama")
    let native = ScoringLanguageModel(scorer: NativeResponseScorer(language), tokenizer: language.tokenizer)
    #expect {
      try ImplicitRewardModel(
        name: "x", policy: native, reference: native, renderer: PlainRenderer(), normalization: .norm)
    } throws: { "\($0)".contains("reference-free") }
    #expect {
      try ImplicitRewardModel(
        name: "x", policy: native, reference: native, renderer: PlainRenderer(), normalization: .mean,
        textRule: .rewardBench)
    } throws: { "\($0)".contains("use normalize: sum") }
    let textOnly = ScoringLanguageModel(scorer: TextOnlyScorer(), tokenizer: language.tokenizer)
    #expect {
      try ImplicitRewardModel(name: "x", policy: textOnly, renderer: PlainRenderer(), textRule: .rewardBench)
    } throws: { "\($0)".contains("cannot take") }
  }

  // MARK: SmolLM2 against reward-bench's own code

  struct Side {
    var ids: [TokenID]
    var promptLength: Int
    var sum: Double
    var avg: Double
    var norm: Double

    init(_ json: JSONValue?) throws {
      let object = try #require(json?.objectValue)
      ids = object["input_ids"]!.tokenIDs
      promptLength = try #require(object["prompt_length"]?.doubleValue).exactInt
      sum = try #require(object["sum"]?.doubleValue)
      avg = try #require(object["avg"]?.doubleValue)
      norm = try #require(object["norm"]?.doubleValue)
    }
  }

  struct Pair {
    var candidates: (chosen: Candidate, rejected: Candidate)
    var promptText: String
    var pair: (chosen: Side, rejected: Side)
    var alone: (chosen: Side, rejected: Side)
    var pairTruncationDiffers: Bool
  }

  static func fixturePairs() throws -> [Pair] {
    let json = try LMFixtures.json("dpo/reward_bench_rule.json")
    return try #require(json.objectValue?["pairs"]?.arrayValue).map { item in
      let object = try #require(item.objectValue)
      let prompt: Conversation
      switch object["prompt"] {
      case .string(let text)?: prompt = [.user(text)]
      case .array(let turns)?:
        prompt = try turns.map { turn in
          let turn = try #require(turn.objectValue)
          return Message(
            role: try #require(Role(rawValue: turn["role"]?.stringValue ?? "")),
            content: try #require(turn["content"]?.stringValue))
        }
      default: throw ConfigurationError("fixture pair without a prompt")
      }
      let pair = try #require(object["pair"]?.objectValue)
      let alone = try #require(object["alone"]?.objectValue)
      return Pair(
        candidates: (
          Candidate(prompt: prompt, response: try #require(object["chosen"]?.stringValue)),
          Candidate(prompt: prompt, response: try #require(object["rejected"]?.stringValue))
        ),
        promptText: try #require(object["prompt_text"]?.stringValue),
        pair: (try Side(pair["chosen"]), try Side(pair["rejected"])),
        alone: (try Side(alone["chosen"]), try Side(alone["rejected"])),
        pairTruncationDiffers: object["pair_truncation_differs"] == .bool(true))
    }
  }

  /// SmolLM2 with the tokenizer transformers builds from the GGUF (plain ByteLevel; see
  /// SmolLM2ResponseTests), as the reference used.
  static func smolLM2() throws -> NativeLanguageModel {
    let loaded = try LanguageModelLoader.load(SmolLM2File.path)
    return NativeLanguageModel(
      name: loaded.name, model: loaded.model,
      tokenizer: try BPETokenizer(ggufFile: SmolLM2File.path, preTokenizer: .gpt2), renderer: loaded.renderer)
  }

  /// Every pair's token ids are reward-bench's, id for id (no forward pass: all 19 pairs).
  @Test func tokenIdsAreReward_benchsOnRealPairs() throws {
    guard SmolLM2File.isPresent, LMFixtures.exists("dpo/reward_bench_rule.json") else {
      print("skipped: \(SmolLM2File.skipReason) or fixture dpo/reward_bench_rule.json missing")
      return
    }
    // Tokenizer and template only: no weights needed.
    let tokenizer = try BPETokenizer(ggufFile: SmolLM2File.path, preTokenizer: .gpt2)
    let rule = try RewardBenchDPORule(
      renderer: try ChatTemplate(gguf: try GGUFFile(path: SmolLM2File.path)), tokenizer: tokenizer)
    let pairs = try Self.fixturePairs()
    #expect(pairs.count == 19)
    #expect(pairs.contains { $0.pairTruncationDiffers })
    for (index, pair) in pairs.enumerated() {
      #expect(try rule.texts(for: pair.candidates.chosen, index: index).prompt == pair.promptText)
      for (candidate, side) in [
        (pair.candidates.chosen, pair.alone.chosen), (pair.candidates.rejected, pair.alone.rejected),
      ] {
        let tokens = try rule.tokens(for: candidate, index: index)
        #expect(tokens.all == side.ids, "pair \(index)")
        #expect(tokens.prompt.count == side.promptLength, "pair \(index)")
      }
      // The pair's own truncation, given the longer answer, is reward-bench's too.
      let chosen = try rule.tokens(for: pair.candidates.chosen, index: index)
      let rejected = try rule.tokens(for: pair.candidates.rejected, index: index)
      let untruncated = try [pair.candidates.chosen, pair.candidates.rejected].map { candidate in
        let texts = try rule.texts(for: candidate, index: index)
        let split = try ResponseTokenization.split(
          prompt: texts.prompt, response: texts.answer, tokenizer: tokenizer)
        return ResponseTokens(prompt: [rule.bosTokenID] + split.prompt, response: split.response + [rule.eosTokenID])
      }
      let longer = untruncated.map(\.response.count).max()!
      #expect(RewardBenchDPORule.truncate(untruncated[0], longerAnswer: longer).all == pair.pair.chosen.ids)
      #expect(RewardBenchDPORule.truncate(untruncated[1], longerAnswer: longer).all == pair.pair.rejected.ids)
      if !pair.pairTruncationDiffers {
        #expect(chosen.all == pair.pair.chosen.ids && rejected.all == pair.pair.rejected.ids)
      }
    }
  }

  /// Rewards in every reference-free mode against reward-bench's, and the same accuracy decisions
  /// (six pairs keep a debug build's run short; multi-turn prompts included). One `norm` run gives
  /// all three: the reward is the norm, `policy_logp` the sum, and the mean is the sum over the
  /// answer's token count.
  @Test func rewardsMatchReward_benchOnSmolLM2() async throws {
    guard SmolLM2File.isPresent, LMFixtures.exists("dpo/reward_bench_rule.json") else {
      print("skipped: \(SmolLM2File.skipReason) or fixture dpo/reward_bench_rule.json missing")
      return
    }
    let language = try Self.smolLM2()
    let policy = ScoringLanguageModel(scorer: NativeResponseScorer(language), tokenizer: language.tokenizer)
    let pairs = Array(try Self.fixturePairs().filter { !$0.pairTruncationDiffers }.prefix(6))
    let model = try ImplicitRewardModel(
      name: "smollm2", policy: policy, renderer: try #require(language.renderer), normalization: .norm,
      textRule: .rewardBench)
    let rewards = try await model.score(pairs.flatMap { [$0.candidates.chosen, $0.candidates.rejected] })
    func values(_ reward: Reward, _ side: Side) throws -> (sum: Double, avg: Double, norm: Double) {
      let sum = try #require(reward.components.first { $0.name == "policy_logp" }?.value)
      return (sum, sum / Double(side.ids.count - side.promptLength), reward.value)
    }
    // Per-token differences are ~1e-4 (Q4_1 dequantised either way, float32 in another order):
    // sums and norms over ~100 tokens agree within 0.02, means within 2e-3.
    for (index, pair) in pairs.enumerated() {
      let chosen = try values(rewards[2 * index], pair.pair.chosen)
      let rejected = try values(rewards[2 * index + 1], pair.pair.rejected)
      for (ours, theirs) in [(chosen, pair.pair.chosen), (rejected, pair.pair.rejected)] {
        #expect(abs(ours.sum - theirs.sum) < 0.02, "pair \(index): sum \(ours.sum) vs \(theirs.sum)")
        #expect(abs(ours.avg - theirs.avg) < 2e-3, "pair \(index): avg \(ours.avg) vs \(theirs.avg)")
        #expect(abs(ours.norm - theirs.norm) < 0.02, "pair \(index): norm \(ours.norm) vs \(theirs.norm)")
      }
      // reward-bench's accuracy rule (chosen strictly higher) decides every pair the same way.
      #expect((chosen.sum > rejected.sum) == (pair.pair.chosen.sum > pair.pair.rejected.sum))
      #expect((chosen.avg > rejected.avg) == (pair.pair.chosen.avg > pair.pair.rejected.avg))
      #expect((chosen.norm > rejected.norm) == (pair.pair.chosen.norm > pair.pair.rejected.norm))
    }
  }
}

/// A scorer of texts only (as an engine is).
private struct TextOnlyScorer: ResponseLogProbabilityScorer {
  var name: String { "text-only" }
  func responseLogProbabilities(_ pairs: [(prompt: String, response: String)]) async throws
    -> [ResponseLogProbability]
  {
    pairs.map { _ in ResponseLogProbability(sum: -1, tokenCount: 1) }
  }
}

extension Double {
  fileprivate var exactInt: Int { Int(self) }
}
