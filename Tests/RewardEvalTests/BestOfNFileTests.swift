import Foundation
import RewardCore
import RewardData
import Testing

@testable import RewardEval

/// The committed fixture: the first 12 GSM8K test problems as best-of-8 groups, written by the
/// in-memory builder (`GSM8KGroups.read(limit: 12, seed: 0)`) in the one-record-per-prompt layout.
/// GSM8K: Cobbe et al. 2021, MIT licence (see Fixtures/README.md).
enum BestOfNFixture {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let path = directory.appendingPathComponent("gsm8k-bon-groups.jsonl.gz").path
  static let gsm8k = SharedData.path("data/math/gsm8k-test.jsonl")
  static let limit = 12

  /// The builder's groups as the file layout writes them (answers are left to extraction).
  static func jsonLines(_ groups: [LabeledGroup]) -> String {
    groups.map { group -> String in
      var fields: [(key: String, value: JSONValue)] = []
      if let id = group.id { fields.append(("id", .string(id))) }
      fields.append(("prompt", .string(group.prompt.lastUserTurn ?? "")))
      fields.append(("responses", .array(group.responses.map { .string($0) })))
      fields.append(("correct", .array(group.correct.map { .bool($0) })))
      if let reference = group.reference { fields.append(("reference", .string(reference))) }
      return JSONValue.object(JSONObject(fields)).jsonText + "\n"
    }.joined()
  }
}

@Suite struct BestOfNFileTests {
  func read(_ text: String, name: String = "groups.jsonl", options: BestOfNFile.Options = .init()) throws
    -> [LabeledGroup]
  {
    try BestOfNFile.read(InputFile(path: name, bytes: Array(text.utf8)), options: options).groups
  }

  func error(_ text: String, name: String = "groups.jsonl", options: BestOfNFile.Options = .init()) -> InputError? {
    do {
      _ = try read(text, name: name, options: options)
    } catch let error as InputError {
      return error
    } catch {}
    Issue.record("expected an InputError")
    return nil
  }

