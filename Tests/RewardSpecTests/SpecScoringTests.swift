import Foundation
import RewardCore
import RewardRules
import Testing

@testable import RewardSpec

struct SpecScoringTests {
  static let mathWithFormat = """
    name: math-grpo
    components:
      - kind: math        # compares the response's final answer with the item's reference
        weight: 1.0
      - kind: format
        pattern: "<think>[\\\\s\\\\S]*</think>"
        weight: 0.1
    """

  func candidate(_ response: String, reference: String? = nil, group: String? = nil) -> Candidate {
    Candidate(prompt: [.user("What is 1+1?")], response: response, reference: reference, group: group)
  }

  @Test func issueExampleScoresWeightedComponents() async throws {
    let model = try RewardSpecLoader.load(text: Self.mathWithFormat)
    #expect(model.name == "math-grpo")
    let rewards = try await model.score([
      candidate("<think>1+1</think> The answer is \\boxed{2}", reference: "2"),
      candidate("The answer is \\boxed{2}", reference: "2"),
      candidate("<think>hmm</think> \\boxed{3}", reference: "2"),
    ])
    #expect(rewards.map(\.value) == [1.1, 1.0, 0.1])
    #expect(rewards[0].components.map(\.name) == ["math", "format"])
    #expect(rewards[1].components.map(\.value) == [1, 0])
  }

  @Test func notApplicableComponentsAreRenormalisedByDefault() async throws {
    let model = try RewardSpecLoader.load(text: Self.mathWithFormat)
    // No reference: math does not apply; format's 0.1 weight is scaled to the full 1.1.
    let reward = try await model.score([candidate("<think>x</think> \\boxed{2}")])[0]
    #expect(abs(reward.value - 1.1) < 1e-12)
    #expect(reward.components.map(\.name) == ["format"])
    #expect(reward.rationale?.contains("math: not applicable") == true)
  }

  @Test func notApplicableCanCountAsZero() async throws {
    let model = try RewardSpecLoader.load(text: Self.mathWithFormat + "\nnot_applicable: zero\n")
    let reward = try await model.score([candidate("<think>x</think> \\boxed{2}")])[0]
    #expect(abs(reward.value - 0.1) < 1e-12)
  }

  @Test func gatesZeroTheTotalUnlessTheComponentPasses() async throws {
    let spec = Self.mathWithFormat + "\ngates:\n  - component: format\n    min: 1\n"
    let model = try RewardSpecLoader.load(text: spec)
    let rewards = try await model.score([
      candidate("\\boxed{2}", reference: "2"), candidate("<think>ok</think>\\boxed{2}", reference: "2"),
    ])
    #expect(rewards[0].value == 0)
    #expect(rewards[0].components.map(\.value) == [1, 0])  // components still reported
    #expect(rewards[1].value == 1.1)
  }

  @Test func clipBoundsTheTotal() async throws {
    let model = try RewardSpecLoader.load(
      text: """
        components:
          - kind: math
            weight: 5
        clip: [-1, 2]
        """)
    #expect(try await model.score([candidate("\\boxed{2}", reference: "2")])[0].value == 2)
  }

  @Test func groupNormalisationIsPerGroupWithSampleStd() async throws {
    let model = try RewardSpecLoader.load(
      text: """
        components:
          - kind: math
        normalize: {method: group, epsilon: 1e-300}
        """)
    let rewards = try await model.score([
      candidate("\\boxed{2}", reference: "2", group: "a"), candidate("\\boxed{3}", reference: "2", group: "a"),
      candidate("\\boxed{2}", reference: "2", group: "a"), candidate("\\boxed{5}", reference: "2", group: "b"),
      candidate("\\boxed{2}", reference: "2", group: "b"), candidate("\\boxed{2}", reference: "2"),
    ])
    // Group a: [1, 0, 1], mean 2/3, sample std √(1/3).
    let std = (1.0 / 3).squareRoot()
    #expect(abs(rewards[0].value - (1 - 2.0 / 3) / std) < 1e-12)
    #expect(abs(rewards[1].value - (0 - 2.0 / 3) / std) < 1e-12)
    // Group b: [0, 1], mean 1/2, std √(1/2).
    #expect(abs(rewards[3].value + 0.5 / 0.5.squareRoot()) < 1e-12)
    // No group: unchanged, and no raw component.
    #expect(rewards[5].value == 1)
    #expect(rewards[0].components.last! == ("raw", 1.0))
    #expect(rewards[5].components.count == 1)
  }

  @Test func jsonSpecsWorkLikeYAML() async throws {
    let model = try RewardSpecLoader.load(
      text: #"{"components": [{"kind": "exact_match", "name": "em"}, {"kind": "bleu", "weight": 0}]}"#)
    let reward = try await model.score([candidate("The Eiffel Tower!", reference: "eiffel tower")])[0]
    #expect(reward.value == 1)
    #expect(reward.components.map(\.name) == ["em", "bleu"])
  }

  @Test func everyStandardKindLoadsAndScores() async throws {
    let spec = """
      components:
        - {kind: math, fallback_to_last_number: false, relative_tolerance: 1e-6}
        - {kind: multiple_choice, letters: ABCD}
        - {kind: exact_match, ignore_articles: false}
        - {kind: bleu}
        - {kind: chrf}
        - {kind: rouge_l}
        - {kind: format, pattern: "^<think>", match: search}
        - {kind: tags, tags: [think, answer]}
        - {kind: json, tag: answer, schema: {type: object, required: [x], properties: {x: {type: integer, minimum: 0}}}}
        - {kind: overlong_penalty, max_length: 20, cache_length: 10, unit: tokens}
        - {kind: length, mode: target, target: 4}
        - {kind: toolrl, part: format}
        - {kind: bfcl}
      """
    let model = try RewardSpecLoader.load(text: spec)
    #expect(model.spec.components.count == 13)
    let response = "<think>so</think>\n<answer>{\"x\": 3}</answer>"
    let reward = try await model.score([candidate(response, reference: "B")])[0]
    let values = Dictionary(uniqueKeysWithValues: reward.components.map { ($0.name, $0.value) })
    #expect(values["tags"] == 1)
    #expect(values["json"] == 1)
    #expect(values["format"] == 1)
    #expect(values["overlong_penalty"] == 0)
    #expect(values["length"] == 0.75)  // 3 whitespace tokens of a target of 4
    #expect(values["bfcl"] == nil)  // not applicable: no ground_truth
  }

  @Test func largeBatchesKeepTheirOrder() async throws {
    let model = try RewardSpecLoader.load(text: "components:\n  - kind: math\n")
    let candidates = (0..<1_000).map { i in candidate("\\boxed{\(i % 7)}", reference: "\(i % 5)") }
    let rewards = try await model.score(candidates)
    #expect(rewards.map(\.value) == (0..<1_000).map { i in i % 7 == i % 5 ? 1 : 0 })
  }

  @Test func registriesTakeNewKinds() async throws {
    struct Constant: RewardModel {
      let name = "constant"
      func score(_ candidates: [Candidate]) async throws -> [Reward] { candidates.map { _ in Reward(0.25) } }
    }
    let registry = ComponentRegistry.standard.registering("constant") { p throws(SpecError) in
      _ = try p.string("label")
      return ModelComponent(Constant())
    }
    let text = "components:\n  - {kind: constant, label: x, weight: 2}\n"
    #expect(throws: SpecError.self) { try RewardSpecLoader.load(text: text) }
    let model = try RewardSpecLoader.load(text: text, registry: registry)
    #expect(try await model.score([candidate("x")])[0].value == 0.5)
  }
}
