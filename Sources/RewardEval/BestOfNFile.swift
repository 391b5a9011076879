import Foundation
import RewardCore
import RewardData
import RewardRules

/// A user's own best-of-N groups: responses to a prompt, each labelled correct or not (by a
/// verifier, unit tests, a judge or people). JSON Lines, a JSON array or CSV, optionally gzipped,
/// in either of two layouts, decided per record by the type of the responses field:
///
/// - **one record per prompt**: `{"prompt": "…", "responses": ["…", …], "correct": [true, false, …]}`;
/// - **one record per response** (as rollout dumps are written, e.g. verl's validation
///   generations `{"input", "output", "score", …}`): `{"prompt": "…", "response": "…",
///   "correct": 1}`, grouped by `group` when the record has one, else by the prompt; groups keep
///   the order of their first record.
///
/// A prompt is a string or a list of messages; a response is a string or a list of messages.
/// Labels are booleans, the numbers 0 and 1, or the strings "true"/"false"/"1"/"0" (CSV). Optional:
/// `id` (a group's name), `reference` / `answer` / `ground_truth` / `label` / `gts` (given to models as the candidate's
/// reference, e.g. for a math-verifier spec). For majority vote the final answer of each response
/// is extracted as for math (`\boxed{}`, `#### x`, "the answer is x", else the last number) unless
/// `Fields.answers` names a field holding them (a list, or one value per response record).
public enum BestOfNFile {
  /// Which fields hold what; nil means the default named in each property's comment.
  public struct Fields: Sendable, Equatable {
    /// Default `prompt`.
    public var prompt: String?
    /// Default `responses` (a list), else `response` (one record per response).
    public var responses: String?
    /// Default `correct`.
    public var correct: String?
    /// Groups one-record-per-response files; default `group` (when absent: the prompt).
    public var group: String?
    /// A one-record-per-prompt group's name; default `id`.
    public var id: String?
    /// Default: the first of `reference`, `answer`, `ground_truth`, `label`, `gts` that the record has.
    public var reference: String?
    /// Final answers for majority vote; default: extracted from the responses.
    public var answers: String?

    public init(
      prompt: String? = nil, responses: String? = nil, correct: String? = nil, group: String? = nil,
      id: String? = nil, reference: String? = nil, answers: String? = nil
    ) {
      self.prompt = prompt
      self.responses = responses
      self.correct = correct
      self.group = group
      self.id = id
      self.reference = reference
      self.answers = answers
    }
  }

  public struct Options: Sendable, Equatable {
    public var fields: Fields
    /// Skip bad records (returned in `skipped`) instead of stopping at the first.
    public var skipInvalid: Bool
    /// Keep empty or whitespace responses (by default they are errors).
    public var allowEmpty: Bool

    public init(fields: Fields = Fields(), skipInvalid: Bool = false, allowEmpty: Bool = false) {
      self.fields = fields
      self.skipInvalid = skipInvalid
      self.allowEmpty = allowEmpty
    }
  }

  /// Reads several files; groups never span files.
  public static func read(_ paths: [String], options: Options = Options()) throws(InputError) -> (
    groups: [LabeledGroup], skipped: [InputError]
  ) {
    var groups: [LabeledGroup] = []
    var skipped: [InputError] = []
    for path in paths {
      let result = try read(InputFile.read(path), options: options)
      groups += result.groups
      skipped += result.skipped
    }
    return (groups, skipped)
  }

  public static func read(_ file: InputFile, options: Options = Options()) throws(InputError) -> (
    groups: [LabeledGroup], skipped: [InputError]
  ) {
    let (records, problems) = try RecordReader.records(in: file)
    var skipped: [InputError] = []
    for problem in problems {
      guard options.skipInvalid else { throw problem }
      skipped.append(problem)
    }
    let reader = Reader(fields: options.fields, allowEmpty: options.allowEmpty)
    // Entries in file order; a one-record-per-response group sits where its first record was.
    var entries: [Entry] = []
    var pending: [String: Int] = [:]  // group key → index in entries
    for record in records {
      do throws(InputError) {
        switch try reader.read(record) {
        case .group(let group):
          entries.append(.group(group))
        case .response(let response):
          if let index = pending[response.key], case .pending(var partial) = entries[index] {
            guard partial.prompt == response.prompt else {
              throw InputError(
                .invalidValue, at: record.location.field(reader.promptField),
                "group '\(response.groupName ?? "")' has a different prompt here than at line "
                  + "\(partial.firstLine.map(String.init) ?? "?"); the records of one group must share the prompt")
            }
            partial.append(response)
            entries[index] = .pending(partial)
          } else {
            pending[response.key] = entries.count
            entries.append(.pending(PartialGroup(response, location: record.location)))
          }
        }
      } catch {
        guard options.skipInvalid else { throw error }
        skipped.append(error)
      }
    }
    if entries.isEmpty, skipped.isEmpty {
      throw InputError(.invalidValue, at: SourceLocation(file: file.path), "the file has no records")
    }
    let groups = entries.map { entry -> LabeledGroup in
      switch entry {
      case .group(let group): group
      case .pending(let partial): partial.group
      }
    }
    return (groups, skipped)
  }

