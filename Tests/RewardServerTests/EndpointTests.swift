import Foundation
import RewardCore
import RewardServer
import Testing

@Suite struct EndpointTests {
  /// The payload exactly as OpenRLHF's trainer sends it (`remote_rm_fn_ray`): decoded prompt+response
  /// texts, the prompts, and the dataset labels.
  @Test func getRewardSpeaksOpenRLHF() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let prompt = "<|im_start|>user\nWhat is 6 * 7?<|im_end|>\n<|im_start|>assistant\n"
      let payload: JSONValue = [
        "query": [
          .string(prompt + "<think>6 times 7</think> The answer is \\boxed{42}.<|im_end|>"),
          .string(prompt + "It is \\boxed{41}."),
        ],
        "prompts": [.string(prompt), .string(prompt)],
        "labels": ["42", "42"],
      ]
      let reply = try await server.post("/get_reward", payload.jsonText)
      #expect(reply.status == 200, "\(reply.text)")
      #expect(reply.headers.first(name: "content-type") == "application/json")
      #expect(reply.object.keys == ["rewards", "scores", "extra_logs"])
      // Correct and formatted: 1·1 + 0.5·1; wrong and unformatted: 0.
      #expect(reply.object["rewards"]?.doubles == [1.5, 0])
      #expect(reply.object["scores"]?.doubles == [1.5, 0])
      let logs = try #require(reply.object["extra_logs"]?.objectValue)
      #expect(logs.keys == ["math", "think_format"])
      #expect(logs["math"]?.doubles == [1, 0])
      #expect(logs["think_format"]?.doubles == [1, 0])
    }
  }

  /// Older OpenRLHF trainers send `prompts` and `labels` as null; the whole query is the response.
  @Test func getRewardAcceptsNullPromptsAndLabels() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let reply = try await server.post(
        "/get_reward", #"{"query": ["<think>x</think> \\boxed{1}", "plain"], "prompts": null, "labels": null}"#)
      #expect(reply.status == 200, "\(reply.text)")
      // No reference: math scores 0 under `not_applicable: zero`; only the format counts.
      #expect(reply.object["rewards"]?.doubles == [0.5, 0])
      let empty = try await server.post("/get_reward", #"{"query": []}"#)
      #expect(empty.text == #"{"rewards":[],"scores":[],"extra_logs":{}}"#)
    }
  }

  @Test func rewardsScoresValidItemsAndReportsInvalidOnes() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let reply = try await server.post(
        "/v1/rewards",
        """
        {"items": [
          {"prompt": "2+2?", "response": "<think>add</think> \\\\boxed{4}", "reference": 4},
          {"prompt": "2+2?"},
          {"messages": [{"role": "user", "content": "2+3?"}, {"role": "assistant", "content": "\\\\boxed{5}"}],
           "reference": "5", "metadata": {"source": "test"}},
          {"messages": [{"role": "robot", "content": "hi"}], "response": "x"},
          "not an object"
        ]}
        """)
      #expect(reply.status == 200, "\(reply.text)")
      #expect(reply.object["model"] == "math-format")
      let results = reply.object["results"]?.arrayValue?.compactMap(\.objectValue) ?? []
      try #require(results.count == 5)
      #expect(results[0]["reward"]?.doubleValue == 1.5)
      #expect(results[0]["components"] == ["math": 1.0, "think_format": 1.0])
      #expect(results[0]["error"] == nil)
      #expect(results[1]["reward"] == .null)
      #expect(results[1]["error"]?.objectValue?["field"] == "items[1].response")
      #expect(results[2]["reward"]?.doubleValue == 1.0)
      #expect(results[3]["error"]?.objectValue?["field"] == "items[3].messages[0].role")
      #expect(results[4]["error"]?.objectValue?["field"] == "items[4]")
      #expect(server.server.metrics.errorCount("invalid_item") == 3)
    }
  }

  @Test func groupNormalisationIsPerRequest() async throws {
    try await ServerHarness.with(servedSpec(groupSpec)) { server in
      let reply = try await server.post(
        "/v1/rewards",
        """
        {"items": [{"prompt": "q", "response": "\\\\boxed{1}", "reference": "1", "group": "a"},
                   {"prompt": "q", "response": "\\\\boxed{2}", "reference": "1", "group": "a"},
                   {"prompt": "q", "response": "\\\\boxed{3}", "reference": "3", "group": 7}]}
        """)
      let rewards = reply.object["results"]?.arrayValue?.compactMap { $0.objectValue?["reward"]?.doubleValue }
      // Group "a": values 1 and 0, mean 0.5, sample std √0.5; group 7 has one member and keeps 1.
      let z = 0.5 / (0.5.squareRoot() + 1e-6)
      #expect(rewards?.count == 3)
      #expect(abs(rewards![0] - z) < 1e-9 && abs(rewards![1] + z) < 1e-9 && rewards![2] == 1)
    }
  }

  @Test func compareGivesBradleyTerryProbabilities() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let reply = try await server.post(
        "/v1/compare",
        #"{"pairs": [{"prompt": "1+1?", "a": "\\boxed{2}", "b": "\\boxed{3}", "reference": "2"}]}"#)
      #expect(reply.status == 200, "\(reply.text)")
      let result = try #require(reply.object["results"]?.arrayValue?.first?.objectValue)
      #expect(result["reward_a"]?.doubleValue == 1 && result["reward_b"]?.doubleValue == 0)
      #expect(abs(result["probability"]!.doubleValue! - 1 / (1 + exp(-1.0))) < 1e-12)
      let missing = try await server.post("/v1/compare", #"{"pairs": [{"a": "x"}]}"#)
      #expect(missing.status == 400)
      #expect(missing.error?["field"] == "pairs[0].b")
    }
  }

  /// vLLM's documented shapes: `/classify` {model, input} → {id, object, created, model, data:
  /// [{index, label, probs, num_classes}], usage}; `/score` {text_1, text_2} → data [{index, object, score}].
  @Test func vllmClassifyAndScoreShapes() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let classify = try await server.post("/classify", #"{"model": "m", "input": ["<think>a</think>", "b"]}"#)
      #expect(classify.status == 200, "\(classify.text)")
      #expect(classify.object.keys == ["id", "object", "created", "model", "data", "usage"])
      #expect(classify.object["object"] == "list")
      #expect(classify.object["id"]?.stringValue?.hasPrefix("classify-") == true)
      let data = classify.object["data"]?.arrayValue?.compactMap(\.objectValue) ?? []
      try #require(data.count == 2)
      #expect(
        data.map(\.keys) == [["index", "label", "probs", "num_classes"], ["index", "label", "probs", "num_classes"]])
      #expect(data.map { $0["probs"]!.doubles } == [[0.5], [0]])
      #expect(data[1]["index"] == 1)
      let single = try await server.post("/v1/classify", #"{"input": "<think>a</think>"}"#)
      #expect(single.object["data"]?.arrayValue?.count == 1)

      let score = try await server.post(
        "/score", #"{"model": "m", "text_1": "What is 2+2?", "text_2": ["<think>x</think>", "no"]}"#)
      #expect(score.status == 200, "\(score.text)")
      #expect(score.object["id"]?.stringValue?.hasPrefix("score-") == true)
      let scores = score.object["data"]?.arrayValue?.compactMap(\.objectValue) ?? []
      try #require(scores.count == 2)
      #expect(scores.map(\.keys) == [["index", "object", "score"], ["index", "object", "score"]])
      #expect(scores.map { $0["score"]!.doubleValue! } == [0.5, 0])
      #expect(scores[0]["object"] == "score")
      let mismatched = try await server.post("/score", #"{"text_1": ["a", "b"], "text_2": ["c"]}"#)
      #expect(mismatched.status == 400 && mismatched.error?["field"] == "text_2")
    }
  }

  @Test func healthSpecAndMetrics() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let health = try await server.get("/health")
      #expect(health.status == 200 && health.text == #"{"status":"ok","model":"math-format"}"#)
      let spec = try await server.get("/v1/spec")
      #expect(spec.object["name"] == "math-format" && spec.object["type"] == "spec")
      let components = spec.object["components"]?.arrayValue?.compactMap { $0.objectValue?["kind"]?.stringValue }
      #expect(components == ["math", "format"])
      #expect(spec.object["serving"]?.objectValue?["auth"] == false)
      _ = try await server.post("/get_reward", #"{"query": ["a", "b", "c"]}"#)
      _ = try await server.post("/get_reward", #"{"query": 1}"#)
      let metrics = try await server.get("/metrics")
      #expect(metrics.status == 200)
      #expect(metrics.headers.first(name: "content-type")?.hasPrefix("text/plain") == true)
      #expect(metrics.text.contains(#"rewardkit_requests_total{endpoint="/get_reward",status="200"} 1"#))
      #expect(metrics.text.contains(#"rewardkit_requests_total{endpoint="/get_reward",status="400"} 1"#))
      #expect(metrics.text.contains(#"rewardkit_items_total{endpoint="/get_reward"} 3"#))
      #expect(metrics.text.contains(#"rewardkit_errors_total{kind="bad_request"} 1"#))
      #expect(metrics.text.contains(#"rewardkit_request_duration_seconds_count{endpoint="/get_reward"} 2"#))
      #expect(metrics.text.contains("rewardkit_batch_size_sum 3.0"))
      #expect(metrics.text.contains("rewardkit_queue_depth 0"))
    }
  }

  /// `--model` serves whatever the CLI's loader returns; a spec is still described in full.
  @Test func specDescriptionOfAnyModel() async throws {
    try await ServerHarness.with(ServedModel.model(FailingModel(), source: "http://rm/get_reward")) { server in
      let description = try await server.get("/v1/spec").object
      #expect(description["type"] == "model" && description["source"] == "http://rm/get_reward")
    }
    let spec = try servedSpec(mathFormatSpec).model
    try await ServerHarness.with(ServedModel.model(spec, source: "s.yaml")) { server in
      let description = try await server.get("/v1/spec").object
      #expect(description["type"] == "spec" && description["components"]?.arrayValue?.count == 2)
    }
  }
}
