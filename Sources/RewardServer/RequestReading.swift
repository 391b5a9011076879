import RewardCore

/// A request body read through RewardCore's one typed reader (`RecordFields`), with its errors as
/// 400s naming the field by key path (`items[2].messages[0].role: unknown role 'bot'…`). Only the
/// error type is the server's own; the reads and the candidate grammar are shared with every
/// file reader.
struct FieldReader {
  let fields: RecordFields

  init(_ object: JSONObject, path: String = "") {
    fields = RecordFields(object, at: SourceLocation(file: "request", field: path.isEmpty ? nil : path))
  }

  init(_ fields: RecordFields) { self.fields = fields }

  var object: JSONObject { fields.fields }

  func at(_ key: String) -> String { fields.path(key) }

  /// The value, or nil when absent or null.
  func value(_ key: String) -> JSONValue? { fields.optionalValue(key) }

  func string(_ key: String) throws(APIError) -> String {
    try Self.api { () throws(InputError) in try fields.string(key) }
  }

  func optionalString(_ key: String) throws(APIError) -> String? {
    try Self.api { () throws(InputError) in try fields.optionalString(key) }
  }

  func array(_ key: String) throws(APIError) -> [JSONValue] {
    try Self.api { () throws(InputError) in try fields.array(key) }
  }

  func strings(_ key: String) throws(APIError) -> [String] {
    try Self.api { () throws(InputError) in try fields.strings(key) }
  }

  /// `key` as a string or a list of strings (vLLM's `input`, `text_1`, `text_2`).
  func stringOrStrings(_ key: String) throws(APIError) -> (values: [String], single: Bool) {
    if let found = value(key), let single = found.stringValue { return ([single], true) }
    return (try strings(key), false)
  }

  static func objects(_ items: [JSONValue], path: String) throws(APIError) -> [FieldReader] {
    try api { () throws(InputError) in
      try RecordFields.records(items, at: SourceLocation(file: "request", field: path)).map(FieldReader.init)
    }
  }

  /// Runs a read, turning its `InputError` into a 400 that names the field path.
  static func api<T>(_ read: () throws(InputError) -> T) throws(APIError) -> T {
    do {
      return try read()
    } catch {
      throw APIError.badRequest(error.location.field ?? "", error.message)
    }
  }
}

/// The request body as a JSON object, or a 400 that says where the JSON broke.
func parseJSONObject(_ bytes: [UInt8]) throws(APIError) -> JSONObject {
  let document: JSONValue
  do {
    document = try JSONParser.parse(bytes: bytes)
  } catch {
    throw APIError(.badRequest, "malformed JSON at line \(error.line), column \(error.column): \(error.message)")
  }
  guard let object = document.objectValue else {
    throw APIError(.badRequest, "the request body must be a JSON object, found \(document.typeName)")
  }
  return object
}

extension FieldReader {
  /// `prompt` (string or messages) or `messages`, as the candidate grammar reads them.
  func promptOrMessages() throws(APIError) -> Conversation {
    try Self.api { () throws(InputError) in try Candidate.prompt(of: fields) }
  }

  /// A reference answer under the grammar's aliases (`reference`, `answer`, `ground_truth`, `label`).
  func reference() throws(APIError) -> String? {
    try Self.api { () throws(InputError) in try Candidate.reference(of: fields) }
  }

  /// A `/v1/rewards` item, read by the one candidate grammar (`Candidate(record:)`).
  func candidate() throws(APIError) -> Candidate {
    try Self.api { () throws(InputError) in try Candidate(record: fields) }
  }
}
