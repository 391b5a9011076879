import ArgumentParser
import Foundation
import RewardCore
import RewardData
import RewardLM

/// `reward backbone template NAME FILE`: conversations through a model's own chat template, the
/// tool to reach for when an LM reward looks wrong ("what prompt did the model actually see?").
struct BackboneTemplateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "template",
    abstract: "Render conversations through a language model's chat template (JSON Lines with `text`).",
    discussion: """
      Input: JSON Lines, one conversation a line: {"messages": [{"role": …, "content": …}, …]}, \
      with optional "add_generation_prompt" (default false, as apply_chat_template), "tools" \
      (OpenAI-style definitions, passed to the template) and any other fields (copied to the \
      output, so ids survive). Messages are passed to the template as written (tool_calls \
      included). Output, one line per conversation in input order: the input's other fields and \
      "text", the rendering — identical to transformers' apply_chat_template(messages, \
      tokenize=False, add_generation_prompt=…). A line that is not such an object, or a template \
      feature outside RewardKit's Jinja subset, is an error naming the file and line.
      """)

  @Argument(
    help: "A language model: smollm2 (after `reward backbone fetch smollm2`), a .gguf file or a model directory.")
  var model: String

  @Argument(help: "The conversations, JSON Lines, optionally .gz (`-` for standard input).")
  var input: String

  @Option(name: .shortAndLong, help: "Output file (`-` for standard output).")
  var output = "-"

  func run() async throws {
    let template = try Self.chatTemplate(model)
    let file = try InputFile.read(input)
    let name = file.path == InputFile.standardInputPath ? "<stdin>" : file.path
    var text = ""
    for (index, rawLine) in String(decoding: file.bytes, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false
    ).enumerated() {
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      guard !line.allSatisfy({ $0 == " " || $0 == "\t" }) else { continue }
      let location = SourceLocation(file: name, line: index + 1)
      text += try Self.render(String(line), at: location, template: template).jsonText + "\n"
    }
    if output == "-" {
      FileHandle.standardOutput.write(Data(text.utf8))
    } else {
      try text.write(toFile: output, atomically: true, encoding: .utf8)
    }
  }

  /// The chat template of a known name, GGUF file or model directory.
  static func chatTemplate(_ reference: String) throws -> ChatTemplate {
    guard let path = LanguageModelLoader.resolve(reference) else {
      throw ValidationError("\(reference): not a known model name (smollm2), .gguf file or model directory")
    }
    if LanguageModelLoader.isGGUF(path) { return try ChatTemplate(gguf: try GGUFFile(path: path)) }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw ValidationError("\(path): not a GGUF file nor a model directory")
    }
    return try ChatTemplate(modelDirectory: path)
  }

  /// One input line → its output object.
  static func render(_ line: String, at location: SourceLocation, template: ChatTemplate) throws -> JSONValue {
    let value: JSONValue
    do {
      value = try JSONParser.parse(line)
    } catch {
      throw InputError(.malformedJSON, at: location, "\(error.message) at column \(error.column)")
    }
    guard let object = value.objectValue else {
      throw InputError(.wrongType, at: location, "expected a JSON object with \"messages\", found \(value.typeName)")
    }
    guard let messages = object["messages"] else {
      throw InputError(.missingField, at: location.field("messages"), "required: a list of {role, content}")
    }
    guard let list = messages.arrayValue else {
      throw InputError(.wrongType, at: location.field("messages"), "expected a list, found \(messages.typeName)")
    }
    for (position, message) in list.enumerated() {
      guard let fields = message.objectValue, fields["role"]?.stringValue != nil else {
        throw InputError(
          .wrongType, at: location.field("messages[\(position)]"), "expected an object with a string \"role\"")
      }
    }
    var addGenerationPrompt = false
    switch object["add_generation_prompt"] {
    case nil, .null?: break
    case .bool(let flag)?: addGenerationPrompt = flag
    case let other?:
      throw InputError(
        .wrongType, at: location.field("add_generation_prompt"), "expected true or false, found \(other.typeName)")
    }
    var extra: [String: JinjaValue] = [:]
    if let tools = object["tools"], !tools.isNull { extra["tools"] = JinjaValue(json: tools) }
    let rendered: String
    do {
      rendered = try template.render(
        messages: list.map { JinjaValue(json: $0) }, addGenerationPrompt: addGenerationPrompt, extra: extra)
    } catch {
      throw InputError(.invalidValue, at: location.field("messages"), "the chat template failed: \(error)")
    }
    var out = JSONObject()
    for (key, value) in object.entries where !["messages", "add_generation_prompt", "tools", "text"].contains(key) {
      out[key] = value
    }
    out["text"] = .string(rendered)
    return .object(out)
  }
}
