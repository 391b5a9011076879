import RewardCore

/// Typed reads from a request's JSON with errors that name the field by key path
/// (`items[2].messages[0].role: expected one of system, user, assistant, tool, found 'bot'`).
struct FieldReader {
  let object: JSONObject
  let path: String

  init(_ object: JSONObject, path: String = "") {
    self.object = object
    self.path = path
  }

  func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// The value, or nil when absent or null.
  func value(_ key: String) -> JSONValue? {
    guard let value = object[key], !value.isNull else { return nil }
    return value
  }

  func string(_ key: String) throws(APIError) -> String {
    guard let found = value(key) else { throw .badRequest(at(key), "missing required field") }
    guard let string = found.stringValue else {
      throw .badRequest(at(key), "expected a string, found \(found.typeName)")
    }
    return string
  }

  func optionalString(_ key: String) throws(APIError) -> String? {
    value(key) == nil ? nil : try string(key)
  }

  /// A string, or a number written as JSON (`42` → "42"): references and group keys are often numbers.
  func optionalText(_ key: String) throws(APIError) -> String? {
    guard let found = value(key) else { return nil }
    switch found {
    case .string(let text): return text
    case .int, .double, .bool: return found.jsonText
    default: throw .badRequest(at(key), "expected a string or number, found \(found.typeName)")
    }
  }

  func array(_ key: String) throws(APIError) -> [JSONValue] {
    guard let found = value(key) else { throw .badRequest(at(key), "missing required field") }
    guard let items = found.arrayValue else { throw .badRequest(at(key), "expected an array, found \(found.typeName)") }
    return items
  }

  /// A list of strings.
  func strings(_ key: String) throws(APIError) -> [String] {
    try array(key).enumerated().map { (index, item) throws(APIError) in
      guard let string = item.stringValue else {
        throw .badRequest("\(at(key))[\(index)]", "expected a string, found \(item.typeName)")
      }
      return string
    }
  }

  /// `key` as a string or a list of strings (vLLM's `input`, `text_1`, `text_2`).
  func stringOrStrings(_ key: String) throws(APIError) -> (values: [String], single: Bool) {
    if let found = value(key), let single = found.stringValue { return ([single], true) }
    return (try strings(key), false)
  }

  func optionalObject(_ key: String) throws(APIError) -> JSONObject? {
    guard let found = value(key) else { return nil }
    guard let object = found.objectValue else {
      throw .badRequest(at(key), "expected an object, found \(found.typeName)")
    }
    return object
  }

  static func objects(_ items: [JSONValue], path: String) throws(APIError) -> [FieldReader] {
    try items.enumerated().map { (index, item) throws(APIError) in
      guard let object = item.objectValue else {
        throw .badRequest("\(path)[\(index)]", "expected an object, found \(item.typeName)")
      }
      return FieldReader(object, path: "\(path)[\(index)]")
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
  /// A conversation: a string (one user turn) or a list of `{role, content}` messages.
  func conversation(_ key: String) throws(APIError) -> Conversation? {
    guard let found = value(key) else { return nil }
    if let text = found.stringValue { return [.user(text)] }
    guard let items = found.arrayValue else {
      throw .badRequest(at(key), "expected a string or a list of messages, found \(found.typeName)")
    }
    return try FieldReader.objects(items, path: at(key)).map { (message) throws(APIError) in
      let roleName = try message.string("role")
      guard let role = Role(rawValue: roleName) else {
        let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
        throw .badRequest(message.at("role"), "expected one of \(known), found '\(roleName)'")
      }
      return Message(role: role, content: try message.string("content"))
    }
  }

  /// `prompt` (string or messages) or `messages`, at most one of them; none is an empty prompt.
  func promptOrMessages() throws(APIError) -> Conversation {
    if value("prompt") != nil && value("messages") != nil {
      throw .badRequest(at("messages"), "give either 'prompt' or 'messages', not both")
    }
    if let prompt = try conversation("prompt") { return prompt }
    return try conversation("messages") ?? []
  }

  /// A `/v1/rewards` item: `prompt` (string or messages) or `messages`, `response` (or `messages`
  /// ending with the assistant turn), `reference`, `group`, `metadata`.
  func candidate() throws(APIError) -> Candidate {
    var prompt = try promptOrMessages()
    let response: String
    if let text = try optionalString("response") {
      response = text
    } else if value("messages") != nil, let last = prompt.last, last.role == .assistant {
      response = last.content
      prompt.removeLast()
    } else {
      throw .badRequest(at("response"), "missing required field (or end 'messages' with the assistant turn)")
    }
    return Candidate(
      prompt: prompt, response: response, reference: try optionalText("reference"), group: try optionalText("group"),
      metadata: try optionalObject("metadata") ?? JSONObject())
  }
}