  /// The final answer of a response, as majority vote compares them.
  public static func extractedAnswer(_ response: String) -> String? {
    MathAnswerExtractor().extract(from: response).map(normalizedAnswer)
  }

  static func normalizedAnswer(_ answer: String) -> String {
    GSM8KGroups.normalized(answer)
  }

  // MARK: - Records

  private enum Entry {
    case group(LabeledGroup)
    case pending(PartialGroup)
  }

  private enum RecordEntry {
    case group(LabeledGroup)
    case response(ResponseRecord)
  }

  private struct ResponseRecord {
    var key: String
    var groupName: String?
    var prompt: Conversation
    var response: String
    var correct: Bool
    var answer: String?
    var reference: String?
  }

  private struct PartialGroup {
    var group: LabeledGroup
    var firstLine: Int?

    init(_ response: ResponseRecord, location: SourceLocation) {
      group = LabeledGroup(
        prompt: response.prompt, responses: [response.response], correct: [response.correct],
        answers: [response.answer], reference: response.reference,
        id: response.groupName ?? "\(location.file):\(location.line.map(String.init) ?? "")")
      firstLine = location.line
    }

    var prompt: Conversation { group.prompt }

    mutating func append(_ response: ResponseRecord) {
      group.responses.append(response.response)
      group.correct.append(response.correct)
      group.answers.append(response.answer)
      if group.reference == nil { group.reference = response.reference }
    }
  }

  private struct Reader {
    let fields: Fields
    let allowEmpty: Bool

    var promptField: String { fields.prompt ?? "prompt" }
    var correctField: String { fields.correct ?? "correct" }

    func read(_ record: SourceRecord) throws(InputError) -> RecordEntry {
      let location = record.location
      let (responsesKey, responsesValue) = try responsesField(record)
      let prompt = try ConversationField.prompt(
        required(
          record, promptField, "the prompt (a string or a list of messages); --prompt-field names another field"),
        at: location.field(promptField))
      let reference = try referenceText(record)
      let labels = try required(
        record, correctField,
        "correctness labels (true/false or 1/0, one per response); --label-field names another field")
      if let items = responsesValue.arrayValue, !items.allSatisfy({ $0.objectValue != nil }) || items.isEmpty {
        // One record per prompt: a list of responses (strings or message lists) and a list of labels.
        guard !items.isEmpty else {
          throw InputError(
            .invalidValue, at: location.field(responsesKey), "the group is empty; expected at least one response")
        }
        var responses: [String] = []
        for (index, item) in items.enumerated() {
          responses.append(try response(item, at: location.field("\(responsesKey)[\(index)]")))
        }
        guard let labelItems = labels.arrayValue else {
          throw InputError(
            .wrongType, at: location.field(correctField),
            "expected a list of labels (true/false or 1/0), one per response, found \(labels.typeName)")
        }
        guard labelItems.count == responses.count else {
          throw InputError(
            .invalidValue, at: location.field(correctField),
            "\(labelItems.count) label\(labelItems.count == 1 ? "" : "s") for \(responses.count) "
              + "response\(responses.count == 1 ? "" : "s") in '\(responsesKey)'; expected one label per response")
        }
        var correct: [Bool] = []
        for (index, item) in labelItems.enumerated() {
          correct.append(try label(item, at: location.field("\(correctField)[\(index)]")))
        }
        var answers = responses.map(BestOfNFile.extractedAnswer)
        if let answersField = fields.answers {
          let value = try required(record, answersField, "a list of final answers, one per response")
          guard let answerItems = value.arrayValue, answerItems.count == responses.count else {
            throw InputError(
              value.arrayValue == nil ? .wrongType : .invalidValue, at: location.field(answersField),
              "expected a list of \(responses.count) final answers (strings, numbers or null), one per response, "
                + "found \(value.arrayValue.map { "\($0.count) items" } ?? value.typeName)")
          }
          answers = []
          for (index, item) in answerItems.enumerated() {
            answers.append(try answer(item, at: location.field("\(answersField)[\(index)]")))
          }
        }
        let idField = fields.id ?? "id"
        let id = try optionalName(record, idField) ?? "\(location.file):\(location.line.map(String.init) ?? "")"
        return .group(
          LabeledGroup(
            prompt: prompt, responses: responses, correct: correct, answers: answers, reference: reference, id: id))
      }
      // One record per response.
      let text = try response(responsesValue, at: location.field(responsesKey))
      let correct = try label(labels, at: location.field(correctField))
      var answer = BestOfNFile.extractedAnswer(text)
      if let answersField = fields.answers {
        answer = try self.answer(
          required(record, answersField, "the response's final answer (a string, a number or null)"),
          at: location.field(answersField))
      }
      let groupName = try optionalName(record, fields.group ?? "group")
      let key = groupName.map { "group\u{1}" + $0 } ?? "prompt\u{1}" + promptKey(prompt)
      return .response(
        ResponseRecord(
          key: key, groupName: groupName, prompt: prompt, response: text, correct: correct, answer: answer,
          reference: reference))
    }

