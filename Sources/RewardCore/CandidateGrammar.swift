/// The one grammar by which a JSON record becomes a `Candidate`, shared by `reward score`'s files,
/// the server's `/v1/rewards` items and `/get_reward` labels, and evaluation readers, so the same
/// record scores the same everywhere.
///
/// - `prompt`: a string (one user turn; the empty string is no turn at all) or a list of messages.
/// - `messages`: a list of messages. With a response field it is the prompt; without one it must
///   end with the assistant turn, which is the response. Giving both `prompt` and `messages` is an
///   error (which one was meant cannot be told).
/// - the response field (`response` unless configured): a string.
/// - the reference: the first of `reference`, `answer`, `ground_truth`, `label` that is present
///   (not null), a string or a number (`4` reads as "4"). Anything else (`{}`, `[1,2]`, `true`) is an
///   error, except a list or object under `ground_truth`, which is a structured gold answer
///   (BFCL's calls): it reaches rules as `metadata["ground_truth"]` and sets no reference.
/// - `group`: a string or a number, the key for group normalisation.
/// - `metadata`: every other field of the record, plus the entries of a `metadata` object (which
///   must be an object) taking precedence over same-named fields.
extension Candidate {
  /// Where a reference may be given, in order of precedence.
  public static let referenceFields = ["reference", "answer", "ground_truth", "label"]

  public init(record: RecordFields, responseField: String = "response") throws(InputError) {
    var prompt = try Self.prompt(of: record)
    let response: String
    if record.has(responseField) {
      response = try record.string(responseField)
    } else if record.has("messages"), let last = prompt.last, last.role == .assistant {
      response = last.content
      prompt.removeLast()
    } else {
      throw InputError(
        .missingField, at: record.location(of: responseField),
        "expected a '\(responseField)' (with 'prompt' or 'messages'), or 'messages' ending with an assistant turn")
    }
    self.init(
      prompt: prompt, response: response, reference: try Self.reference(of: record),
      group: try record.optionalText("group"), metadata: try Self.metadata(of: record, responseField: responseField))
  }

  /// A prompt given as text: one user turn, or no turn at all for the empty string.
  public static func prompt(text: String) -> Conversation { text.isEmpty ? [] : [.user(text)] }

  /// `prompt` (a string or messages) or `messages`, at most one of them; neither is an empty prompt.
  public static func prompt(of record: RecordFields) throws(InputError) -> Conversation {
    if record.has("prompt") && record.has("messages") {
      throw InputError(
        .invalidValue, at: record.location(of: "messages"), "give either 'prompt' or 'messages', not both")
    }
    if let value = record.optionalValue("prompt") {
      if let text = value.stringValue { return prompt(text: text) }
      guard value.arrayValue != nil else {
        throw InputError(
          .wrongType, at: record.location(of: "prompt"),
          "expected a string or a list of messages, found \(value.typeName)")
      }
      return try MessageParsing.messages(value, at: record.location(of: "prompt"))
    }
    if let value = record.optionalValue("messages") {
      return try MessageParsing.messages(value, at: record.location(of: "messages"))
    }
    return []
  }

  /// The reference answer under the first alias present, or nil.
  public static func reference(of record: RecordFields) throws(InputError) -> String? {
    guard let key = referenceFields.first(where: record.has) else { return nil }
    let value = record.fields[key]!
    if key == "ground_truth", value.arrayValue != nil || value.objectValue != nil { return nil }
    return try reference(value, at: record.location(of: key))
  }

  /// One reference value: a string, or a number as JSON text.
  public static func reference(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String {
    switch value {
    case .string(let text): return text
    case .int, .double: return value.jsonText
    default:
      throw InputError(
        .wrongType, at: location,
        "expected the reference answer as a string or a number, found \(RecordFields.describe(value))")
    }
  }

  static func metadata(of record: RecordFields, responseField: String) throws(InputError) -> JSONObject {
    let explicit = try record.optionalObject("metadata")
    var metadata = JSONObject(
      record.fields.entries.filter { !["prompt", "messages", responseField, "metadata"].contains($0.key) })
    for entry in explicit?.entries ?? [] { metadata[entry.key] = entry.value }
    return metadata
  }
}
