import Foundation
import RewardCore
import RewardData
import RewardEngine
import RewardRules
import RewardTestSupport
import Testing

@testable import RewardPipelines

/// A temporary directory removed when the test ends.
final class Scratch {
  let url: URL
  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("pipelines-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(at: url) }
  func path(_ name: String) -> String { url.appendingPathComponent(name).path }
  func write(_ name: String, _ text: String) throws -> String {
    try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    return path(name)
  }
  func lines(_ name: String) throws -> [JSONObject] {
    try String(contentsOfFile: path(name), encoding: .utf8).split(separator: "\n").map {
      try JSONParser.parse(String($0)).objectValue!
    }
  }
}

func readAll(_ reader: GroupReader) throws -> [ScoredGroup] {
  var groups: [ScoredGroup] = []
  while let group = try reader.next() { groups.append(group) }
  return groups
}

struct GroupReaderTests {
  @Test func readsGroupRecordsAndContiguousFlatRecords() throws {
    let scratch = try Scratch()
    let path = try scratch.write(
      "in.jsonl",
      """
      {"prompt":"a","responses":["x","y"],"rewards":[1,2],"id":"A","reference":"7","task":"math"}

      {"prompt":"b","response":"p","reward":0.5}
      {"prompt":"b","response":"q","reward":0.25}
      {"messages":[{"role":"user","content":"c"}],"response":"r","reward":1,"group":"C"}
      {"prompt":"other","response":"s","reward":2,"group":"C"}
      {"prompt":"b","response":"t","reward":3}
      """)
    let groups = try readAll(GroupReader(path: path, requireRewards: true))
    #expect(groups.count == 4)
    #expect(groups[0].id == "A")
    #expect(groups[0].reference == "7")
    #expect(groups[0].extra["task"] == .string("math"))
    #expect(groups[0].candidates[1].reference == "7")
    #expect(groups[1].responses == ["p", "q"])
    #expect(groups[1].rewards == [0.5, 0.25])
    // Grouped by `group`, not prompt, when present.
    #expect(groups[2].responses == ["r", "s"])
    #expect(groups[2].id == "C")
    // Not contiguous with the earlier "b" records: a new group (the reader never looks back).
    #expect(groups[3].responses == ["t"])
  }

