import Foundation
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardLM

/// The lm-fixtures engineer's independent references (scripts/lm_reference.py): 15 chat templates
/// through `apply_chat_template`, and 216 texts through `transformers`' GGUF tokenizer.
@Suite struct LMFixtureParityTests {
  static let templateCases: [JSONObject] =
    (try? LMFixtures.json("chat_templates/cases.json").objectValue?["cases"]?.arrayValue?.compactMap(\.objectValue))
    ?? []

  static var templateNames: [String] {
    var names: [String] = []
    for c in templateCases {
      if let name = c["template"]?.stringValue, !names.contains(name) { names.append(name) }
    }
    return names
  }

  @Test func fixturesAreThere() {
    #expect(Self.templateNames.count == 15)
    #expect(Self.templateCases.count > 150)
  }

  @Test(arguments: templateNames)
  func chatTemplateMatchesApplyChatTemplate(template name: String) throws {
    let source = try String(contentsOfFile: LMFixtures.path("chat_templates/templates/\(name).jinja"), encoding: .utf8)
    let template = try ChatTemplate(source: source)
    for c in Self.templateCases where c["template"]?.stringValue == name {
      let id = c["id"]?.stringValue ?? "?"
      let messages = (c["messages"]?.arrayValue ?? []).map(JinjaValue.init(json:))
      var extra: [String: JinjaValue] = [:]
      for (key, value) in c["kwargs"]?.objectValue?.entries ?? [] { extra[key] = JinjaValue(json: value) }
      let generation = c["add_generation_prompt"] == .bool(true)
      if let expected = c["expected"]?.stringValue {
        #expect(
          try template.render(messages: messages, addGenerationPrompt: generation, extra: extra) == expected, "\(id)")
      } else {
        // "TemplateError: <message>" as Python prints the exception.
        let message = (c["error"]?.stringValue ?? "").replacingOccurrences(of: "TemplateError: ", with: "")
        #expect(
          "\(id)",
          performing: { try template.render(messages: messages, addGenerationPrompt: generation, extra: extra) },
          throws: { ($0 as? ChatTemplateError)?.message == "the template raised: \(message)" })
      }
    }
  }

  /// `transformers`' GGUF loader splits SmolLM2 text with plain ByteLevel (not SmolLM2's digit
  /// split): `preTokenizer: .gpt2` reproduces it id for id.
  @Test(.enabled(if: SmolLM2File.isPresent, Comment(rawValue: SmolLM2File.skipReason)))
  func transformersGGUFTokenizerIDs() throws {
    let cases = try #require(try LMFixtures.json("smollm2/tokenizer_cases.json").objectValue?["cases"]?.arrayValue)
    #expect(cases.count == 216)
    let asTransformers = try BPETokenizer(ggufFile: SmolLM2File.path, preTokenizer: .gpt2)
    let native = try BPETokenizer(ggufFile: SmolLM2File.path)
    var nativeDiffers = 0
    for item in cases.compactMap(\.objectValue) {
      let text = try #require(item["text"]?.stringValue)
      let ids = try asTransformers.encode(text, addSpecialTokens: false)
      #expect(ids == item["ids"]?.tokenIDs, "\(item["id"]?.stringValue ?? "?")")
      #expect(try asTransformers.encode(text, addSpecialTokens: true) == item["ids_with_special"]?.tokenIDs)
      #expect(asTransformers.decode(ids) == item["decoded"]?.stringValue, "\(item["id"]?.stringValue ?? "?")")
      if try native.encode(text, addSpecialTokens: false) != item["ids"]?.tokenIDs {
        nativeDiffers += 1
        // The two splits differ only where a whitespace run ends in front of a digit.
        let scalars = Array(text.unicodeScalars)
        let spaceThenDigit = zip(scalars, scalars.dropFirst()).contains {
          $0.properties.isWhitespace && $1.properties.numericType != nil
        }
        #expect(spaceThenDigit, "\(item["id"]?.stringValue ?? "?")")
      }
    }
    #expect(nativeDiffers == 5)
  }
}
