import RewardCore

/// The records `reward prm score` reads and writes: a prompt (`prompt`, `problem` or `question`)
/// and a `response` or a `steps` list. Kept here, not in the command, so the server's tests check
/// their step rewards against exactly this path.
public enum StepRewardRecords {
  public struct Record: Sendable {
    public var object: JSONObject
    public var candidate: Candidate
    public var location: SourceLocation
  }

  public static func read(_ file: InputFile) throws(InputError) -> [Record] {
    var records: [Record] = []
    var line = 0
    for raw in file.bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
      line += 1
      guard raw.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
      let location = SourceLocation(file: file.path, line: line)
      let value: JSONValue
      do {
        value = try JSONParser.parse(bytes: Array(raw), startLine: line)
      } catch {
        throw InputError(.malformedJSON, at: location, error.message)
      }
      guard let object = value.objectValue else {
        throw InputError(.wrongType, at: location, "expected a JSON object, found \(value.typeName)")
      }
      let promptKey = ["prompt", "problem", "question"].first { object[$0] != nil }
      guard let promptKey else {
        throw InputError(
          .missingField, at: location.field("prompt"), "expected a string in 'prompt', 'problem' or 'question'")
      }
      guard let prompt = object[promptKey]?.stringValue else {
        throw InputError(
          .wrongType, at: location.field(promptKey),
          "expected a string, found \(object[promptKey]?.typeName ?? "nothing")")
      }
      var metadata = JSONObject()
      var response: String
      if let listed = object["steps"] {
        guard let items = listed.arrayValue, !items.isEmpty, items.allSatisfy({ $0.stringValue != nil }) else {
          throw InputError(.wrongType, at: location.field("steps"), "expected a non-empty list of strings")
        }
        metadata["steps"] = listed
        response = object["response"]?.stringValue ?? StepSplitter.join(items.compactMap(\.stringValue)).text
      } else if let text = object["response"]?.stringValue {
        response = text
      } else {
        throw InputError(.missingField, at: location.field("response"), "expected a string (or a 'steps' list)")
      }
      records.append(
        Record(
          object: object, candidate: Candidate(prompt: [.user(prompt)], response: response, metadata: metadata),
          location: location))
    }
    return records
  }

  /// Each record unchanged plus `reward` (the aggregate) and `step_rewards` (shaped, with the
  /// outcome in `outcomeField` mixed in on the last step when given); `response` is added when the
  /// record had only `steps`, so the offsets always point into a field of the record.
  public static func output(
    _ records: [Record], rewards: [Reward], shaping: StepShapingKind, outcomeField: String? = nil,
    processWeight: Double = 1
  ) throws(InputError) -> [JSONObject] {
    var objects: [JSONObject] = []
    objects.reserveCapacity(records.count)
    for (record, reward) in zip(records, rewards) {
      var object = record.object
      if object["response"] == nil { object["response"] = .string(record.candidate.response) }
      var outcome: Double?
      if let outcomeField {
        guard let value = object[outcomeField]?.doubleValue else {
          throw InputError(
            .missingField, at: record.location.field(outcomeField), "expected a number (the outcome reward)")
        }
        outcome = value
      }
      let steps =
        StepRewardOutput.shaped(reward, shaping: shaping, outcome: outcome, processWeight: processWeight) ?? []
      object["reward"] = .double(reward.value)
      object["step_rewards"] = StepRewardOutput.json(steps)
      objects.append(object)
    }
    return objects
  }
}
