import Foundation
import RewardCore
import RewardData
import RewardEngine

/// One prompt to sample for: its conversation, a stable id (the record's `id`, else a hash of
/// the prompt) and the record's other fields, which are copied into the group.
public struct SamplingPrompt: Sendable {
  public var id: String
  public var prompt: Conversation
  public var extra: JSONObject

  /// Reads a prompt record: `prompt` (string or messages) or `messages`; `id` optional; a
  /// `reference` and any other fields pass through. Trailing assistant turns in `messages` are
  /// dropped (a record from an SFT file carries its answer; the policy should write a new one).
  public init(_ record: JSONObject, at location: SourceLocation) throws(InputError) {
    var prompt: Conversation
    if record["prompt"] == nil, record["messages"] == nil {
      prompt = try Self.datasetPrompt(in: record, at: location)
    } else {
      prompt = try PipelineJSON.prompt(in: record, at: location)
    }
    while prompt.last?.role == .assistant { prompt.removeLast() }
    guard !prompt.isEmpty else {
      throw InputError(.emptyResponse, at: location.field("prompt"), "expected a prompt with at least one turn")
    }
    self.prompt = prompt
    let givenID = try PipelineJSON.optionalString(record, "id", at: location)
    id = givenID ?? String(StableHash.fnv1a(PipelineJSON.messages(prompt).jsonText), radix: 16)
    var extra = record
    for key in ["prompt", "messages", "id", "responses", "rewards", "chosen", "rejected"] { extra[key] = nil }
    self.extra = extra
  }
}

extension SamplingPrompt {
  /// The prompt fields of the data sets RewardKit's readers know, for a record with neither
  /// `prompt` nor `messages`, tried in this order: GSM8K/MATH `question`, MATH-500/ProcessBench
  /// `problem`, AlpacaEval/PandaLM `instruction` (with its `input` after a blank line when
  /// present), a preference record's prompt in any format the preference reader knows (HH-RLHF,
  /// TRL, LLMBar, RewardBench …), a bare `input`, MT-Bench `turns` (the first turn). The fields
  /// stay in the group.
  static func datasetPrompt(in record: JSONObject, at location: SourceLocation) throws(InputError) -> Conversation {
    let fields = RecordFields(record, at: location)
    for key in ["question", "problem"] where fields.has(key) {
      return [.user(try fields.string(key))]
    }
    if fields.has("instruction") {
      let instruction = try fields.string("instruction")
      let input = try fields.optionalString("input") ?? ""
      return [.user(input.isBlank ? instruction : instruction + "\n\n" + input)]
    }
    // Preference files (HH-RLHF transcripts, TRL with an implicit prompt, …): their prompt, read
    // as `reward train` reads it.
    if let prompt = try PreferenceReader.prompt(of: record, at: location), !prompt.isEmpty { return prompt }
    if fields.has("input") { return [.user(try fields.string("input"))] }
    if fields.has("turns") {
      guard let first = try fields.strings("turns").first else {
        throw InputError(.emptyResponse, at: location.field("turns"), "expected at least one turn")
      }
      return [.user(first)]
    }
    throw InputError(
      .missingField, at: location.field("prompt"),
      "expected a `prompt` (string or messages) or `messages`, or a data set's prompt field "
        + "(question, problem, instruction, input, turns)")
  }
}

/// Settings for sampling; recorded in each group's `generation` field.
public struct SamplingSettings: Sendable, Equatable {
  public var samplesPerPrompt: Int
  public var temperature: Double?
  public var topP: Double?
  public var maxTokens: Int?
  public var stop: [String]
  /// Sample i of every prompt uses seed `seed + i`, so a rerun reproduces it on engines that honour seeds.
  public var seed: Int
  /// Requests in flight at once.
  public var concurrency: Int

  public init(
    samplesPerPrompt: Int, temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil,
    stop: [String] = [], seed: Int = 0, concurrency: Int = 8
  ) {
    self.samplesPerPrompt = samplesPerPrompt
    self.temperature = temperature
    self.topP = topP
    self.maxTokens = maxTokens
    self.stop = stop
    self.seed = seed
    self.concurrency = max(1, concurrency)
  }

  func request(_ prompt: Conversation, sample: Int) -> ChatRequest {
    ChatRequest(
      messages: prompt.map { ChatMessage(role: $0.role.rawValue, content: $0.content) },
      sampling: SamplingParameters(
        temperature: temperature, topP: topP, maxTokens: maxTokens, seed: seed + sample, stop: stop))
  }

  func generationRecord(model: String) -> JSONValue {
    var object = JSONObject()
    object["model"] = .string(model)
    object["temperature"] = temperature.map { .double($0) } ?? .null
    object["top_p"] = topP.map { .double($0) } ?? .null
    object["max_tokens"] = maxTokens.map { .int(Int64($0)) } ?? .null
    object["seed"] = .int(Int64(seed))
    object["n"] = .int(Int64(samplesPerPrompt))
    if !stop.isEmpty { object["stop"] = .array(stop.map { .string($0) }) }
    return .object(object)
  }
}

/// Counts for progress and the final report.
public struct SamplingProgress: Sendable, Equatable {
  public var groupsWritten = 0
  public var groupsSkipped = 0
  public var requests = 0
  public var usage = TokenUsage()
  public init() {}
}