    /// The responses field and its value: `--response-field`, else `responses`, else `response`.
    func responsesField(_ record: SourceRecord) throws(InputError) -> (String, JSONValue) {
      let candidates = fields.responses.map { [$0] } ?? ["responses", "response"]
      for key in candidates {
        if let value = record.fields[key], !value.isNull {
          guard value.stringValue != nil || value.arrayValue != nil else {
            throw InputError(
              .wrongType, at: record.location.field(key),
              "expected a list of responses (one record per prompt) or one response (a string or a list of "
                + "messages; one record per response), found \(value.typeName)")
          }
          return (key, value)
        }
      }
      let named = candidates.map { "'\($0)'" }.joined(separator: " or ")
      throw InputError(
        .missingField, at: record.location.field(candidates[0]),
        "expected \(named): a list of responses (one record per prompt) or one response (one record per "
          + "response); --response-field names another field; the record has \(keyList(record))")
    }

    func required(_ record: SourceRecord, _ key: String, _ what: String) throws(InputError) -> JSONValue {
      guard let value = record.fields[key], !value.isNull else {
        throw InputError(
          .missingField, at: record.location.field(key), "expected \(what); the record has \(keyList(record))")
      }
      return value
    }

    func keyList(_ record: SourceRecord) -> String {
      record.fields.keys.isEmpty ? "no fields" : record.fields.keys.map { "'\($0)'" }.joined(separator: ", ")
    }

    func response(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String {
      let text = try ConversationField.response(value, at: location)
      guard allowEmpty || !text.allSatisfy(\.isWhitespace) else {
        throw InputError(
          .emptyResponse, at: location,
          "the response is empty; expected text (use --allow-empty to keep it or --skip-invalid to skip the record)")
      }
      return text
    }

    /// true/false, 0/1 (integer or float), or a string holding one of those (CSV cells).
    func label(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> Bool {
      switch value {
      case .bool(let flag): return flag
      case .int(let number) where number == 0 || number == 1: return number == 1
      case .double(let number) where number == 0 || number == 1: return number == 1
      case .string(let text):
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "1.0": return true
        case "false", "0", "0.0": return false
        default:
          throw InputError(
            .invalidValue, at: location, "expected a correctness label true/false or 1/0, found \"\(text.prefix(40))\"")
        }
      case .int, .double:
        throw InputError(
          .invalidValue, at: location,
          "expected a correctness label true/false or 1/0, found \(value.jsonText.prefix(40)) "
            + "(graded scores are not labels: name a boolean field with --label-field)")
      default:
        throw InputError(
          .wrongType, at: location, "expected a correctness label true/false or 1/0, found \(value.typeName)")
      }
    }

    func answer(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String? {
      switch value {
      case .null: return nil
      case .string(let text): return BestOfNFile.normalizedAnswer(text)
      case .int, .double: return value.jsonText
      default:
        throw InputError(
          .wrongType, at: location, "expected a final answer (a string, a number or null), found \(value.typeName)")
      }
    }

    /// The candidate grammar's reference (`reference`, `answer`, `ground_truth`, `label`, then
    /// verl's `gts`), or the one field `Fields.reference` names.
    func referenceText(_ record: SourceRecord) throws(InputError) -> String? {
      var object = record.fields
      object[correctField] = nil  // `--label-field label` makes `label` the correctness, not a reference
      let fields = RecordFields(object, at: record.location)
      guard let key = self.fields.reference else {
        if let reference = try Candidate.reference(of: fields) { return reference }
        return try fields.has("gts") ? Candidate.reference(fields.value("gts"), at: fields.location(of: "gts")) : nil
      }
      guard fields.has(key) else {
        throw InputError(
          .missingField, at: record.location.field(key),
          "expected a reference answer; the record has \(keyList(record))")
      }
      return try Candidate.reference(fields.value(key), at: fields.location(of: key))
    }

    /// A string or integer naming a group, or nil when the field is absent.
    func optionalName(_ record: SourceRecord, _ key: String) throws(InputError) -> String? {
      guard let value = record.fields[key], !value.isNull else { return nil }
      switch value {
      case .string(let text): return text
      case .int(let number): return String(number)
      default:
        throw InputError(
          .wrongType, at: record.location.field(key),
          "expected a name (a string or an integer), found \(value.typeName)")
      }
    }

    func promptKey(_ prompt: Conversation) -> String {
      prompt.map { $0.role.rawValue + "\u{2}" + $0.content }.joined(separator: "\u{3}")
    }
  }
}
