import Foundation
import RewardCore
import RewardData
import RewardEval
import RewardServer
import Testing

/// Issue 15.1: one record, one reward, whichever way it arrives — a file for `reward score`, an item
/// of `POST /v1/rewards`, a query of OpenRLHF's `/get_reward`, or a record of `reward eval`'s
/// best-of-N file — because all of them read it with the one candidate grammar.
struct SameRecordTests {
  static let mathSpec = """
    name: math
    components:
      - kind: math
    """

  /// Every reference alias, a numeric reference, an empty prompt and a messages prompt.
  static let records = [
    #"{"prompt": "What is 2+2?", "response": "The answer is \\boxed{4}", "answer": "4"}"#,
    #"{"prompt": "What is 2+3?", "response": "It is \\boxed{5}", "reference": 5}"#,
    #"{"prompt": "", "response": "\\boxed{41}", "ground_truth": "42"}"#,
    #"{"prompt": "Square x.", "response": "\\boxed{x^2}", "label": "x^2"}"#,
    #"{"messages": [{"role": "user", "content": "6*7?"}, {"role": "assistant", "content": "\\boxed{42}"}], "reference": "42"}"#,
  ]
  static let expected: [Double] = [1, 1, 0, 1, 1]

  func objects() throws -> [JSONObject] {
    try Self.records.map { try #require(JSONParser.parse($0).objectValue) }
  }

  /// `reward score`'s path: the streamed reader, the batcher and the spec.
  func scoreFile(_ lines: [String], model: any RewardModel) async throws -> [Double] {
    let directory = NSTemporaryDirectory() + "rewardkit-same-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/records.jsonl"
    try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let batches = ScoringBatches(stream: try RecordStream(path: path), batchSize: 2)
    var rewards: [Double] = []
    while let batch = try batches.next() { rewards += try await model.score(batch.map(\.candidate)).map(\.value) }
    return rewards
  }

  /// `reward eval`'s best-of-N path: the same records, each a one-response group marked correct.
  func scoreEval(_ lines: [String], model: any RewardModel) async throws -> [Double] {
    let groupLines = try lines.enumerated().map { index, line in
      var object = try #require(JSONParser.parse(line).objectValue)
      if let messages = object["messages"]?.arrayValue {  // best-of-N records take prompt + response
        object["messages"] = nil
        object["prompt"] = .array(Array(messages.dropLast()))
        object["response"] = messages.last?.objectValue?["content"]
      }
      object["correct"] = true
      object["group"] = .string("g\(index)")
      return JSONValue.object(object).jsonText
    }
    let file = try InputFile(path: "groups.jsonl", bytes: Array(groupLines.joined(separator: "\n").utf8))
    let groups = try BestOfNFile.read(file).groups
    return try await BestOfN.evaluate(groups, scorer: BatchScorer(model: model)).scores.flatMap { $0 }
  }

  @Test func theSameRecordsScoreTheSameOnEveryPath() async throws {
    let served = try servedSpec(Self.mathSpec)
    let fromFile = try await scoreFile(Self.records, model: served.model)
    #expect(fromFile == Self.expected)
    #expect(try await scoreEval(Self.records, model: served.model) == Self.expected)
    try await ServerHarness.with(served) { server in
      let items = JSONValue.object(JSONObject([("items", .array(try objects().map { .object($0) }))]))
      let reply = try await server.post("/v1/rewards", items.jsonText)
      #expect(reply.status == 200, "\(reply.text)")
      let results = reply.object["results"]?.arrayValue ?? []
      #expect(results.map { $0.objectValue?["reward"]?.doubleValue } == Self.expected.map { $0 })

      // OpenRLHF: query = prompt + response, the reference as the label (numbers too).
      var queries: [JSONValue] = []
      var prompts: [JSONValue] = []
      var labels: [JSONValue] = []
      for object in try objects() {
        let fields = RecordFields(object, at: SourceLocation(file: "test"))
        let candidate = try Candidate(record: fields)
        let prompt = candidate.prompt.map(\.content).joined()
        queries.append(.string(prompt + candidate.response))
        prompts.append(.string(prompt))
        labels.append(Candidate.referenceFields.lazy.compactMap { object[$0] }.first ?? .null)
      }
      let body = JSONObject([("query", .array(queries)), ("prompts", .array(prompts)), ("labels", .array(labels))])
      let openRLHF = try await server.post("/get_reward", JSONValue.object(body).jsonText)
      #expect(openRLHF.status == 200, "\(openRLHF.text)")
      #expect(openRLHF.object["rewards"]?.arrayValue?.map(\.doubleValue) == Self.expected.map { $0 })
    }
  }

  /// Issue 16.13: a reference that is not text is the same located error on every path.
  @Test(arguments: [#"{}"#, #"[1,2]"#, #"["4"]"#, "true"])
  func aNonTextReferenceIsALocatedErrorOnEveryPath(value: String) async throws {
    let served = try servedSpec(Self.mathSpec)
    let line = #"{"prompt": "What is 2+2?", "response": "\\boxed{4}", "reference": \#(value)}"#
    do {
      _ = try await scoreFile([#"{"prompt": "p", "response": "r"}"#, line], model: served.model)
      Issue.record("the file path accepted reference \(value)")
    } catch let error as InputError {
      #expect(error.description.hasSuffix("records.jsonl:2: field 'reference': wrong type: \(error.message)"))
      #expect(error.message.contains("expected the reference answer as a string or a number"))
    }
    do {
      _ = try await scoreEval([line], model: served.model)
      Issue.record("the eval path accepted reference \(value)")
    } catch let error as InputError {
      #expect(error.location.line == 1 && error.location.field == "reference")
    }
    try await ServerHarness.with(served) { server in
      let reply = try await server.post("/v1/rewards", #"{"items": [{"response": "x"}, \#(line)]}"#)
      #expect(reply.status == 200)
      let results = reply.object["results"]?.arrayValue ?? []
      #expect(results.first?.objectValue?["error"] == nil)
      let error = results.last?.objectValue?["error"]?.objectValue
      #expect(error?["field"] == "items[1].reference")
      #expect(error?["message"]?.stringValue?.contains("expected the reference answer") == true)
      let openRLHF = try await server.post("/get_reward", #"{"query": ["a", "b"], "labels": ["4", \#(value)]}"#)
      #expect(openRLHF.status == 400)
      #expect(openRLHF.error?["field"] == "labels[1]")
    }
  }

  /// Empty prompts and prompt-plus-messages: decided once, the same on every path.
  @Test func emptyPromptAndPromptWithMessagesAreTheSameEverywhere() async throws {
    let served = try servedSpec(Self.mathSpec)
    let both = #"{"prompt": "p", "messages": [{"role": "user", "content": "q"}], "response": "\\boxed{1}"}"#
    do {
      _ = try await scoreFile([both], model: served.model)
      Issue.record("the file path accepted prompt and messages")
    } catch let error as InputError {
      #expect(error.location.field == "messages" && error.message.contains("not both"))
    }
    try await ServerHarness.with(served) { server in
      let reply = try await server.post("/v1/rewards", #"{"items": [\#(both)]}"#)
      let error = reply.object["results"]?.arrayValue?.first?.objectValue?["error"]?.objectValue
      #expect(error?["field"] == "items[0].messages")
    }
    #expect(
      try Candidate(
        record: RecordFields(JSONObject([("prompt", ""), ("response", "r")]), at: SourceLocation(file: "x"))
      ).prompt == [])
  }
}