/// Samples N responses per prompt from a `ChatEngine` and writes groups. Prompts are taken in
/// windows of `concurrency` requests; groups are written whole, in input order, and flushed one
/// by one, so an interrupted run leaves complete groups behind (plus at most one torn line, which
/// `completedIDs` cuts off) and a rerun skips them.
public struct GroupSampler: Sendable {
  public var engine: any ChatEngine
  public var settings: SamplingSettings

  public init(engine: any ChatEngine, settings: SamplingSettings) {
    self.engine = engine
    self.settings = settings
  }

  /// Samples one prompt's group.
  public func sample(_ prompt: SamplingPrompt) async throws -> (group: JSONObject, usage: TokenUsage) {
    let n = settings.samplesPerPrompt
    let responses = try await withThrowingTaskGroup(of: (Int, ChatResponse).self) { tasks in
      for index in 0..<n {
        tasks.addTask { (index, try await engine.chat(settings.request(prompt.prompt, sample: index))) }
      }
      var responses = [ChatResponse?](repeating: nil, count: n)
      for try await (index, response) in tasks { responses[index] = response }
      return responses.map { $0! }
    }
    var group = JSONObject()
    group["id"] = .string(prompt.id)
    group["prompt"] = PipelineJSON.messages(prompt.prompt)
    group["responses"] = .array(responses.map { .string($0.text) })
    group["finish_reasons"] = .array(responses.map { $0.finishReason.map(JSONValue.string) ?? .null })
    for entry in prompt.extra.entries where group[entry.key] == nil { group[entry.key] = entry.value }
    group["generation"] = settings.generationRecord(model: engine.modelName)
    let usage = responses.reduce(TokenUsage()) { $0 + $1.usage }
    return (group, usage)
  }

  /// Samples every prompt not in `done`, writing each group as it completes (in input order).
  public func run(
    prompts: JSONLinesReader, done: Set<String>, writer: JSONLinesWriter,
    progress report: (SamplingProgress) -> Void = { _ in }
  ) async throws -> SamplingProgress {
    var progress = SamplingProgress()
    // Prompts per window so that about `concurrency` requests are in flight.
    let window = max(1, settings.concurrency / max(1, settings.samplesPerPrompt))
    var batch: [SamplingPrompt] = []
    func flushBatch() async throws {
      let results = try await withThrowingTaskGroup(of: (Int, JSONObject, TokenUsage).self) { tasks in
        for (index, prompt) in batch.enumerated() {
          tasks.addTask {
            let (group, usage) = try await sample(prompt)
            return (index, group, usage)
          }
        }
        var results = [(JSONObject, TokenUsage)?](repeating: nil, count: batch.count)
        for try await (index, group, usage) in tasks { results[index] = (group, usage) }
        return results.map { $0! }
      }
      for (group, usage) in results {
        try writer.write(group)
        try writer.flush()
        progress.groupsWritten += 1
        progress.requests += settings.samplesPerPrompt
        progress.usage = progress.usage + usage
        report(progress)
      }
      batch.removeAll()
    }
    var seen = Set<String>()
    while case let (record, location)? = try prompts.next() {
      let prompt = try SamplingPrompt(record, at: location)
      guard !done.contains(prompt.id) else {
        progress.groupsSkipped += 1
        continue
      }
      guard seen.insert(prompt.id).inserted else {
        throw InputError(.invalidValue, at: location.field("id"), "duplicate prompt id \(prompt.id)")
      }
      batch.append(prompt)
      if batch.count >= window { try await flushBatch() }
    }
    if !batch.isEmpty { try await flushBatch() }
    return progress
  }

  /// Ids of the complete groups in an earlier run's output. A torn last line (the run was killed
  /// while writing it) is cut off so appending continues on a clean line.
  public static func completedIDs(in path: String, samplesPerPrompt: Int) throws -> Set<String> {
    guard path != "-", FileManager.default.fileExists(atPath: path) else { return [] }
    try truncateTornLine(path)
    var ids = Set<String>()
    let reader = try JSONLinesReader(path: path)
    while case let (record, _)? = try reader.next() {
      if let id = record["id"]?.stringValue, record["responses"]?.arrayValue?.count == samplesPerPrompt {
        ids.insert(id)
      }
    }
    return ids
  }

  static func truncateTornLine(_ path: String) throws {
    guard let handle = FileHandle(forUpdatingAtPath: path) else {
      throw ConfigurationError("\(path): cannot open the output to resume")
    }
    defer { try? handle.close() }
    let size = try handle.seekToEnd()
    guard size > 0 else { return }
    // Walk back in chunks to the last newline.
    var end = size
    let chunk: UInt64 = 1 << 16
    while end > 0 {
      let from = end > chunk ? end - chunk : 0
      try handle.seek(toOffset: from)
      let bytes = try handle.read(upToCount: Int(end - from)) ?? Data()
      if let newline = bytes.lastIndex(of: 0x0A) {
        let keep = from + UInt64(newline - bytes.startIndex) + 1
        if keep < size { try handle.truncate(atOffset: keep) }
        return
      }
      end = from
    }
    try handle.truncate(atOffset: 0)
  }
}
