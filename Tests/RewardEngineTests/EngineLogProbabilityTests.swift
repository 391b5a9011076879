import Foundation
import Hummingbird
import RewardCore
import RewardData
import RewardEngine
import RewardLM
import RewardTestSupport
import Synchronization
import Testing

/// A vLLM-shaped `/v1/completions` with `echo`: a toy tokenizer (runs of letters or digits with
/// one leading space, any other character alone), a BOS token `<s>` that vLLM counts in
/// `text_offset` although it is not in the text, a null log-probability for the first token, and
/// log p(token) = −(0.25·length + 0.5 + shift) so that two "models" differ by `shift` per token.
enum EchoingEngine {
  static func tokens(_ text: String) -> [String] {
    var tokens: [String] = []
    var current = ""
    for scalar in text.unicodeScalars {
      let wordLike = scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
      if wordLike
        && (current.unicodeScalars.last.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) }
          ?? false || current == " ")
      {
        current.unicodeScalars.append(scalar)
        continue
      }
      if !current.isEmpty { tokens.append(current) }
      current = String(scalar)
    }
    if !current.isEmpty { tokens.append(current) }
    return tokens
  }

  static func logprob(_ token: String, shift: Double) -> Double {
    -(0.25 * Double(token.unicodeScalars.count) + 0.5 + shift)
  }

  /// The echoed completion of `prompt` (one generated token, "X").
  static func reply(
    _ body: JSONObject, shift: Double = 0, corrupt: ((inout [JSONValue], inout [JSONValue]) -> Void)? = nil
  ) -> Response {
    let prompt = body["prompt"]?.stringValue ?? ""
    let tokens = ["<s>"] + Self.tokens(prompt) + ["X"]
    var offsets: [JSONValue] = []
    var offset = 0
    for token in tokens {
      offsets.append(.int(Int64(offset)))
      offset += token.unicodeScalars.count
    }
    var logprobs: [JSONValue] = tokens.indices.map { $0 == 0 ? .null : .double(logprob(tokens[$0], shift: shift)) }
    let top: [JSONValue] = tokens.indices.map { index in
      index == 0 ? .null : .object(JSONObject([(tokens[index], logprobs[index])]))
    }
    corrupt?(&offsets, &logprobs)
    let choice: JSONValue = [
      "index": 0, "text": .string(prompt + "X"), "finish_reason": "length",
      "logprobs": [
        "tokens": .array(tokens.map { .string($0) }), "token_logprobs": .array(logprobs),
        "top_logprobs": .array(top), "text_offset": .array(offsets),
      ],
    ]
    return StubEngine.json([
      "id": "cmpl-1", "object": "text_completion", "model": body["model"] ?? "stub", "choices": [choice],
      "usage": ["prompt_tokens": .int(Int64(tokens.count - 1)), "completion_tokens": 1],
    ])
  }
}

/// ChatML, as SmolLM2's and Qwen's templates write it (no default system prompt).
struct ChatMLRenderer: ConversationRenderer {
  func render(_ messages: [Message], addGenerationPrompt: Bool) throws -> String {
    var text = messages.map { "<|im_start|>\($0.role.rawValue)\n\($0.content)<|im_end|>\n" }.joined()
    if addGenerationPrompt { text += "<|im_start|>assistant\n" }
    return text
  }
}

@Suite struct EngineLogProbabilityTests {
  func scorer(_ url: String, model: String = "policy") throws -> EngineLogProbabilityScorer {
    EngineLogProbabilityScorer(
      engine: try OpenAIEngine(
        settings: OpenAIEngineSettings(baseURLs: [url], model: model, retry: RetryPolicy(maxRetries: 0))))
  }

