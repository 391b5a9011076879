import Foundation
import RewardCore
import RewardEngine
import RewardTestSupport
import Testing

@testable import RewardJudge

/// A prompt longer than the engine's context is refused by the engine; judges count it apart
/// (skipped, not scored) and JudgeBench reports the accuracy on the pairs that fit beside the
/// overall one.
@Suite struct ContextOverflowTests {
  /// llama-server's answer to a prompt over its per-slot context (b1-0c1e570, `-c 8192 --parallel 4`).
  static let llamaServerRefusal = EngineError.http(
    endpoint: "http://127.0.0.1:18094/v1", status: 400,
    body:
      #"{"error":{"code":400,"message":"request (3031 tokens) exceeds the available context size (2048 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":3031,"n_ctx":2048}}"#
  )

  @Test func contextRefusalsAreRecognised() {
    #expect(Self.llamaServerRefusal.isContextOverflow)
    let vllm = EngineError.http(
      endpoint: "e", status: 400,
      body: #"{"message": "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens"}"#)
    #expect(vllm.isContextOverflow)
    #expect(!EngineError.http(endpoint: "e", status: 400, body: #"{"error": "bad grammar"}"#).isContextOverflow)
    #expect(!EngineError.http(endpoint: "e", status: 500, body: "exceeds the available context").isContextOverflow)
    #expect(!EngineError.unreachable(endpoint: "e", reason: "refused").isContextOverflow)
  }

  @Test func judgeBenchCountsPairsOverTheContextAndScoresThoseThatFit() async throws {
    // Real JudgeBench pairs; the engine refuses the longer half of the prompts (as a small context
    // would) and otherwise prefers whichever answer it is shown first.
    let pairs = Array(
      try JudgeBenchReader.read(path: SharedData.path("data/judge/judgebench-claude-3-5-sonnet.jsonl")).prefix(12))
    let template = try BuiltinTemplates.named("pairwise")
    let lengths = try pairs.map { pair in
      try template.render(["question": pair.question, "answer_a": pair.responseA, "answer_b": pair.responseB])
        .filter { $0.role == "user" }.map(\.content).joined(separator: "\n").count
    }
    let limit = lengths.sorted()[pairs.count / 2]
    let over = lengths.count(where: { $0 > limit })
    let engine = ScriptedEngine { request, _ in
      guard request.shown.count <= limit else { throw Self.llamaServerRefusal }
      return ChatResponse(text: "[[A]]", usage: TokenUsage(promptTokens: 10, completionTokens: 2))
    }
    let judge = PairwiseJudge(name: "j", engine: engine, template: template)
    let report = try await JudgeBenchRun.run(pairs, judge: judge)
    #expect(over > 0 && over < pairs.count)
    #expect(report.overContext == over)
    #expect(judge.ledger.summary.overContext == over && judge.ledger.summary.engineErrors == over)
    // "Always the first" is +1 −1 = 0 on every pair that fits: none correct, and none over the context.
    #expect(report.fitting?.pairs == pairs.count - over && report.fitting?.correct == 0)
    #expect(report.overall.pairs == pairs.count && report.overall.correct == 0)
  }
}
