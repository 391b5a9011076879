import RewardCore

/// The OpenAI-compatible JSON: request bodies built from our types, and strict readers for the
/// answers. A reader never guesses: anything that is not what the API documents becomes
/// `EngineError.malformedResponse` naming the endpoint and the JSON path that was wrong.
enum OpenAIWire {
  // MARK: Requests

  static func chatBody(_ request: ChatRequest, model: String) -> JSONValue {
    var body = JSONObject()
    body["model"] = .string(model)
    body["messages"] = .array(request.messages.map(message))
    addSampling(request.sampling, to: &body, chat: true)
    if !request.tools.isEmpty {
      body["tools"] = .array(
        request.tools.map { tool in
          [
            "type": "function",
            "function": [
              "name": .string(tool.name), "description": .string(tool.description), "parameters": tool.parameters,
            ],
          ]
        })
    }
    if let choice = request.toolChoice { body["tool_choice"] = .string(choice) }
    return .object(body)
  }

  static func completionBody(_ request: CompletionRequest, model: String) -> JSONValue {
    var body = JSONObject()
    body["model"] = .string(model)
    body["prompt"] = .string(request.prompt)
    if request.echo { body["echo"] = true }
    addSampling(request.sampling, to: &body, chat: false)
    return .object(body)
  }

  static func embeddingBody(_ texts: [String], model: String) -> JSONValue {
    ["model": .string(model), "input": .array(texts.map { .string($0) })]
  }

  static func message(_ message: ChatMessage) -> JSONValue {
    var object = JSONObject()
    object["role"] = .string(message.role)
    object["content"] = .string(message.content)
    if !message.toolCalls.isEmpty {
      object["tool_calls"] = .array(
        message.toolCalls.map { call in
          [
            "id": .string(call.id), "type": "function",
            "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
          ]
        })
    }
    if let id = message.toolCallID { object["tool_call_id"] = .string(id) }
    return .object(object)
  }

  /// The sampling fields under their API names; unset fields are left out (the engine's default).
  /// Chat asks for log-probabilities with `logprobs: true` + `top_logprobs: k`, the legacy
  /// completions API with `logprobs: k`.
  static func addSampling(_ sampling: SamplingParameters, to body: inout JSONObject, chat: Bool) {
    if let value = sampling.temperature { body["temperature"] = .double(value) }
    if let value = sampling.topP { body["top_p"] = .double(value) }
    if let value = sampling.maxTokens { body["max_tokens"] = .int(Int64(value)) }
    if let value = sampling.seed { body["seed"] = .int(Int64(value)) }
    if !sampling.stop.isEmpty { body["stop"] = .array(sampling.stop.map { .string($0) }) }
    if let k = sampling.topLogprobs {
      if chat {
        body["logprobs"] = true
        body["top_logprobs"] = .int(Int64(k))
      } else {
        body["logprobs"] = .int(Int64(k))
      }
    }
    if let format = sampling.responseFormat { body["response_format"] = format }
    if let grammar = sampling.grammar { body["grammar"] = .string(grammar) }
  }

  // MARK: Responses

  static func chatResponse(_ json: JSONValue, endpoint: String) throws -> ChatResponse {
    let reader = Reader(endpoint: endpoint)
    let choice = try reader.firstChoice(json)
    let message = try reader.object(choice["message"], "choices[0].message")
    let text: String
    switch message["content"] {
    case .string(let value)?: text = value
    case .null?, nil: text = ""  // a reply that only calls tools, or nothing (finish_reason says why)
    case let other?: throw reader.fail("choices[0].message.content: expected a string or null, found \(other.typeName)")
    }
    var calls: [ToolCall] = []
    if let value = message["tool_calls"], !value.isNull {
      let list = try reader.array(value, "choices[0].message.tool_calls")
      calls = try list.enumerated().map { index, item in
        try reader.toolCall(item, "choices[0].message.tool_calls[\(index)]", index: index)
      }
    }
    return ChatResponse(
      text: text, toolCalls: calls, finishReason: try reader.finishReason(choice),
      logprobs: try reader.chatLogprobs(choice["logprobs"], "choices[0].logprobs"), usage: try reader.usage(json))
  }