  @Test func onePromptPerRecordWithBooleanOrNumericLabels() throws {
    let groups = try read(
      #"""
      {"prompt": "2+2?", "responses": ["It is 4.", "It is 5.", "#### 4"], "correct": [true, false, true], "id": "q1"}
      {"prompt": [{"role": "user", "content": "3+3?"}], "responses": ["6", "7"], "correct": [1, 0.0], "reference": 6}
      """#)
    #expect(groups.count == 2)
    #expect(groups[0].prompt == [.user("2+2?")])
    #expect(groups[0].correct == [true, false, true])
    #expect(groups[0].answers == ["4", "5", "4"])  // extracted as for math, for majority vote
    #expect(groups[0].id == "q1")
    #expect(groups[1].correct == [true, false])
    #expect(groups[1].reference == "6")
    #expect(groups[1].id == "groups.jsonl:2")
  }

  @Test func oneResponsePerRecordIsGroupedByGroupElsePrompt() throws {
    let text = #"""
      {"prompt": "A?", "response": "a1", "correct": true}
      {"prompt": "B?", "response": "b1", "correct": 0}
      {"prompt": "A?", "response": "a2", "correct": false}
      {"prompt": "C?", "response": "c1", "correct": 1, "group": 7}
      {"prompt": "C?", "response": "c2", "correct": 1, "group": 8}
      {"prompt": "B?", "response": "b2", "correct": 1}
      {"prompt": "C?", "response": "c3", "correct": 0, "group": 7}
      """#
    let groups = try read(text)
    #expect(groups.map(\.responses) == [["a1", "a2"], ["b1", "b2"], ["c1", "c3"], ["c2"]])
    #expect(groups.map(\.correct) == [[true, false], [false, true], [true, false], [true]])
    #expect(groups.map(\.id) == ["groups.jsonl:1", "groups.jsonl:2", "7", "8"])
  }

  @Test func csvAndVerlStyleDumpsWithMappedFields() throws {
    let csv = "question,answer_text,is_right\nQ1,x,true\nQ1,y,0\nQ2,z,1\n"
    let fields = BestOfNFile.Fields(prompt: "question", responses: "answer_text", correct: "is_right")
    let groups = try read(csv, name: "rollouts.csv", options: .init(fields: fields))
    #expect(groups.map(\.correct) == [[true, false], [true]])
    // verl's validation dump: one line per response with input, output, gts, score (floats 0/1).
    let verl = #"""
      {"input": "user: 1+1?", "output": "2", "gts": "2", "score": 1.0, "step": 0}
      {"input": "user: 1+1?", "output": "3", "gts": "2", "score": 0.0, "step": 0}
      """#
    let dump = try read(
      verl, options: .init(fields: BestOfNFile.Fields(prompt: "input", responses: "output", correct: "score")))
    #expect(dump.count == 1)
    #expect(dump[0].correct == [true, false])
    #expect(dump[0].reference == "2")
  }

  @Test func givenAnswersReplaceExtraction() throws {
    let groups = try read(
      #"{"prompt": "p", "responses": ["x", "y", "z"], "correct": [1, 0, 1], "final": ["A", null, 3]}"#,
      options: .init(fields: BestOfNFile.Fields(answers: "final")))
    #expect(groups[0].answers == ["A", nil, "3"])
  }

  // MARK: bad input: file, line, field, what was expected

  @Test func mismatchedLabelCount() {
    let e = error(
      #"""
      {"prompt": "p", "responses": ["a", "b"], "correct": [true, false]}
      {"prompt": "p", "responses": ["a", "b", "c"], "correct": [true, false]}
      """#)
    #expect(e?.kind == .invalidValue)
    #expect(
      e?.description
        == "groups.jsonl:2: field 'correct': invalid value: 2 labels for 3 responses in 'responses'; "
        + "expected one label per response")
  }

  @Test func missingFields() {
    let labels = error(#"{"prompt": "p", "responses": ["a"]}"#)
    #expect(labels?.kind == .missingField)
    #expect(labels?.location == SourceLocation(file: "groups.jsonl", line: 1, field: "correct"))
    #expect(labels?.message.contains("--label-field") == true)
    #expect(labels?.message.contains("the record has 'prompt', 'responses'") == true)
    let responses = error(#"{"prompt": "p", "answers": ["a"], "correct": [true]}"#)
    #expect(responses?.kind == .missingField)
    #expect(responses?.location.field == "responses")
    #expect(responses?.message.contains("'responses' or 'response'") == true)
    let prompt = error(#"{"responses": ["a"], "correct": [true]}"#)
    #expect(prompt?.location.field == "prompt")
    let mapped = error(
      #"{"prompt": "p", "responses": ["a"], "correct": [true]}"#,
      options: .init(fields: BestOfNFile.Fields(responses: "outputs")))
    #expect(mapped?.description.hasPrefix("groups.jsonl:1: field 'outputs': missing field: expected 'outputs'") == true)
  }

  @Test func wrongTypes() {
    let responses = error(#"{"prompt": "p", "responses": 3, "correct": [true]}"#)
    #expect(responses?.kind == .wrongType)
    #expect(responses?.location.field == "responses")
    let item = error(#"{"prompt": "p", "responses": ["a", 2], "correct": [true, true]}"#)
    #expect(
      item?.description
        == "groups.jsonl:1: field 'responses[1]': wrong type: expected a string or a list of messages, found number")
    let labels = error(#"{"prompt": "p", "responses": ["a"], "correct": true}"#)
    #expect(labels?.kind == .wrongType)
    #expect(labels?.message.contains("expected a list of labels") == true)
    let prompt = error(#"{"prompt": 5, "responses": ["a"], "correct": [true]}"#)
    #expect(
      prompt?.description
        == "groups.jsonl:1: field 'prompt': wrong type: expected a string or a list of messages, found number")
  }

  @Test func emptyGroupAndEmptyResponse() throws {
    let group = error(#"{"prompt": "p", "responses": [], "correct": []}"#)
    #expect(
      group?.description
        == "groups.jsonl:1: field 'responses': invalid value: the group is empty; expected at least one response")
    let response = error(#"{"prompt": "p", "responses": ["a", " "], "correct": [1, 0]}"#)
    #expect(response?.kind == .emptyResponse)
    #expect(response?.location.field == "responses[1]")
    let kept = try read(
      #"{"prompt": "p", "responses": ["a", " "], "correct": [1, 0]}"#, options: .init(allowEmpty: true))
    #expect(kept[0].responses == ["a", " "])
  }

  @Test func nonBooleanLabels() {
    let graded = error(#"{"prompt": "p", "responses": ["a", "b"], "correct": [1, 0.5]}"#)
    #expect(graded?.kind == .invalidValue)
    #expect(graded?.location.field == "correct[1]")
    #expect(graded?.message.hasPrefix("expected a correctness label true/false or 1/0, found 0.5") == true)
    let text = error("prompt,response,correct\np,a,maybe\n", name: "r.csv")
    #expect(
      text?.description
        == "r.csv:2: field 'correct': invalid value: expected a correctness label true/false or 1/0, found \"maybe\"")
    let object = error(#"{"prompt": "p", "response": "a", "correct": {"ok": true}}"#)
    #expect(object?.kind == .wrongType)
    #expect(object?.message == "expected a correctness label true/false or 1/0, found object")
  }

  @Test func oneGroupKeepsOnePrompt() {
    let e = error(
      #"""
      {"group": "g", "prompt": "p", "response": "a", "correct": true}
      {"group": "g", "prompt": "q", "response": "b", "correct": false}
      """#)
    #expect(e?.location == SourceLocation(file: "groups.jsonl", line: 2, field: "prompt"))
    #expect(e?.message.contains("group 'g' has a different prompt here than at line 1") == true)
  }

  @Test func malformedLinesAndSkipping() throws {
    let text = #"""
      {"prompt": "p", "responses": ["a"], "correct": [true]}
      {"prompt": "p", "responses": ["a"], "correct": [true]
      {"prompt": "p", "responses": ["a", "b"], "correct": [2, 0]}
      {"prompt": "q", "responses": ["c", "d"], "correct": [0, 1]}
      """#
    #expect(error(text)?.kind == .malformedJSON)
    let result = try BestOfNFile.read(
      InputFile(path: "groups.jsonl", bytes: Array(text.utf8)), options: .init(skipInvalid: true))
    #expect(result.groups.map(\.responses) == [["a"], ["c", "d"]])
    #expect(result.skipped.map(\.kind) == [.malformedJSON, .invalidValue])
    #expect(result.skipped.map(\.location.line) == [2, 3])
    #expect(error("")?.message == "the file has no records")
  }

  // MARK: the committed GSM8K slice

  @Test func fixtureIsTheBuildersOutput() throws {
    let built = try GSM8KGroups.read(BestOfNFixture.gsm8k, limit: BestOfNFixture.limit, seed: 0)
    let text = BestOfNFixture.jsonLines(built)
    if ProcessInfo.processInfo.environment["REWARDKIT_WRITE_FIXTURES"] == "1" {
      // Regenerate: REWARDKIT_WRITE_FIXTURES=1 swift test --filter fixtureIsTheBuildersOutput, then gzip -n -9.
      let plain = String(BestOfNFixture.path.dropLast(3))
      try text.write(toFile: plain, atomically: true, encoding: .utf8)
    }
    let fixture = try InputFile.read(BestOfNFixture.path)
    #expect(String(decoding: fixture.bytes, as: UTF8.self) == text)
  }

  @Test func fileGroupsEqualTheBuildersGroups() throws {
    let fromFile = try BestOfNFile.read([BestOfNFixture.path]).groups
    let built = try GSM8KGroups.read(BestOfNFixture.gsm8k, limit: BestOfNFixture.limit, seed: 0)
    #expect(fromFile == built)  // prompts, responses, labels, extracted answers, references, ids
  }

  @Test func theCurveFromTheFileEqualsTheCurveFromTheBuilder() async throws {
    let fromFile = try BestOfNFile.read([BestOfNFixture.path]).groups
    let built = try GSM8KGroups.read(BestOfNFixture.gsm8k, limit: BestOfNFixture.limit, seed: 0)
    func evaluate(_ groups: [LabeledGroup]) async throws -> ModelEvaluation {
      try await EvaluationSuite.evaluate(
        LengthModel(),
        inputs: EvaluationInputs(
          pairs: EvaluationInputs.pairs(from: groups, subset: "gsm8k"), labeledGroups: groups))
    }
    let file = try await evaluate(fromFile)
    let memory = try await evaluate(built)
    let curve = try #require(file.bestOfN)
    #expect(curve == memory.bestOfN)
    #expect(curve.groups == BestOfNFixture.limit)
    #expect(curve.points.map(\.n) == Array(1...8))
    #expect(curve.points.last?.oracle == 1)
    #expect(file.detection?.auroc == memory.detection?.auroc)
    #expect(file.pairwise?.overall.accuracy == memory.pairwise?.overall.accuracy)
  }
}