  @Test func sumsTheResponsesTokensAndSendsAnEchoRequest() async throws {
    let stub = StubEngine { _, body, _ in EchoingEngine.reply(body) }
    let values = try await stub.serve { url in
      try await scorer(url).responseLogProbabilities([("Q: 2+2?\nA:", " Four."), ("Q: nothing?\nA:", "")])
    }
    // " Four" (5 characters) and "." (1): −(1.25 + 0.5) − (0.25 + 0.5); the squares 1.75² + 0.75²
    // give reward-bench's `norm` (−‖per-token log p‖₂).
    #expect(values[0] == ResponseLogProbability(sum: -2.5, tokenCount: 2, sumOfSquares: 3.625))
    #expect(values[1] == ResponseLogProbability(sum: 0, tokenCount: 0, sumOfSquares: 0))
    let body = try #require(stub.bodies.first)
    #expect(body["echo"] == true)
    #expect(body["logprobs"] == 1)
    #expect(body["max_tokens"] == 1)
    #expect(body["temperature"] == 0.0)
  }

  @Test func aBoundaryInsideATokenIsAnErrorNamingTheItem() async throws {
    let stub = StubEngine { _, body, _ in EchoingEngine.reply(body) }
    await #expect(
      throws: EngineLogProbabilityError.boundaryInsideToken(
        engine: "engine model policy", item: 1, character: 10, token: " hello")
    ) {
      try await stub.serve { url in
        try await scorer(url).responseLogProbabilities([("Q: fine", " yes"), ("Q: say hel", "lo")])
      }
    }
  }

  @Test func shiftedOffsetsAreMisaligned() async throws {
    let stub = StubEngine { _, body, _ in
      EchoingEngine.reply(body) { offsets, _ in
        for index in 3..<offsets.count {
          if case .int(let value) = offsets[index] { offsets[index] = .int(value + 1) }
        }
      }
    }
    let error = await #expect(throws: EngineLogProbabilityError.self) {
      try await stub.serve { url in try await scorer(url).responseLogProbabilities([("Q: a b c d", " e f")]) }
    }
    guard case .misaligned(_, let item, let detail)? = error else {
      Issue.record("expected misaligned, got \(String(describing: error))")
      return
    }
    #expect(item == 0)
    #expect(detail.contains("token 3"))
  }

  @Test func aNullLogprobInTheResponseIsNotCountedAsCertain() async throws {
    let stub = StubEngine { _, body, _ in
      EchoingEngine.reply(body) { _, logprobs in logprobs[logprobs.count - 2] = .null }
    }
    let error = await #expect(throws: EngineLogProbabilityError.self) {
      try await stub.serve { url in try await scorer(url).responseLogProbabilities([("Q: hi", " there")]) }
    }
    guard case .missingLogprobs(_, 0, _)? = error else {
      Issue.record("expected missingLogprobs for item 0, got \(String(describing: error))")
      return
    }
  }

  @Test func anAnswerWithoutLogprobsOrEchoIsRefused() async throws {
    // No logprobs at all; then llama-server's shape: only the generated token, chat-style logprobs.
    let bare = StubEngine { _, body, _ in
      StubEngine.json([
        "choices": [["index": 0, "text": "X", "finish_reason": "length", "logprobs": .null]],
        "model": body["model"] ?? "m",
      ])
    }
    let llamaShaped = StubEngine { _, body, _ in
      StubEngine.json([
        "choices": [
          [
            "index": 0, "text": ",", "finish_reason": "length",
            "logprobs": ["content": [["id": 28, "token": ",", "logprob": -1.7, "top_logprobs": []]]],
          ]
        ],
        "model": body["model"] ?? "m",
      ])
    }
    for stub in [bare, llamaShaped] {
      let error = await #expect(throws: EngineLogProbabilityError.self) {
        try await stub.serve { url in try await scorer(url).responseLogProbabilities([("Q: hi", " there")]) }
      }
      guard case .noEcho? = error else {
        Issue.record("expected noEcho, got \(String(describing: error))")
        continue
      }
      #expect(error!.description.contains("llama-server has no echo"))
    }
  }

  /// reward-bench's DPO accuracy rule on real pairs: policy = reference gives exactly 0 for every
  /// response; a policy that is uniformly more confident per token than its reference prefers
  /// the shorter response (fewer tokens), which the test checks pair by pair.
  @Test func implicitRewardOnRealPairsThroughTheEngine() async throws {
    let pairs = Array(
      try PreferenceReader.read([SharedData.path("data/preference/llmbar-natural.json")]).pairs.prefix(12))
    let policy = StubEngine { _, body, _ in EchoingEngine.reply(body, shift: 0) }
    let reference = StubEngine { _, body, _ in EchoingEngine.reply(body, shift: 0.1) }
    let candidates = pairs.flatMap { pair in
      [Candidate(prompt: pair.prompt, response: pair.chosen), Candidate(prompt: pair.prompt, response: pair.rejected)]
    }
    let (same, dpo) = try await policy.serve { policyURL in
      try await reference.serve { referenceURL in
        let policyLM = ScoringLanguageModel(scorer: try scorer(policyURL))
        let referenceLM = ScoringLanguageModel(scorer: try scorer(referenceURL, model: "reference"))
        let same = try ImplicitRewardModel(
          name: "same", policy: policyLM, reference: policyLM, renderer: ChatMLRenderer())
        let dpo = try ImplicitRewardModel(
          name: "dpo", policy: policyLM, reference: referenceLM, renderer: ChatMLRenderer(), beta: 2)
        return (try await same.score(candidates), try await dpo.score(candidates))
      }
    }
    #expect(same.allSatisfy { $0.value == 0 })
    for (index, candidate) in candidates.enumerated() {
      // The prompt ends with "assistant\n", so the response's tokens are those of its own text.
      let responseTokens = EchoingEngine.tokens(candidate.response).count
      #expect(abs(dpo[index].value - 2 * 0.1 * Double(responseTokens)) < 1e-6 * Double(responseTokens))
    }
    let requested = policy.bodies.compactMap { $0["prompt"]?.stringValue }
    #expect(requested.first?.hasPrefix("<|im_start|>user\n") == true)
    #expect(requested.first?.contains("<|im_end|>\n<|im_start|>assistant\n") == true)
  }

  @Test func mismatchedTokenCountsBetweenPolicyAndReferenceAreAnError() async throws {
    struct Fixed: ResponseLogProbabilityScorer {
      let name: String
      let count: Int
      func responseLogProbabilities(_ pairs: [(prompt: String, response: String)]) async throws
        -> [ResponseLogProbability]
      {
        pairs.map { _ in ResponseLogProbability(sum: -1, tokenCount: count) }
      }
    }
    let model = try ImplicitRewardModel(
      name: "m", policy: ScoringLanguageModel(scorer: Fixed(name: "a", count: 3)),
      reference: ScoringLanguageModel(scorer: Fixed(name: "b", count: 4)), renderer: ChatMLRenderer())
    await #expect {
      try await model.score([Candidate(prompt: [.user("q")], response: "r")])
    } throws: { error in
      "\(error)".contains("item 0") && "\(error)".contains("do not share a tokenizer")
    }
  }
}

/// The real llama-server cannot echo the prompt: the scorer must say so, not return a number.
@Suite(.enabled(if: LlamaServer.available, LlamaServer.skipReason))
struct LlamaServerLogProbabilityTests {
  @Test func llamaServerIsRefusedClearly() async throws {
    let url = try await LlamaServer.baseURL()
    let scorer = EngineLogProbabilityScorer(
      engine: try OpenAIEngine(settings: OpenAIEngineSettings(baseURLs: [url], model: "smollm2", timeout: .seconds(60)))
    )
    let error = await #expect(throws: EngineLogProbabilityError.self) {
      try await scorer.responseLogProbabilities([("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", "Hello")])
    }
    guard case .noEcho? = error else {
      Issue.record("expected noEcho, got \(String(describing: error))")
      return
    }
    #expect(error!.description.contains("llama-server has no echo"))
  }
}
