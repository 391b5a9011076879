import RewardCore
import RewardData

/// One prompt with its sampled responses and (once scored) one reward per response: the unit
/// every pipeline stage works on. `extra` keeps the record's other fields (id, reference,
/// generation settings, …) so they pass through each stage unchanged.
public struct ScoredGroup: Sendable, Equatable {
  public var prompt: Conversation
  public var responses: [String]
  public var rewards: [Double]?
  public var reference: String?
  public var id: String?
  public var extra: JSONObject
  public var location: SourceLocation

  public init(
    prompt: Conversation, responses: [String], rewards: [Double]? = nil, reference: String? = nil,
    id: String? = nil, extra: JSONObject = JSONObject(), location: SourceLocation = SourceLocation(file: "-")
  ) {
    self.prompt = prompt
    self.responses = responses
    self.rewards = rewards
    self.reference = reference
    self.id = id
    self.extra = extra
    self.location = location
  }

  /// The candidates a reward model scores; the reference, id and other fields reach the scorer.
  public var candidates: [Candidate] {
    responses.map { Candidate(prompt: prompt, response: $0, reference: reference, group: id, metadata: extra) }
  }

  /// The record as `{prompt, responses, rewards, …}` (prompt as messages).
  public var record: JSONObject {
    var object = JSONObject()
    object["prompt"] = PipelineJSON.messages(prompt)
    if let id { object["id"] = .string(id) }
    object["responses"] = .array(responses.map { .string($0) })
    if let rewards { object["rewards"] = .array(rewards.map { .double($0) }) }
    if let reference { object["reference"] = .string(reference) }
    for entry in extra.entries where object[entry.key] == nil { object[entry.key] = entry.value }
    return object
  }
}

enum PipelineJSON {
  static func message(_ message: Message) -> JSONValue {
    .object(JSONObject([("role", .string(message.role.rawValue)), ("content", .string(message.content))]))
  }

  static func messages(_ conversation: Conversation) -> JSONValue { .array(conversation.map(message)) }

  /// A prompt from `prompt` (string or messages) or `messages`.
  static func prompt(in record: JSONObject, at location: SourceLocation) throws(InputError) -> Conversation {
    if let value = record["prompt"] { return try ConversationField.prompt(value, at: location.field("prompt")) }
    if let value = record["messages"] { return try ConversationField.prompt(value, at: location.field("messages")) }
    throw InputError(
      .missingField, at: location.field("prompt"), "expected a `prompt` (string or messages) or `messages`")
  }

  static func optionalString(_ record: JSONObject, _ key: String, at location: SourceLocation) throws(InputError)
    -> String?
  {
    guard let value = record[key], !value.isNull else { return nil }
    switch value {
    case .string(let text): return text
    case .int(let number): return String(number)
    default: throw InputError(.wrongType, at: location.field(key), "expected a string, found \(value.typeName)")
    }
  }

  static func finiteNumber(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> Double {
    guard let number = value.doubleValue else {
      throw InputError(.wrongType, at: location, "expected a number, found \(value.typeName)")
    }
    guard number.isFinite else { throw InputError(.invalidValue, at: location, "expected a finite number") }
    return number
  }
}

/// Reads groups from JSON Lines, one at a time. Two layouts are accepted:
/// - group records: `{prompt | messages, responses: [...], rewards: [...]?, reference?, id?, ...}`;
/// - flat records `{prompt | messages, response, reward?, group?, ...}`, where consecutive records
///   with the same `group` (or, without one, the same prompt) form one group. Flat records must be
///   contiguous per group: the reader streams and never looks back.
public final class GroupReader {
  private let lines: JSONLinesReader
  private let requireRewards: Bool
  private var pendingFlat: (record: JSONObject, location: SourceLocation)?

  public init(path: String, requireRewards: Bool) throws(InputError) {
    lines = try JSONLinesReader(path: path)
    self.requireRewards = requireRewards
  }

