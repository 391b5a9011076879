import Foundation
import RewardCore
import Testing

@testable import RewardData

/// Readers of step-labelled data: ProcessBench (real, from ../shared), Math-Shepherd, PRM800K and
/// TRL stepwise (small fixtures), and located errors for bad records.
struct StepTraceReaderTests {
  let reader = StepTraceReader()

  @Test(.enabled(if: SharedData.exists("data/process/processbench-gsm8k.json")))
  func processBenchSubsetsReadWithFirstErrorLabels() throws {
    let gsm8k = try reader.read(SharedData.path("data/process/processbench-gsm8k.json"))
    let math = try reader.read(SharedData.path("data/process/processbench-math.json"))
    #expect(gsm8k.count == 400)
    #expect(math.count == 1_000)
    #expect(gsm8k.count(where: { $0.firstError == -1 }) == 193)
    #expect(math.count(where: { $0.firstError == -1 }) == 406)
    for trace in gsm8k + math {
      #expect(trace.labels.count == trace.steps.count)
      let error = trace.firstError ?? -2
      for (k, label) in trace.labels.enumerated() {
        let expected: Double? = error < 0 || k < error ? 1 : (k == error ? 0 : nil)
        #expect(label == expected)
      }
    }
    #expect(gsm8k[0].id == "gsm8k-0")
    #expect(gsm8k[0].location.line == 2)
  }

  @Test func mathShepherdTagsAlignWithPlusMinusLabels() throws {
    let traces = try reader.read(SharedData.fixture("process/math-shepherd.jsonl"))
    #expect(traces.count == 2)
    #expect(traces[0].problem == "Tom has 3 apples and buys 4 more. How many?")
    #expect(traces[0].steps == ["Step 1: 3 + 4 = 7", "Step 2: The answer is 7"])
    #expect(traces[0].labels == [1, 1])
    #expect(traces[0].firstError == -1)
    #expect(traces[1].labels == [0, 0])
    #expect(traces[1].firstError == 0)
  }

  @Test func prm800kFollowsTheChosenTrajectoryWithNeutralAsDocumented() throws {
    let traces = try reader.read(SharedData.fixture("process/prm800k.jsonl"))
    #expect(traces[0].problem == "Compute 6 * 7.")
    // The unchosen last step ends the trajectory at its rejected (−1) completion.
    #expect(traces[0].steps == ["6 * 7 = 42.", "Let me double-check by adding.", "So the answer is 41."])
    #expect(traces[0].labels == [1, 1, 0])
    #expect(traces[0].firstError == 2)
    // A human completion replaces a wrong step: right by construction.
    #expect(traces[1].steps == ["1 + 1 = 2", "The answer is 2."])
    #expect(traces[1].labels == [1, 1])
    let soft = try StepTraceReader(prm800kNeutral: 0.5).read(SharedData.fixture("process/prm800k.jsonl"))
    #expect(soft[0].labels == [1, 0.5, 0])
    let dropped = try StepTraceReader(prm800kNeutral: nil).read(SharedData.fixture("process/prm800k.jsonl"))
    #expect(dropped[0].labels == [1, nil, 0])
  }

  @Test func trlStepwiseReadsBooleanLabels() throws {
    let traces = try reader.read(SharedData.fixture("process/trl-stepwise.jsonl"))
    #expect(traces.map(\.labels) == [[1, 1], [0, 0]])
    #expect(traces[1].steps[0] == "11 > 9, so 9.11 is larger.")
    #expect(traces.map(\.firstError) == [-1, 0])
  }

  func readError(_ name: String, _ text: String) throws -> InputError? {
    let file = try TemporaryFile(name, text)
    do {
      _ = try reader.read(file.path)
    } catch {
      return error
    }
    Issue.record("no error for \(text)")
    return nil
  }

  @Test func badRecordsGetLocatedErrors() throws {
    let good = #"{"problem": "p", "steps": ["a", "b"], "label": -1}"#
    var e = try readError("pb.json", "[\n" + good + ",\n" + #"{"problem": "p", "steps": ["a"], "label": 3}"# + "\n]")
    #expect(e?.location.line == 3)
    #expect(e?.location.field == "label")
    #expect(e?.kind == .invalidValue)
    e = try readError("pb.jsonl", good + "\n" + #"{"problem": "p", "steps": ["a", 7], "label": 0}"#)
    #expect(e?.location.line == 2)
    #expect(e?.location.field == "steps[1]")
    e = try readError("trl.jsonl", #"{"prompt": "p", "completions": ["a", "b"], "labels": [true]}"#)
    #expect(e?.location.field == "labels")
    #expect(e?.description.contains("expected 2 labels") == true)
    e = try readError("ms.jsonl", #"{"input": "q Step 1: x ки", "label": "q Step 1: x ?"}"#)
    #expect(e?.location.field == "label")
    #expect(e?.description.contains("'+' or '-'") == true)
    e = try readError(
      "prm.jsonl",
      #"{"question": {"problem": "p"}, "label": {"steps": [{"completions": [{"text": "a", "rating": 2}], "chosen_completion": 0}]}}"#
    )
    #expect(e?.location.field == "label.steps[0].rating")
    e = try readError("unknown.jsonl", #"{"text": "hello"}"#)
    #expect(e?.kind == .unknownFormat)
    e = try readError("broken.jsonl", good + "\n{\"problem\": ")
    #expect(e?.kind == .malformedJSON)
    #expect(e?.location.line == 2)
  }
}