  @Test func badInputIsLocated() throws {
    let scratch = try Scratch()
    let cases: [(String, String)] = [
      (#"{"prompt":"a","responses":["x","y"],"rewards":[1]}"#, "bad.jsonl:2: field 'rewards'"),
      (#"{"prompt":"a","responses":["x","y"],"rewards":[1,"high"]}"#, "bad.jsonl:2: field 'rewards[1]'"),
      (#"{"responses":["x"],"rewards":[1]}"#, "bad.jsonl:2: field 'prompt'"),
      (#"{"prompt":"a","responses":["x"]}"#, "bad.jsonl:2: field 'rewards'"),
      (#"{"prompt":"a","response":"x"}"#, "bad.jsonl:2: field 'reward'"),
      (#"{"prompt":"a","responses":["x"],"rewards":[1]"#, "bad.jsonl:2"),
      (#"[1, 2]"#, "bad.jsonl:2"),
    ]
    for (line, expected) in cases {
      let path = try scratch.write(
        "bad.jsonl", #"{"prompt":"ok","responses":["a"],"rewards":[0]}"# + "\n" + line + "\n")
      let reader = try GroupReader(path: path, requireRewards: true)
      #expect(try reader.next() != nil)
      do {
        _ = try reader.next()
        Issue.record("no error for \(line)")
      } catch {
        #expect("\(error)".hasPrefix(scratch.path(expected)), "\(error)")
      }
    }
  }
}

/// Counts calls and the batch sizes it saw; rewards are the response lengths.
final class RecordingModel: RewardModel, @unchecked Sendable {
  let name = "length"
  private let lock = NSLock()
  private var _batches: [[String?]] = []
  var batches: [[String?]] { lock.withLock { _batches } }
  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    lock.withLock { _batches.append(candidates.map(\.group)) }
    return candidates.map { Reward(Double($0.response.count)) }
  }
}

struct GroupScorerTests {
  @Test func batchesAreBoundedAndNeverSplitAGroup() async throws {
    let scratch = try Scratch()
    var text = ""
    for g in 0..<10 {
      let responses = (0..<(g % 4 + 1)).map { "\"\(String(repeating: "x", count: $0 + 1))\"" }
      text += #"{"id":"g\#(g)","prompt":"p\#(g)","responses":[\#(responses.joined(separator: ","))]}"# + "\n"
    }
    let path = try scratch.write("groups.jsonl", text)
    let model = RecordingModel()
    var out: [ScoredGroup] = []
    try await GroupScorer(model: model, batchSize: 3).run(try GroupReader(path: path, requireRewards: false)) {
      out.append($0)
    }
    #expect(out.map(\.id) == (0..<10).map { "g\($0)" })
    #expect(out[3].rewards == [1, 2, 3, 4])
    for batch in model.batches {
      // Each group's responses sit together in one batch, and a batch stops once it reaches 3.
      let ids = batch.compactMap { $0 }
      for id in Set(ids) {
        let size = out.first { $0.id == id }!.responses.count
        #expect(ids.filter { $0 == id }.count == size)
      }
      #expect(batch.count < 3 + 4)
    }
  }

  @Test func groupNormalisation() {
    #expect(GroupNormalization.center.apply([1, 2, 3]) == [-1, 0, 1])
    let z = GroupNormalization.zscore.apply([1, 3])
    #expect(z == [-1, 1])
    #expect(GroupNormalization.zscore.apply([2, 2]) == [0, 0])
  }
}

/// A deterministic engine: the text depends on the prompt and the seed only. It can be told to
/// fail after a number of requests (an interrupted run).
final class ScriptedEngine: ChatEngine, @unchecked Sendable {
  let modelName = "scripted"
  let failAfter: Int?
  private let lock = NSLock()
  private var _requests = 0
  var requests: Int { lock.withLock { _requests } }
  init(failAfter: Int? = nil) { self.failAfter = failAfter }

  func chat(_ request: ChatRequest) async throws -> ChatResponse {
    let count = lock.withLock {
      _requests += 1
      return _requests
    }
    if let failAfter, count > failAfter {
      throw EngineError.unreachable(endpoint: "scripted", reason: "interrupted")
    }
    let seed = request.sampling.seed ?? -1
    let question = request.messages.last?.content ?? ""
    return ChatResponse(
      text: "answer \(question.count % 7 + seed % 3) (seed \(seed))", finishReason: "stop",
      usage: TokenUsage(promptTokens: question.count, completionTokens: 5))
  }
}

struct SamplingTests {
  /// GSM8K questions as prompts with their worked answers as references.
  func promptFile(_ scratch: Scratch, count: Int) throws -> String {
    let records = try SharedData.jsonLines("data/math/gsm8k-test.jsonl").prefix(count)
    let text = records.enumerated().map { index, record in
      var object = JSONObject()
      object["id"] = .string("gsm8k-\(index)")
      object["prompt"] = record["question"]
      object["reference"] = record["answer"]
      return JSONValue.object(object).jsonText
    }.joined(separator: "\n")
    return try scratch.write("prompts.jsonl", text + "\n")
  }

  func run(_ engine: ScriptedEngine, _ prompts: String, _ output: String, concurrency: Int = 4) async throws
    -> SamplingProgress
  {
    let settings = SamplingSettings(
      samplesPerPrompt: 4, temperature: 0.7, maxTokens: 64, seed: 10, concurrency: concurrency)
    let done = try GroupSampler.completedIDs(in: output, samplesPerPrompt: 4)
    let writer = try JSONLinesWriter(path: output, append: !done.isEmpty)
    defer { try? writer.close() }
    return try await GroupSampler(engine: engine, settings: settings).run(
      prompts: try JSONLinesReader(path: prompts), done: done, writer: writer)
  }

  @Test(.enabled(if: SharedData.exists("data/math/gsm8k-test.jsonl")))
  func samplesGroupsWithSeedsAndRecordsTheSettings() async throws {
    let scratch = try Scratch()
    let prompts = try promptFile(scratch, count: 6)
    let progress = try await run(ScriptedEngine(), prompts, scratch.path("groups.jsonl"))
    #expect(progress.groupsWritten == 6)
    #expect(progress.requests == 24)
    #expect(progress.usage.completionTokens == 120)
    let groups = try scratch.lines("groups.jsonl")
    #expect(groups.map { $0["id"]?.stringValue } == (0..<6).map { "gsm8k-\($0)" })
    let first = groups[0]
    #expect(first["responses"]?.arrayValue?.count == 4)
    #expect(first["responses"]?.arrayValue?[2].stringValue?.hasSuffix("(seed 12)") == true)
    #expect(first["reference"]?.stringValue?.hasSuffix("#### 18") == true)
    let generation = first["generation"]?.objectValue
    #expect(generation?["model"] == .string("scripted"))
    #expect(generation?["seed"] == .int(10))
    #expect(generation?["n"] == .int(4))
    #expect(generation?["temperature"] == .double(0.7))
    #expect(generation?["max_tokens"] == .int(64))
  }

  @Test(.enabled(if: SharedData.exists("data/math/gsm8k-test.jsonl")))
  func anInterruptedRunResumesToTheSameOutput() async throws {
    let scratch = try Scratch()
    let prompts = try promptFile(scratch, count: 7)
    _ = try await run(ScriptedEngine(), prompts, scratch.path("reference.jsonl"))

    let output = scratch.path("resumed.jsonl")
    // 4 samples per prompt, one prompt per window: 13 requests complete 3 groups, then fail.
    await #expect(throws: EngineError.self) { try await run(ScriptedEngine(failAfter: 13), prompts, output) }
    #expect(try scratch.lines("resumed.jsonl").count == 3)
    // A torn line, as if the process died while writing.
    let handle = FileHandle(forWritingAtPath: output)!
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(#"{"id":"gsm8k-3","prompt":[{"ro"#.utf8))
    try handle.close()

    let engine = ScriptedEngine()
    let progress = try await run(engine, prompts, output)
    #expect(progress.groupsSkipped == 3)
    #expect(progress.groupsWritten == 4)
    #expect(engine.requests == 16)
    #expect(try scratch.lines("resumed.jsonl") == scratch.lines("reference.jsonl"))
  }
}

/// The deterministic part of the online loop on real prompts: sample (scripted), score with the
/// math rule, pair, and read the pairs back through RewardData's preference reader.
struct OnlineLoopTests {
  @Test(.enabled(if: SharedData.exists("data/math/gsm8k-test.jsonl")))
  func scoredGroupsBecomePairsThePreferenceReaderAccepts() async throws {
    let scratch = try Scratch()
    let records = try SharedData.jsonLines("data/math/gsm8k-test.jsonl").prefix(8)
    // Sample 0 and 2 give the right final answer, 1 and 3 a wrong one (the first is 2 and 3 an empty line).
    var text = ""
    for (index, record) in records.enumerated() {
      let answer = record["answer"]!.stringValue!.components(separatedBy: "#### ").last!
      let responses: [JSONValue] = [
        .string("So the answer is \(answer)."), .string("The answer is \(answer)1."),
        .string("Step by step... #### \(answer)"), .string("The answer is \(answer)1."),
      ]
      var group = JSONObject()
      group["id"] = .string("q\(index)")
      group["prompt"] = record["question"]
      group["responses"] = .array(responses)
      group["reference"] = record["answer"]
      text += JSONValue.object(group).jsonText + "\n"
    }
    let path = try scratch.write("groups.jsonl", text)
    let scorer = GroupScorer(model: RuleRewardModel(name: "math", rule: MathAnswerRule()), batchSize: 10)
    let writer = try JSONLinesWriter(path: scratch.path("pairs.jsonl"))
    var dropped = 0
    try await scorer.run(try GroupReader(path: path, requireRewards: false)) { group in
      #expect(group.rewards == [1, 0, 1, 0])
      let outcome = PairBuilder(rule: .allPairs).pairs(group.rewards!, groupKey: group.id!)
      dropped += outcome.droppedTies
      for pair in outcome.pairs { try writer.write(PreferenceLayout().record(group, pair)) }
    }
    try writer.close()
    // 4 correct×wrong pairs per prompt; the correct/correct and wrong/wrong pairs are ties.
    #expect(writer.recordsWritten == 32)
    #expect(dropped == 16)
    let dataset = try PreferenceReader.read([scratch.path("pairs.jsonl")])
    #expect(dataset.allPairs.count == 32)
    #expect(dataset.allPairs.allSatisfy { $0.margin == 1 && !$0.chosen.hasSuffix("1.") })
    #expect(dataset.allPairs[0].prompt == [.user(records.first!["question"]!.stringValue!)])
  }
}