  public func next() throws(InputError) -> ScoredGroup? {
    let first: (record: JSONObject, location: SourceLocation)
    if let pending = pendingFlat {
      first = pending
      pendingFlat = nil
    } else {
      guard let read = try lines.next() else { return nil }
      first = (read.object, read.location)
    }
    if first.record["responses"] != nil { return try Self.group(first.record, at: first.location, requireRewards) }
    return try flatGroup(startingWith: first)
  }

  static func group(_ record: JSONObject, at location: SourceLocation, _ requireRewards: Bool) throws(InputError)
    -> ScoredGroup
  {
    let prompt = try PipelineJSON.prompt(in: record, at: location)
    guard let responseValues = record["responses"]?.arrayValue else {
      throw InputError(.wrongType, at: location.field("responses"), "expected a list of responses")
    }
    var responses: [String] = []
    for (index, value) in responseValues.enumerated() {
      responses.append(try ConversationField.response(value, at: location.field("responses[\(index)]")))
    }
    var rewards: [Double]?
    if let rewardValue = record["rewards"], !rewardValue.isNull {
      guard let items = rewardValue.arrayValue else {
        throw InputError(.wrongType, at: location.field("rewards"), "expected a list of numbers")
      }
      guard items.count == responses.count else {
        throw InputError(
          .invalidValue, at: location.field("rewards"),
          "expected one reward per response (\(responses.count)), found \(items.count)")
      }
      var parsed: [Double] = []
      for (index, item) in items.enumerated() {
        parsed.append(try PipelineJSON.finiteNumber(item, at: location.field("rewards[\(index)]")))
      }
      rewards = parsed
    } else if requireRewards {
      throw InputError(
        .missingField, at: location.field("rewards"),
        "expected `rewards` (one per response); score first or pass --model")
    }
    var extra = record
    for key in ["prompt", "messages", "responses", "rewards", "reference", "id"] { extra[key] = nil }
    return ScoredGroup(
      prompt: prompt, responses: responses, rewards: rewards,
      reference: try PipelineJSON.optionalString(record, "reference", at: location),
      id: try PipelineJSON.optionalString(record, "id", at: location), extra: extra, location: location)
  }

  private func flatGroup(startingWith first: (record: JSONObject, location: SourceLocation)) throws(InputError)
    -> ScoredGroup
  {
    let key = try flatKey(first.record, at: first.location)
    var group = ScoredGroup(
      prompt: try PipelineJSON.prompt(in: first.record, at: first.location), responses: [],
      rewards: [], reference: try PipelineJSON.optionalString(first.record, "reference", at: first.location),
      id: nil, extra: JSONObject(), location: first.location)
    group.id = try PipelineJSON.optionalString(first.record, "group", at: first.location)
    if group.id == nil { group.id = try PipelineJSON.optionalString(first.record, "id", at: first.location) }
    var extra = first.record
    for name in ["prompt", "messages", "response", "reward", "reference", "group", "id"] { extra[name] = nil }
    group.extra = extra
    var missingReward = false
    var current: (record: JSONObject, location: SourceLocation)? = first
    while case let (record, location)? = current {
      guard let responseValue = record["response"] else {
        throw InputError(
          .missingField, at: location.field("response"), "expected `responses` (a group) or `response` (a flat record)")
      }
      group.responses.append(try ConversationField.response(responseValue, at: location.field("response")))
      if let reward = record["reward"], !reward.isNull {
        group.rewards?.append(try PipelineJSON.finiteNumber(reward, at: location.field("reward")))
      } else if requireRewards {
        throw InputError(
          .missingField, at: location.field("reward"), "expected a `reward`; score first or pass --model")
      } else {
        missingReward = true
      }
      current = nil
      if let read = try lines.next() {
        if read.object["responses"] == nil, try flatKey(read.object, at: read.location) == key {
          current = (read.object, read.location)
        } else {
          pendingFlat = (read.object, read.location)
        }
      }
    }
    if missingReward { group.rewards = nil }
    return group
  }

  private func flatKey(_ record: JSONObject, at location: SourceLocation) throws(InputError) -> String {
    if let group = try PipelineJSON.optionalString(record, "group", at: location) { return "g:" + group }
    let prompt = try PipelineJSON.prompt(in: record, at: location)
    return "p:" + PipelineJSON.messages(prompt).jsonText
  }
}
