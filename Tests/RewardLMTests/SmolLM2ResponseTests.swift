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
    let scorer = NativeResponseScorer(try LanguageModelLoader.load(SmolLM2File.path))
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
      let blankLineBeforeDigit = input.response.utf8.indices.contains { i in
        input.response.utf8[i...].starts(with: "\n\n".utf8)
          && input.response.utf8.dropFirst(
            input.response.utf8.distance(from: input.response.utf8.startIndex, to: i) + 2
          )
          .first.map { (48...57).contains($0) } == true
      }
      if blankLineBeforeDigit {
        // Found here: BPETokenizer encodes "\n\n" before a digit as one token (1116) where
        // `tokenizers` gives two (198, 198) (reported to lm-tokenizer); the scores then differ too.
        withKnownIssue("BPETokenizer vs tokenizers: blank line before a digit") { #expect(ids == want.ids) }
        continue
      }
      #expect(ids == want.ids, "input \(index)")
      #expect(results[index].tokenCount == want.ids.count)
      // Per-token differences are ~1e-4 (Q4_1 dequantised either way, float32 in another order).
      #expect(abs(results[index].sum - want.sum) < 0.02, "input \(index): \(results[index].sum) vs \(want.sum)")
      #expect(abs(results[index].mean - want.mean) < 2e-3, "input \(index)")
    }
  }
}
