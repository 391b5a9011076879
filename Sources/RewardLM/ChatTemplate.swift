import Foundation
import RewardCore

/// A model's chat template (the Jinja source from `tokenizer_config.json`'s `chat_template` or GGUF
/// `tokenizer.chat_template`), rendered as `transformers`' `apply_chat_template(tokenize=False)`
/// does: Jinja with `trim_blocks`, `lstrip_blocks` and loop controls, `raise_exception`,
/// `strftime_now`, `namespace`, and `tojson` as `json.dumps(ensure_ascii=False)`. The template is
/// parsed once; constructs outside the supported subset fail at parse time (or, for filters, tests
/// and methods, when reached) with `unsupported Jinja: '…' at line L`.
public struct ChatTemplate: ConversationRenderer {
  public let source: String
  /// Extra variables every rendering sees: `bos_token`, `eos_token`, and whatever the caller adds
  /// (`enable_thinking`, `tools`, `date_string` …).
  public let variables: [String: JinjaValue]
  private let nodes: [JinjaNode]

  public init(
    source: String, bosToken: String? = nil, eosToken: String? = nil, variables: [String: JinjaValue] = [:]
  ) throws(ChatTemplateError) {
    self.source = source
    nodes = try JinjaParser.parse(source)
    var all = variables
    if let bosToken, all["bos_token"] == nil { all["bos_token"] = .string(bosToken) }
    if let eosToken, all["eos_token"] == nil { all["eos_token"] = .string(eosToken) }
    self.variables = all
  }

  public func render(_ messages: [Message], addGenerationPrompt: Bool) throws -> String {
    try render(
      messages: messages.map {
        .object(JinjaObject([("role", .string($0.role.rawValue)), ("content", .string($0.content))]))
      },
      addGenerationPrompt: addGenerationPrompt)
  }

  /// Renders messages given as template values (for fields beyond role and content: `tool_calls`,
  /// `reasoning_content` …). `extra` overrides `variables` for this call.
  public func render(messages: [JinjaValue], addGenerationPrompt: Bool, extra: [String: JinjaValue] = [:]) throws
    -> String
  {
    var globals = Self.builtins
    for (key, value) in variables { globals[key] = value }
    for (key, value) in extra { globals[key] = value }
    globals["messages"] = .array(messages)
    globals["add_generation_prompt"] = .bool(addGenerationPrompt)
    if globals["tools"] == nil { globals["tools"] = JinjaValue.none }
    if globals["documents"] == nil { globals["documents"] = JinjaValue.none }
    var interpreter = JinjaInterpreter(globals: globals)
    return try interpreter.render(nodes)
  }

  /// The functions `transformers` puts in the template environment (plus Jinja's `range`).
  static let builtins: [String: JinjaValue] = [
    "raise_exception": .function(
      JinjaFunction(name: "raise_exception") { args, _, _ in
        throw ChatTemplateError("the template raised: \(args.first?.pythonString ?? "")")
      }),
    "strftime_now": .function(
      JinjaFunction(name: "strftime_now") { args, _, _ in
        guard case .string(let format)? = args.first else { throw ChatTemplateError("strftime_now() needs a format") }
        return .string(strftimeNow(format))
      }),
    "namespace": .function(
      JinjaFunction(name: "namespace") { args, kwargs, _ in
        var values = JinjaObject()
        if case .object(let initial)? = args.first {
          for (key, value) in initial.entries { values[key] = value }
        }
        for (key, value) in kwargs { values[key] = value }
        return .namespace(JinjaNamespace(values))
      }),
    "dict": .function(
      JinjaFunction(name: "dict") { args, kwargs, _ in
        var values = JinjaObject()
        if case .object(let initial)? = args.first {
          for (key, value) in initial.entries { values[key] = value }
        }
        for (key, value) in kwargs { values[key] = value }
        return .object(values)
      }),
    "range": .function(
      JinjaFunction(name: "range") { args, _, _ in
        let ints = try args.map { (v: JinjaValue) throws -> Int in
          guard case .int(let i) = v else { throw ChatTemplateError("range() needs integers") }
          return i
        }
        let (start, stop, step): (Int, Int, Int) =
          switch ints.count {
          case 1: (0, ints[0], 1)
          case 2: (ints[0], ints[1], 1)
          case 3: (ints[0], ints[1], ints[2])
          default: throw ChatTemplateError("range() takes 1 to 3 integers")
          }
        guard step != 0 else { throw ChatTemplateError("range() step cannot be zero") }
        guard abs((stop - start) / step) <= 1_000_000 else { throw ChatTemplateError("range() is too long") }
        return .array(stride(from: start, to: stop, by: step).map { .int($0) })
      }),
  ]

  /// Python's `datetime.now().strftime(format)`: the C library's strftime on local time, as CPython.
  static func strftimeNow(_ format: String) -> String {
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    var buffer = [CChar](repeating: 0, count: 256)
    let count = strftime(&buffer, buffer.count, format, &parts)
    return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

extension ChatTemplate {
  /// The chat template a GGUF file carries (`tokenizer.chat_template`), with its BOS/EOS token text.
  public init(gguf: GGUFFile, variables: [String: JinjaValue] = [:]) throws {
    guard let source = try gguf.string("tokenizer.chat_template") else {
      throw ChatTemplateError("\(gguf.path): no 'tokenizer.chat_template' in the file")
    }
    let tokens = try gguf.strings("tokenizer.ggml.tokens") ?? []
    func text(_ key: String) throws -> String? {
      guard let id = try gguf.integer(key), tokens.indices.contains(id) else { return nil }
      return tokens[id]
    }
    try self.init(
      source: source, bosToken: try text("tokenizer.ggml.bos_token_id"),
      eosToken: try text("tokenizer.ggml.eos_token_id"),
      variables: variables)
  }

  /// The chat template of a Hugging Face model directory: `chat_template.jinja`, or
  /// `tokenizer_config.json`'s `chat_template` (a string, or a list of named templates of which
  /// "default" is taken), with `bos_token`/`eos_token` from `tokenizer_config.json`.
  public init(modelDirectory directory: String, variables: [String: JinjaValue] = [:]) throws {
    let configPath = directory + "/tokenizer_config.json"
    var config = JSONObject()
    if let data = FileManager.default.contents(atPath: configPath) {
      do {
        guard let object = try JSONParser.parse(bytes: Array(data)).objectValue else {
          throw ChatTemplateError("\(configPath): expected a JSON object")
        }
        config = object
      } catch let error as JSONSyntaxError {
        throw ChatTemplateError("\(configPath): not valid JSON (line \(error.line): \(error.message))")
      }
    }
    func tokenText(_ key: String) -> String? {
      config[key]?.stringValue ?? config[key]?.objectValue?["content"]?.stringValue
    }
    let source: String
    if let data = FileManager.default.contents(atPath: directory + "/chat_template.jinja") {
      source = String(decoding: data, as: UTF8.self)
    } else if let text = config["chat_template"]?.stringValue {
      source = text
    } else if let named = config["chat_template"]?.arrayValue {
      guard
        let text = named.compactMap(\.objectValue).first(where: { $0["name"]?.stringValue == "default" })?["template"]?
          .stringValue
      else { throw ChatTemplateError("\(configPath): 'chat_template' lists no template named \"default\"") }
      source = text
    } else {
      throw ChatTemplateError(
        "\(directory): no chat template (neither chat_template.jinja nor 'chat_template' in tokenizer_config.json)")
    }
    try self.init(
      source: source, bosToken: tokenText("bos_token"), eosToken: tokenText("eos_token"), variables: variables)
  }
}
