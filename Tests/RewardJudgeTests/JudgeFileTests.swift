import Foundation
import RewardCore
import RewardEngine
import RewardSpec
import RewardTestSupport
import Testing

@testable import RewardJudge

/// Judge files and `kind: judge` spec components: load-time errors name the field; the engine
/// block goes to the factory; unparseable items follow the spec's not_applicable policy.
@Suite struct JudgeFileTests {
  func write(_ text: String, name: String = "judge.yaml") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("judge-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func factory(_ engine: ScriptedEngine, seen: Box? = nil) -> JudgeEngineFactory {
    { block, location in
      seen?.set(block, location)
      return engine
    }
  }

  final class Box: @unchecked Sendable {
    let lock = NSLock()
    var block: JSONValue?
    var location: String?
    func set(_ block: JSONValue, _ location: String) {
      lock.withLock {
        self.block = block
        self.location = location
      }
    }
  }

  func loadError(_ yaml: String) throws -> JudgeConfigurationError? {
    let path = try write(yaml)
    do {
      _ = try JudgeConfiguration.load(path: path, engineFactory: factory(ScriptedEngine(texts: [""])))
      return nil
    } catch let error as JudgeConfigurationError {
      #expect(error.file == path)
      return error
    }
  }

  @Test func aPairwiseJudgeFileLoadsWithItsEngineBlockAndCache() async throws {
    let seen = Box()
    let path = try write(
      """
      mode: pairwise
      template: builtin:arena-hard
      order: both
      aggregate: counter
      sampling: {temperature: 0.2, max_tokens: 512, seed: 3, top_logprobs: 5}
      engine: {base_url: "http://127.0.0.1:8080/v1", model: smol}
      cache: {path: cache-dir, mode: read-write}
      """)
    #expect(JudgeConfiguration.isJudgeFile(path))
    let engine = ScriptedEngine(texts: ["[[A>B]]"])
    let loaded = try JudgeConfiguration.load(path: path, engineFactory: factory(engine, seen: seen))
    let judge = try #require(loaded.pairwise)
    #expect(judge.format == .arenaHard)
    #expect(judge.order == .both && judge.aggregate == .counter)
    #expect(judge.settings.sampling == SamplingParameters(temperature: 0.2, maxTokens: 512, seed: 3, topLogprobs: 5))
    #expect(seen.location == "\(path): engine")
    #expect(seen.block?.objectValue?["model"] == "smol")
    #expect(seen.block?.objectValue?["cache"]?.objectValue?["mode"] == "read-write")
    let p = try await judge.preferenceProbabilities([CandidatePair(candidate("Q", "a"), candidate("Q", "b"))])
    #expect(p == [0.5])  // A>B in both orders: a position-biased judge is a tie under the counter
  }

  @Test func unknownModeIsAnErrorNamingTheField() throws {
    let error = try #require(try loadError("mode: pointwize\nengine: {}\n"))
    #expect(error.field == "mode")
    #expect(error.message.contains("unknown mode 'pointwize'"))
    #expect(error.message.contains("pointwise, pairwise"))
  }