  static func completionResponse(_ json: JSONValue, endpoint: String) throws -> CompletionResponse {
    let reader = Reader(endpoint: endpoint)
    let choice = try reader.firstChoice(json)
    guard case .string(let text)? = choice["text"] else {
      throw reader.fail("choices[0].text: expected a string, found \(choice["text"]?.typeName ?? "nothing")")
    }
    let logprobs: [TokenLogprob]?
    var offsets: [Int]?
    let field = "choices[0].logprobs"
    switch choice["logprobs"] {
    case nil, .null?: logprobs = nil
    case .object(let object)? where object["content"] != nil:
      logprobs = try reader.chatLogprobs(.object(object), field)  // llama-server writes the chat shape here
    case let value?:
      logprobs = try reader.legacyLogprobs(value, field)
      offsets = try reader.textOffsets(value, field, count: logprobs?.count ?? 0)
    }
    return CompletionResponse(
      text: text, finishReason: try reader.finishReason(choice), logprobs: logprobs, textOffsets: offsets,
      usage: try reader.usage(json))
  }

  static func embeddingResponse(_ json: JSONValue, count: Int, endpoint: String) throws -> [[Float]] {
    let reader = Reader(endpoint: endpoint)
    let top = try reader.object(json, "response")
    let data = try reader.array(top["data"], "data")
    guard data.count == count else { throw reader.fail("data: \(data.count) embeddings for \(count) inputs") }
    var vectors = [[Float]?](repeating: nil, count: count)
    for (position, item) in data.enumerated() {
      let field = "data[\(position)]"
      let object = try reader.object(item, field)
      let index = try reader.int(object["index"], "\(field).index")
      guard (0..<count).contains(index), vectors[index] == nil else {
        throw reader.fail("\(field).index: \(index) is out of range or repeated")
      }
      let values = try reader.array(object["embedding"], "\(field).embedding")
      vectors[index] = try values.enumerated().map { offset, value in
        guard let number = value.doubleValue else {
          throw reader.fail("\(field).embedding[\(offset)]: expected a number, found \(value.typeName)")
        }
        return Float(number)
      }
    }
    return vectors.map { $0 ?? [] }
  }

  /// Reads `/v1/models` and returns the served model ids.
  static func modelIDs(_ json: JSONValue, endpoint: String) throws -> [String] {
    let reader = Reader(endpoint: endpoint)
    let data = try reader.array(try reader.object(json, "response")["data"], "data")
    return data.compactMap { $0.objectValue?["id"]?.stringValue }
  }

  /// Typed access to a response, failing with the path of the first thing out of place.
  struct Reader {
    let endpoint: String

    func fail(_ reason: String) -> EngineError { .malformedResponse(endpoint: endpoint, reason: reason) }

    func object(_ value: JSONValue?, _ field: String) throws -> JSONObject {
      guard case .object(let object)? = value else {
        throw fail("\(field): expected an object, found \(value?.typeName ?? "nothing")")
      }
      return object
    }

    func array(_ value: JSONValue?, _ field: String) throws -> [JSONValue] {
      guard case .array(let items)? = value else {
        throw fail("\(field): expected an array, found \(value?.typeName ?? "nothing")")
      }
      return items
    }

    func string(_ value: JSONValue?, _ field: String) throws -> String {
      guard case .string(let text)? = value else {
        throw fail("\(field): expected a string, found \(value?.typeName ?? "nothing")")
      }
      return text
    }

    func int(_ value: JSONValue?, _ field: String) throws -> Int {
      switch value {
      case .int(let number)?: return Int(number)
      case .double(let number)? where number == number.rounded() && abs(number) < 1e15: return Int(number)
      default: throw fail("\(field): expected an integer, found \(value?.typeName ?? "nothing")")
      }
    }

    func double(_ value: JSONValue?, _ field: String) throws -> Double {
      guard let number = value?.doubleValue else {
        throw fail("\(field): expected a number, found \(value?.typeName ?? "nothing")")
      }
      return number
    }

    func firstChoice(_ json: JSONValue) throws -> JSONObject {
      let top = try object(json, "response")
      if let error = top["error"], !error.isNull {
        // Some servers answer 200 with an error object instead of a completion.
        let message = error.objectValue?["message"]?.stringValue ?? error.jsonText
        throw fail("an error instead of a completion: \(message.prefix(300))")
      }
      let choices = try array(top["choices"], "choices")
      guard let first = choices.first else { throw fail("choices: empty list") }
      return try object(first, "choices[0]")
    }

    func finishReason(_ choice: JSONObject) throws -> String? {
      switch choice["finish_reason"] {
      case nil, .null?: return nil
      case .string(let reason)?: return reason
      case let other?: throw fail("choices[0].finish_reason: expected a string, found \(other.typeName)")
      }
    }

