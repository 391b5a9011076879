import Foundation
import RewardCore
import RewardData
import RewardLM
import RewardTestSupport
import Testing

@testable import RewardSpec

/// Scripted LMs behind the `implicit_reward` component: a tokenizer of Unicode scalars (modulo
/// the vocabulary), and a scorer with log p(token) = −(0.01·scalar value mod 7 + 0.1 + shift)
/// per scalar of the response, so sums, means and differences are known exactly.
struct ScalarTokenizer: TextTokenizer {
  var vocabularySize: Int
  func encode(_ text: String, addSpecialTokens: Bool) throws -> [TokenID] {
    text.unicodeScalars.map { TokenID(Int($0.value) % vocabularySize) }
  }
  func decode(_ ids: [TokenID]) -> String { String(ids.map { Character(UnicodeScalar(UInt8($0 % 128))) }) }
  var bosTokenID: TokenID? { nil }
  var eosTokenID: TokenID? { nil }
  var padTokenID: TokenID? { nil }
}

struct ScalarScorer: ResponseLogProbabilityScorer {
  var name: String
  var shift: Double

  static func logprob(_ scalar: Unicode.Scalar, shift: Double) -> Double {
    -(0.01 * Double(scalar.value % 7) + 0.1 + shift)
  }

  func responseLogProbabilities(_ pairs: [(prompt: String, response: String)]) async throws
    -> [ResponseLogProbability]
  {
    pairs.map { pair in
      ResponseLogProbability(
        sum: pair.response.unicodeScalars.reduce(0) { $0 + Self.logprob($1, shift: shift) },
        tokenCount: pair.response.unicodeScalars.count)
    }
  }
}

struct TestChatML: ConversationRenderer {
  func render(_ messages: [Message], addGenerationPrompt: Bool) throws -> String {
    messages.map { "<|im_start|>\($0.role.rawValue)\n\($0.content)<|im_end|>\n" }.joined()
      + (addGenerationPrompt ? "<|im_start|>assistant\n" : "")
  }
}

@Suite struct ImplicitRewardSpecTests {
  static let resolver = LanguageModelResolver { reference in
    let (shift, vocabulary): (Double, Int) =
      switch reference {
      case "policy": (0, 49_152)
      case "reference": (0.05, 49_152)
      case "other-tokenizer": (0, 32_000)
      default: throw ConfigurationError("\(reference): no such model")
      }
    return LoadedLanguageModel(
      scorer: ScalarScorer(name: reference, shift: shift), tokenizer: ScalarTokenizer(vocabularySize: vocabulary),
      renderer: TestChatML())
  }

  static let registry = ComponentRegistry.standard.registering(
    "implicit_reward", ImplicitRewardComponent.constructor(resolver: resolver))

  func load(_ component: String) throws(SpecError) -> SpecRewardModel {
    try RewardSpecLoader.load(text: "components:\n  - kind: implicit_reward\n" + component, registry: Self.registry)
  }

  func realCandidates() throws -> [Candidate] {
    let pairs = try PreferenceReader.read([SharedData.path("data/preference/llmbar-natural.json")]).pairs.prefix(20)
    return pairs.flatMap {
      [Candidate(prompt: $0.prompt, response: $0.chosen), Candidate(prompt: $0.prompt, response: $0.rejected)]
    }
  }

  /// The scored response text is the response itself.
  func expectedSum(_ response: String, shift: Double) -> (sum: Double, count: Int) {
    let text = response
    return (text.unicodeScalars.reduce(0) { $0 + ScalarScorer.logprob($1, shift: shift) }, text.unicodeScalars.count)
  }

  @Test func policyEqualToReferenceGivesExactlyZero() async throws {
    let model = try load("    policy: policy\n    reference: policy\n    beta: 3\n")
    let rewards = try await model.score(try realCandidates())
    #expect(rewards.count == 40)
    #expect(rewards.allSatisfy { $0.value == 0 })
  }

  @Test func dpoRewardIsBetaTimesTheLogRatio() async throws {
    let model = try load("    policy: policy\n    reference: reference\n    beta: 0.5\n")
    let candidates = try realCandidates()
    let rewards = try await model.score(candidates)
    for (candidate, reward) in zip(candidates, rewards) {
      let tokens = expectedSum(candidate.response, shift: 0).count
      #expect(abs(reward.value - 0.5 * 0.05 * Double(tokens)) < 1e-9 * Double(tokens))
    }
  }