  @Test func aTemplateVariableTheModeDoesNotProvideIsAnErrorAtLoad() throws {
    let error = try #require(
      try loadError(
        """
        mode: pointwise
        template: {user: "Rate {{answr}} for {{question}}"}
        engine: {}
        """))
    #expect(error.field == "template")
    #expect(error.message.contains("'answr'"))
    let missing = try #require(
      try loadError(
        """
        mode: pairwise
        template: {user: "Which is better, {{answer_a}}?"}
        engine: {}
        """))
    #expect(missing.message.contains("never uses the variable 'answer_b'"))
  }

  @Test func otherLoadErrorsNameTheirFields() throws {
    #expect(try loadError("mode: pairwise\nengine: {}\ntemprature: 0\n")?.field == "temprature")
    #expect(try loadError("mode: pairwise\n")?.field == "engine")
    #expect(try loadError("mode: pairwise\nverdict: five-way\nengine: {}\n")?.field == "verdict")
    #expect(try loadError("mode: pairwise\norder: shuffled\nengine: {}\n")?.field == "order")
    #expect(try loadError("mode: pointwise\nsampling: {temprature: 1}\nengine: {}\n")?.field == "sampling.temprature")
    #expect(try loadError("mode: principle\nengine: {}\n")?.field == "principle")
    #expect(try loadError("mode: spct\nkeep_top: 2\nengine: {}\n")?.field == "keep_top")
    #expect(try loadError("mode: pairwise\ntemplate: builtin:nope\nengine: {}\n")?.field == "template")
    let multiTurn = try loadError(
      """
      mode: pointwise
      template_file: \(SharedData.path("data/judge/mt-bench-judge-prompts.jsonl"))
      template_name: single-v1-multi-turn
      engine: {}
      """)
    #expect(multiTurn?.field == "template")
    #expect(multiTurn?.message.contains("'answer_1'") == true)
  }

  @Test func mtBenchPublishedTemplateInAJudgeFile() async throws {
    let path = try write(
      """
      mode: pointwise
      template_file: \(SharedData.path("data/judge/mt-bench-judge-prompts.jsonl"))
      template_name: single-math-v1
      parser: first
      engine: {}
      """)
    let engine = ScriptedEngine(texts: ["Rating: [[3]] … later I said [[9]]"])
    let loaded = try JudgeConfiguration.load(path: path, engineFactory: factory(engine))
    let reward = try await loaded.model.score([candidate("1+1?", "3", reference: "2")])[0]
    #expect(reward.value == 3)
    #expect(engine.requests[0].shown.contains("[The Start of Reference Answer]\n2\n"))
  }

  @Test func judgeAsASpecComponentFollowsTheNotApplicablePolicy() async throws {
    let engine = ScriptedEngine { request, _ in
      ChatResponse(text: request.shown.contains("clear") ? "Rating: [[8]]" : "no idea")
    }
    let registry = ComponentRegistry.standard.registering(
      "judge", JudgeComponent.constructor(engineFactory: factory(engine)))
    let spec = """
      name: judged
      not_applicable: zero
      components:
        - kind: judge
          name: style
          mode: pointwise
          retries: 0
          engine: {model: x}
      """
    let model = try RewardSpecLoader.load(text: spec, registry: registry)
    let rewards = try await model.score([candidate("Q", "clear"), candidate("Q", "murky")])
    #expect(rewards[0].value == 8)
    #expect(rewards[1].value == 0)
    #expect(rewards[1].rationale?.contains("judge: unparseable") == true)
  }

  @Test func specComponentErrorsNameTheComponentField() throws {
    let registry = ComponentRegistry.standard.registering(
      "judge", JudgeComponent.constructor(engineFactory: factory(ScriptedEngine(texts: [""]))))
    let spec = "components:\n  - kind: judge\n    mode: listwize\n    engine: {}\n"
    #expect(
      throws: SpecError(
        path: "components[0].mode",
        "unknown mode 'listwize' (expected one of pointwise, pairwise, listwise, spct, reasoning, principle, tools, "
          + "prm-critic, prm-logprob)")
    ) {
      try RewardSpecLoader.load(text: spec, registry: registry)
    }
    let typo = "components:\n  - kind: judge\n    mode: pointwise\n    engine: {}\n    scal: [1, 5]\n"
    #expect(throws: SpecError.self) { try RewardSpecLoader.load(text: typo, registry: registry) }
  }

  @Test func withoutAnEngineClientTheStandardRegistrySaysSo() throws {
    let spec = "components:\n  - kind: judge\n    mode: pointwise\n    engine: {model: x}\n"
    do {
      _ = try RewardSpecLoader.load(text: spec)
      Issue.record("expected an error")
    } catch {
      #expect(error.description.contains("engine"))
    }
  }
}
