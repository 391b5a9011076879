import RewardCore

/// A record to score: the candidate and the original fields (echoed back with the reward, so
/// that nothing the user gave is lost).
public struct ScoringRecord: Sendable {
  public var candidate: Candidate
  public var fields: JSONObject
  public var location: SourceLocation
}

/// Reads records to score: `prompt` (string or messages) or `messages` (ending with the assistant
/// response), `response`, and optional `reference` / `answer` / `ground_truth`, `group`.
public enum ScoringInputReader {
  public static func read(
    _ file: InputFile, responseField: String = "response", skipInvalid: Bool = false
  ) throws(InputError) -> (records: [ScoringRecord], skipped: [InputError]) {
    let (rawRecords, problems) = try RecordReader.records(in: file)
    var skipped: [InputError] = []
    for problem in problems {
      guard skipInvalid else { throw problem }
      skipped.append(problem)
    }
    var records: [ScoringRecord] = []
    for raw in rawRecords {
      do throws(InputError) {
        records.append(try candidate(RecordFields(record: raw), responseField: responseField))
      } catch {
        guard skipInvalid else { throw error }
        skipped.append(error)
      }
    }
    return (records, skipped)
  }

  static func candidate(_ record: RecordFields, responseField: String) throws(InputError) -> ScoringRecord {
    var prompt: Conversation = []
    var response: String
    if record.has(responseField) {
      response = try record.string(responseField)
      if record.has("messages") {
        prompt = try MessageParsing.messages(record.value("messages"), at: record.location.field("messages"))
      } else if record.has("prompt") {
        let value = try record.value("prompt")
        if let text = value.stringValue {
          prompt = text.isEmpty ? [] : [.user(text)]
        } else {
          prompt = try MessageParsing.messages(value, at: record.location.field("prompt"))
        }
      }
    } else if record.has("messages") {
      let messages = try MessageParsing.messages(record.value("messages"), at: record.location.field("messages"))
      guard let last = messages.last, last.role == .assistant else {
        throw InputError(
          .missingField, at: record.location.field(responseField),
          "expected a '\(responseField)' field, or 'messages' ending with an assistant turn")
      }
      prompt = Array(messages.dropLast())
      response = last.content
    } else {
      throw InputError(
        .missingField, at: record.location.field(responseField),
        "expected a '\(responseField)' (with 'prompt' or 'messages'), or 'messages' ending with an assistant turn")
    }
    var reference: String?
    for key in ["reference", "answer", "ground_truth", "label"] where record.has(key) {
      let value = try record.value(key)
      reference = value.stringValue ?? value.jsonText
      break
    }
    let group = try record.optionalString("group")
    var metadata = record.record.fields
    for key in ["prompt", "messages", responseField] { metadata[key] = nil }
    return ScoringRecord(
      candidate: Candidate(prompt: prompt, response: response, reference: reference, group: group, metadata: metadata),
      fields: record.record.fields, location: record.location)
  }
}