    func usage(_ json: JSONValue) throws -> TokenUsage {
      guard case .object(let top) = json, let value = top["usage"], !value.isNull else { return TokenUsage() }
      let usage = try object(value, "usage")
      return TokenUsage(
        promptTokens: usage["prompt_tokens"] == nil ? 0 : try int(usage["prompt_tokens"], "usage.prompt_tokens"),
        completionTokens: usage["completion_tokens"] == nil
          ? 0 : try int(usage["completion_tokens"], "usage.completion_tokens"))
    }

    func toolCall(_ value: JSONValue, _ field: String, index: Int) throws -> ToolCall {
      let call = try object(value, field)
      let function = try object(call["function"], "\(field).function")
      let name = try string(function["name"], "\(field).function.name")
      // The API writes arguments as JSON text; a few servers write the object itself.
      let arguments: String
      switch function["arguments"] {
      case .string(let text)?: arguments = text
      case .object(let object)?: arguments = JSONValue.object(object).jsonText
      case nil, .null?: arguments = "{}"
      case let other?: throw fail("\(field).function.arguments: expected a string, found \(other.typeName)")
      }
      let id = call["id"]?.stringValue ?? "call_\(index)"
      return ToolCall(id: id, name: name, arguments: arguments)
    }

    /// Chat shape: `{"content": [{"token", "logprob", "top_logprobs": [{"token", "logprob"}]}]}`.
    func chatLogprobs(_ value: JSONValue?, _ field: String) throws -> [TokenLogprob]? {
      guard let value, !value.isNull else { return nil }
      let container = try object(value, field)
      guard let content = container["content"], !content.isNull else { return nil }
      let items = try array(content, "\(field).content")
      return try items.enumerated().map { index, item in
        let path = "\(field).content[\(index)]"
        let entry = try object(item, path)
        var top: [TokenLogprob.Alternative] = []
        if let alternatives = entry["top_logprobs"], !alternatives.isNull {
          let list = try array(alternatives, "\(path).top_logprobs")
          top = try list.enumerated().map { offset, alternative in
            let altPath = "\(path).top_logprobs[\(offset)]"
            let object = try object(alternative, altPath)
            return TokenLogprob.Alternative(
              token: try string(object["token"], "\(altPath).token"),
              logprob: try double(object["logprob"], "\(altPath).logprob"))
          }
        }
        return TokenLogprob(
          token: try string(entry["token"], "\(path).token"), logprob: try double(entry["logprob"], "\(path).logprob"),
          top: top)
      }
    }

    /// The legacy shape's `text_offset` (one per token), or nil when absent.
    func textOffsets(_ value: JSONValue, _ field: String, count: Int) throws -> [Int]? {
      let container = try object(value, field)
      guard let offsets = container["text_offset"], !offsets.isNull else { return nil }
      let items = try array(offsets, "\(field).text_offset")
      guard items.count == count else {
        throw fail("\(field): \(count) tokens but \(items.count) text_offset entries")
      }
      return try items.enumerated().map { index, item in try int(item, "\(field).text_offset[\(index)]") }
    }

    /// Legacy completions shape: `{"tokens", "token_logprobs", "top_logprobs": [{token: logprob}]}`.
    /// The first echoed token has no log-probability (null); it is reported as 0, a null elsewhere as NaN.
    func legacyLogprobs(_ value: JSONValue, _ field: String) throws -> [TokenLogprob] {
      let container = try object(value, field)
      let tokens = try array(container["tokens"], "\(field).tokens")
      let logprobs = try array(container["token_logprobs"], "\(field).token_logprobs")
      guard tokens.count == logprobs.count else {
        throw fail("\(field): \(tokens.count) tokens but \(logprobs.count) token_logprobs")
      }
      var tops: [JSONValue] = []
      if let value = container["top_logprobs"], !value.isNull {
        tops = try array(value, "\(field).top_logprobs")
      }
      return try tokens.indices.map { index in
        let token = try string(tokens[index], "\(field).tokens[\(index)]")
        // Only the first echoed token has no context; a null anywhere else is a token the engine
        // could not score, kept visible as NaN rather than silently counted as certain.
        let logprob =
          logprobs[index].isNull
          ? (index == 0 ? 0 : .nan) : try double(logprobs[index], "\(field).token_logprobs[\(index)]")
        var top: [TokenLogprob.Alternative] = []
        if index < tops.count, !tops[index].isNull {
          let alternatives = try object(tops[index], "\(field).top_logprobs[\(index)]")
          top = try alternatives.entries.map { entry in
            TokenLogprob.Alternative(
              token: entry.key, logprob: try double(entry.value, "\(field).top_logprobs[\(index)].\(entry.key)"))
          }
        }
        return TokenLogprob(token: token, logprob: logprob, top: top)
      }
    }
  }
}
