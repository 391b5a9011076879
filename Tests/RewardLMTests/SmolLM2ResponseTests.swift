import Foundation
import RewardCore
import Testing

@testable import RewardLM

/// `NativeResponseScorer` on SmolLM2 against transformers (Fixtures/dpo/pairs.json, the "plain"
/// rule of the contract: chat-templated prompt with the generation prompt, raw response, response
/// tokens = tok(prompt + response) minus tok(prompt)): the same response ids and log-probability sums.
@Suite struct SmolLM2ResponseTests {
  @Test func responseIdsAndLogProbabilitySumsMatchTransformers() async throws {
    guard SmolLM2File.isPresent else {
      print("skipped: \(SmolLM2File.skipReason)")
      return
    }
    guard LMFixtures.exists("dpo/pairs.json") else {
      print("skipped: fixture dpo/pairs.json not present")
      return
    }
    // The references come from transformers' GGUF loader, which splits SmolLM2 text with plain
    // ByteLevel (it ignores `tokenizer.ggml.pre`); our default is SmolLM2's own digit split, checked
    // id for id against llama.cpp in LlamaServerTokenizerTests. Compare like with like.
    let loaded = try LanguageModelLoader.load(SmolLM2File.path)
    let scorer = NativeResponseScorer(
      NativeLanguageModel(
        name: loaded.name, model: loaded.model,
        tokenizer: try BPETokenizer(ggufFile: SmolLM2File.path, preTokenizer: .gpt2), renderer: loaded.renderer))
    let pairs = try #require(try LMFixtures.json("dpo/pairs.json").objectValue?["pairs"]?.arrayValue)
      .compactMap(\.objectValue).filter { $0["plain_chosen_sum"]?.doubleValue != nil }
    // Six pairs keep the debug-build run short; they include multi-turn prompts and merges.
    var inputs: [(prompt: String, response: String)] = []
    var expected: [(ids: [TokenID], sum: Double, mean: Double)] = []
    for pair in pairs.prefix(6) {
      let prompt = try #require(pair["plain_prompt_text"]?.stringValue)
      for side in ["chosen", "rejected"] {
        inputs.append((prompt, try #require(pair[side]?.stringValue)))
        expected.append(
          (
            pair["plain_\(side)_response_ids"]!.tokenIDs, try #require(pair["plain_\(side)_sum"]?.doubleValue),
            try #require(pair["plain_\(side)_mean"]?.doubleValue)
          ))
      }
    }
    let results = try await scorer.responseLogProbabilities(inputs)
    for (index, (input, want)) in zip(inputs, expected).enumerated() {
      let ids = try scorer.tokens(prompt: input.prompt, response: input.response).response
      #expect(ids == want.ids, "input \(index)")
      #expect(results[index].tokenCount == want.ids.count)
      // Per-token differences are ~1e-4 (Q4_1 dequantised either way, float32 in another order).
      #expect(abs(results[index].sum - want.sum) < 0.02, "input \(index): \(results[index].sum) vs \(want.sum)")
      #expect(abs(results[index].mean - want.mean) < 2e-3, "input \(index)")
    }
  }
}