  @Test func referenceFreeSumAndMean() async throws {
    let candidates = try realCandidates()
    let sums = try await load("    policy: policy\n").score(candidates)
    let means = try await load("    policy: policy\n    normalize: mean\n").score(candidates)
    for index in candidates.indices {
      let (sum, count) = expectedSum(candidates[index].response, shift: 0)
      #expect(abs(sums[index].value - sum) < 1e-9)
      #expect(abs(means[index].value - sum / Double(count)) < 1e-12)
    }
  }

  @Test func summedLogProbabilitiesFavourTheShorterResponse() async throws {
    // Every token costs probability, so the summed score prefers fewer tokens (why SimPO normalises).
    let short = Candidate(prompt: [.user("Say hi")], response: "Hi")
    let long = Candidate(prompt: [.user("Say hi")], response: "Hi there, how are you doing today?")
    let sums = try await load("    policy: policy\n").score([short, long])
    #expect(sums[0].value > sums[1].value)
  }

  @Test(arguments: [
    ("    beta: 1\n", "components[0].policy", "missing required parameter"),
    ("    policy: policy\n    beta: 0\n", "components[0].beta", "positive"),
    ("    policy: policy\n    normalize: median\n", "components[0].normalize", "sum, mean"),
    ("    policy: {model: x}\n", "components[0].policy.model", "unknown key"),
    ("    policy: 3\n", "components[0].policy", "found number"),
    ("    policy: policy\n    reference: other-tokenizer\n", "components[0]", "share a tokenizer"),
    ("    policy: nowhere\n", "components[0]", "nowhere: no such model"),
    ("    policy: {engine: {model: m}}\n", "components[0].policy.engine.base_url", "required"),
    (
      "    policy: {engine: {base_url: 'http://127.0.0.1:9/v1', model: m}}\n", "components[0].chat_template",
      "engine policy has no chat template"
    ),
    ("    policy: policy\n    temperature: 2\n", "components[0].temperature", "unknown parameter"),
    // reward-bench's rule and `norm` (issue 13): bad names and combinations name their field.
    ("    policy: policy\n    text_rule: rewardbench\n", "components[0].text_rule", "response, reward-bench"),
    (
      "    policy: policy\n    reference: reference\n    normalize: norm\n", "components[0].normalize", "reference-free"
    ),
    (
      "    policy: policy\n    reference: reference\n    normalize: mean\n    text_rule: reward-bench\n",
      "components[0].normalize", "use sum"
    ),
    (
      "    policy: {engine: {base_url: 'http://127.0.0.1:9/v1', model: m, check: false}}\n    chat_template: policy\n"
        + "    text_rule: reward-bench\n", "components[0].text_rule", "engine policy cannot take"
    ),
    ("    policy: policy\n    text_rule: reward-bench\n", "components[0]", "cannot take"),
  ])
  func badParametersAreErrorsAtTheirPath(_ text: String, _ path: String, _ message: String) throws {
    #expect {
      try load(text)
    } throws: { error in
      guard let error = error as? SpecError else { return false }
      return error.path == path && error.message.contains(message)
    }
  }

  @Test func anEnginePolicyTakesTheTemplateOfALocalModel() async throws {
    let model = try load(
      "    policy: {engine: {base_url: 'http://127.0.0.1:9/v1', model: m, check: false}}\n    chat_template: policy\n")
    #expect(model.name.isEmpty == false)
  }

  @Test func withoutANativeRuntimeALocalModelIsRefusedClearly() throws {
    let registry = ComponentRegistry.standard.registering(
      "implicit_reward", ImplicitRewardComponent.constructor(resolver: LanguageModelResolver(native: nil)))
    #expect {
      try RewardSpecLoader.load(
        text: "components:\n  - kind: implicit_reward\n    policy: smollm2\n", registry: registry)
    } throws: { error in
      "\(error)".contains("smollm2") && "\(error)".contains("no native decoder-LM runtime")
    }
  }
}
