import Foundation
import RewardCore
import RewardData
import RewardServer
import RewardSpec
import RewardTestSupport
import Testing

/// Issue 12: per-step rewards from the server, for process reward models. The same records give
/// the same step rewards through `POST /v1/rewards` as through `reward prm score`'s path
/// (`StepRewardRecords`), for every shaping; `/get_reward` returns them on request with offsets
/// into each query.
struct StepRewardTests {
  /// ProcessBench GSM8K solutions (real model-written steps, some with arithmetic slips) as
  /// records both paths read: prompt, the response (steps joined by blank lines), the steps list.
  static func records(count: Int = 40) throws -> [JSONObject] {
    let data = try Data(contentsOf: SharedData.url("data/process/processbench-gsm8k.json"))
    let traces = try #require(JSONParser.parse(bytes: Array(data)).arrayValue)
    return try traces.prefix(count).map { trace in
      let object = try #require(trace.objectValue)
      let steps = try #require(object["steps"]?.arrayValue).compactMap(\.stringValue)
      return JSONObject([
        ("prompt", try #require(object["problem"])), ("response", .string(steps.joined(separator: "\n\n"))),
        ("steps", .array(steps.map { .string($0) })),
      ])
    }
  }

  static func prmScoreOutput(_ objects: [JSONObject], model: any RewardModel, shaping: StepShapingKind)
    async throws -> [JSONObject]
  {
    let text = objects.map { JSONValue.object($0).jsonText }.joined(separator: "\n")
    let file = try InputFile(path: "records.jsonl", bytes: Array(text.utf8))
    let records = try StepRewardRecords.read(file)
    let rewards = try await model.score(records.map(\.candidate))
    return try StepRewardRecords.output(records, rewards: rewards, shaping: shaping)
  }

  @Test func v1RewardsGiveTheSameStepRewardsAsPRMScore() async throws {
    let model = try ModelLoader.load("step-check")
    let objects = try Self.records()
    try await ServerHarness.with(served(model)) { server in
      for shaping in ["none", "clip:0.5", "delta", "min-form"] {
        let expected = try await Self.prmScoreOutput(objects, model: model, shaping: StepShapingKind.parse(shaping))
        var body = JSONObject([("items", .array(objects.map { .object($0) }))])
        if shaping != "none" { body["step_shaping"] = .string(shaping) }
        let reply = try await server.post("/v1/rewards", JSONValue.object(body).jsonText)
        #expect(reply.status == 200, "\(reply.text)")
        let results = try #require(reply.object["results"]?.arrayValue).compactMap(\.objectValue)
        #expect(results.count == objects.count)
        for (result, line) in zip(results, expected) {
          #expect(result["reward"] == line["reward"])
          #expect(result["step_rewards"] == line["step_rewards"], "shaping \(shaping)")
        }
      }
      // The data has arithmetic slips: some solutions have a step scored 0, so shaping is exercised.
      let plain = try await Self.prmScoreOutput(objects, model: model, shaping: .none)
      #expect(plain.contains { $0["reward"] == .double(0) })
      #expect(plain.contains { $0["reward"] == .double(1) })
    }
  }

  @Test func stepOffsetsPointAtTheStepsInTheResponse() async throws {
    let model = try ModelLoader.load("step-check")
    let item = JSONObject([
      ("prompt", "Eggs?"), ("response", "Step one: 16 − 3 = 13 eggs.\n\n  She sells 13 × 2 = $27.\n"),
    ])
    try await ServerHarness.with(served(model)) { server in
      let reply = try await server.post(
        "/v1/rewards", JSONValue.object(JSONObject([("items", .array([.object(item)]))])).jsonText)
      let result = try #require(reply.object["results"]?.arrayValue?.first?.objectValue)
      let steps = try #require(result["step_rewards"]?.arrayValue).compactMap(\.objectValue)
      let response = Array(item["response"]!.stringValue!.unicodeScalars)
      let texts = steps.map { step -> String in
        let start = Int(step["start"]!.doubleValue!)
        let end = Int(step["end"]!.doubleValue!)
        return String(String.UnicodeScalarView(response[start..<end]))
      }
      // Offsets count Unicode scalars (− and × are one each), and cover the trimmed steps.
      #expect(texts == ["Step one: 16 − 3 = 13 eggs.", "She sells 13 × 2 = $27."])
      #expect(steps.map { $0["reward"] } == [.double(1), .double(0)])
      #expect(result["reward"] == .double(0))
    }
  }

  @Test func getRewardGivesStepRewardsOnRequestWithQueryOffsets() async throws {
    let model = try ModelLoader.load("step-check")
    let objects = Array(try Self.records(count: 12))
    let prompts = objects.map { $0["prompt"]!.stringValue! + "\n" }
    let responses = objects.map { $0["response"]!.stringValue! }
    let queries = zip(prompts, responses).map { $0 + $1 }
    let expected = try await Self.prmScoreOutput(
      objects.map { object in
        var copy = object
        copy["prompt"] = .string(object["prompt"]!.stringValue! + "\n")
        copy["steps"] = nil  // /get_reward has no steps list: the model splits the response itself
        return copy
      }, model: model, shaping: .clip(eta: 0.5))
    try await ServerHarness.with(served(model)) { server in
      let plain = try await server.post(
        "/get_reward",
        JSONValue.object(
          JSONObject([
            ("query", .array(queries.map { .string($0) })), ("prompts", .array(prompts.map { .string($0) })),
          ])
        ).jsonText)
      #expect(plain.status == 200, "\(plain.text)")
      #expect(plain.object["step_rewards"] == nil, "OpenRLHF's shape is unchanged unless asked")

      let asked = try await server.post(
        "/get_reward",
        JSONValue.object(
          JSONObject([
            ("query", .array(queries.map { .string($0) })), ("prompts", .array(prompts.map { .string($0) })),
            ("step_rewards", true), ("step_shaping", "clip:0.5"),
          ])
        ).jsonText)
      #expect(asked.status == 200, "\(asked.text)")
      #expect(asked.object["rewards"] == plain.object["rewards"])
      let perQuery = try #require(asked.object["step_rewards"]?.arrayValue)
      #expect(perQuery.count == queries.count)
      for index in queries.indices {
        let steps = try #require(perQuery[index].arrayValue).compactMap(\.objectValue)
        let reference = try #require(expected[index]["step_rewards"]?.arrayValue).compactMap(\.objectValue)
        #expect(steps.map { $0["reward"] } == reference.map { $0["reward"] })
        // The same steps, moved by the prompt's length: offsets point into the query.
        let shift = Double(prompts[index].unicodeScalars.count)
        #expect(
          steps.map { $0["start"]?.doubleValue } == reference.map { ($0["start"]?.doubleValue).map { $0 + shift } })
        let query = Array(queries[index].unicodeScalars)
        let response = Array(responses[index].unicodeScalars)
        for (step, own) in zip(steps, reference) {
          let inQuery = query[Int(step["start"]!.doubleValue!)..<Int(step["end"]!.doubleValue!)]
          let inResponse = response[Int(own["start"]!.doubleValue!)..<Int(own["end"]!.doubleValue!)]
          #expect(Array(inQuery) == Array(inResponse))
        }
      }
    }
  }

