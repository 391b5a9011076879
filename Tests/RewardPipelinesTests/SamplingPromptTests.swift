import Foundation
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardPipelines

/// `reward data sample` takes prompts in the shapes of the data sets the readers know, not only
/// `prompt`/`messages` (issue 14, point 1).
struct SamplingPromptTests {
  func prompt(_ record: JSONObject) throws -> SamplingPrompt {
    try SamplingPrompt(record, at: SourceLocation(file: "prompts.jsonl", line: 3))
  }

  func prompt(_ record: JSONValue) throws -> SamplingPrompt {
    try prompt(record.objectValue!)
  }

  @Test func realDataSetRecordsGiveTheirPrompt() throws {
    let gsm8k = try #require(try SharedData.jsonLines("data/math/gsm8k-test.jsonl").first)
    let fromGSM8K = try prompt(gsm8k)
    #expect(fromGSM8K.prompt == [.user(gsm8k["question"]!.stringValue!)])
    #expect(fromGSM8K.extra["answer"] == gsm8k["answer"], "the gold answer reaches the group")

    let mtBench = try #require(try SharedData.jsonLines("data/judge/mt-bench-questions.jsonl").first)
    let turns = try #require(mtBench["turns"]?.arrayValue)
    #expect(try prompt(mtBench).prompt == [.user(turns[0].stringValue!)])

    let math500 = try #require(try SharedData.jsonLines("data/math/math500.jsonl").first)
    #expect(try prompt(math500).prompt == [.user(math500["problem"]!.stringValue!)])
  }

  @Test func instructionWithInputAndLLMBarInput() throws {
    #expect(try prompt(["instruction": "Translate.", "input": "Bonjour"]).prompt == [.user("Translate.\n\nBonjour")])
    #expect(try prompt(["instruction": "Say hi.", "input": ""]).prompt == [.user("Say hi.")])
    #expect(
      try prompt(["input": "Which is larger?", "output_1": "a", "output_2": "b"]).prompt == [.user("Which is larger?")])
  }

  /// An HH-RLHF record has only transcripts: its prompt is their shared turns, as `reward train`
  /// reads them.
  @Test func preferenceRecordsGiveTheirPrompt() throws {
    let hh: JSONValue = [
      "chosen": "\n\nHuman: What is 2+2?\n\nAssistant: 4.",
      "rejected": "\n\nHuman: What is 2+2?\n\nAssistant: 5.",
    ]
    #expect(try prompt(hh).prompt == [.user("What is 2+2?")])
    let trl: JSONValue = [
      "chosen": [["role": "user", "content": "Hi"], ["role": "assistant", "content": "Hello!"]],
      "rejected": [["role": "user", "content": "Hi"], ["role": "assistant", "content": "Go away."]],
    ]
    #expect(try prompt(trl).prompt == [.user("Hi")])
  }

  @Test func aRecordWithoutAnyPromptFieldIsALocatedError() throws {
    #expect {
      _ = try prompt(["response": "x"])
    } throws: { error in
      "\(error)".contains("prompts.jsonl:3: field 'prompt'") && "\(error)".contains("question, problem, instruction")
    }
    #expect(throws: InputError.self) { _ = try prompt(["question": 3]) }
  }
}