  @Test func stepRewardsCanBeLeftOutAndBadOptionsAreNamed() async throws {
    let model = try ModelLoader.load("step-check")
    let items = #"[{"prompt": "p", "response": "1 + 1 = 2\n\n2 + 2 = 5"}]"#
    try await ServerHarness.with(served(model)) { server in
      let off = try await server.post("/v1/rewards", #"{"step_rewards": false, "items": \#(items)}"#)
      #expect(off.status == 200)
      let result = try #require(off.object["results"]?.arrayValue?.first?.objectValue)
      #expect(result["step_rewards"] == nil)
      #expect(result["reward"] == .double(0))

      let badShaping = try await server.post("/v1/rewards", #"{"step_shaping": "clamp", "items": \#(items)}"#)
      #expect(badShaping.status == 400)
      #expect(badShaping.error?["field"] == "step_shaping", "\(badShaping.text)")
      let badFlag = try await server.post("/get_reward", #"{"step_rewards": "yes", "query": ["a"]}"#)
      #expect(badFlag.status == 400)
      #expect(badFlag.error?["field"] == "step_rewards", "\(badFlag.text)")
    }
  }

  @Test func scalarModelsAnswerWithoutStepRewards() async throws {
    let spec = try servedSpec("name: math\ncomponents:\n  - kind: math\n")
    try await ServerHarness.with(spec) { server in
      let reply = try await server.post(
        "/v1/rewards", #"{"items": [{"prompt": "2+2?", "response": "\\boxed{4}", "reference": "4"}]}"#)
      let result = try #require(reply.object["results"]?.arrayValue?.first?.objectValue)
      #expect(result["reward"] == .double(1))
      #expect(result["step_rewards"] == nil)
      let openrlhf = try await server.post("/get_reward", #"{"query": ["\\boxed{4}"], "step_rewards": true}"#)
      #expect(openrlhf.object["step_rewards"] == [.null])
    }
  }
}
