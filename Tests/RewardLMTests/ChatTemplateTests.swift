import Foundation
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardLM

/// Real chat templates rendered against `transformers`' own rendering
/// (scripts/chat_template_reference.py → Fixtures/templates/cases.json).
@Suite struct ChatTemplateReferenceTests {
  static let cases: [JSONObject] = {
    let path = SharedData.fixture("templates/cases.json")
    let bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
    return (try? JSONParser.parse(bytes: bytes).objectValue?["cases"]?.arrayValue?.compactMap(\.objectValue)) ?? []
  }()

  static var templateNames: [String] {
    var seen: [String] = []
    for c in cases {
      if let name = c["template"]?.stringValue, !seen.contains(name) { seen.append(name) }
    }
    return seen
  }

  static func source(_ name: String) throws -> String {
    try String(contentsOfFile: SharedData.fixture("templates/\(name).jinja"), encoding: .utf8)
  }

  @Test func everyTemplateHasCases() {
    #expect(Self.templateNames.count == 13)
    #expect(Self.cases.count > 200)
  }

  @Test(arguments: templateNames)
  func rendersAsTransformers(template name: String) throws {
    let source = try Self.source(name)
    for (i, c) in Self.cases.enumerated() where c["template"]?.stringValue == name {
      var variables: [String: JinjaValue] = [:]
      // transformers passes a missing special token as None.
      variables["bos_token"] = c["bos_token"].map(JinjaValue.init(json:))
      variables["eos_token"] = c["eos_token"].map(JinjaValue.init(json:))
      let template = try ChatTemplate(source: source, variables: variables)
      let messages = (c["messages"]?.arrayValue ?? []).map(JinjaValue.init(json:))
      var extra: [String: JinjaValue] = [:]
      for (key, value) in c["extra"]?.objectValue?.entries ?? [] { extra[key] = JinjaValue(json: value) }
      let generation = c["add_generation_prompt"] == .bool(true)
      if let expected = c["text"]?.stringValue {
        let rendered = try template.render(messages: messages, addGenerationPrompt: generation, extra: extra)
        #expect(rendered == expected, "\(name) case \(i)")
      } else {
        let message = c["error"]?.stringValue ?? "?"
        #expect(
          "case \(i)",
          performing: { try template.render(messages: messages, addGenerationPrompt: generation, extra: extra) },
          throws: { error in
            (error as? ChatTemplateError)?.message == "the template raised: \(message)"
          })
      }
    }
  }

  @Test func rendersRewardCoreMessages() throws {
    let template = try ChatTemplate(
      source: try Self.source("smollm2"), bosToken: "<|im_start|>", eosToken: "<|im_end|>")
    let text = try template.render([.user("Hi"), .assistant("Hello!")], addGenerationPrompt: true)
    #expect(
      text
        == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>assistant\n")
  }

  @Test(.enabled(if: SmolLM2File.isPresent, Comment(rawValue: SmolLM2File.skipReason)))
  func ggufCarriesTheSameTemplate() throws {
    let gguf = try GGUFFile(path: SmolLM2File.path)
    let template = try ChatTemplate(gguf: gguf)
    #expect(template.source == (try Self.source("smollm2")))
    #expect(template.variables["bos_token"]?.pythonString == "<|im_start|>")
    #expect(template.variables["eos_token"]?.pythonString == "<|im_end|>")
  }
}

/// The Jinja subset's semantics on small templates, and its errors.
@Suite struct JinjaSubsetTests {
  static func render(_ source: String, _ variables: [String: JinjaValue] = [:]) throws -> String {
    try ChatTemplate(source: source, variables: variables).render(messages: [], addGenerationPrompt: false)
  }

  @Test func expressions() throws {
    #expect(
      try Self.render("{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1 / 2 }}")
        == "7 3 -4 1 2 1024 0.5")
    #expect(
      try Self.render("{{ 'a' ~ 1 ~ none }} {{ 'ab' * 2 }} {{ [1, 'x'] }} {{ {'k': true} }}")
        == "a1None abab [1, 'x'] {'k': True}")
    #expect(
      try Self.render("{{ 'abc'[::-1] }} {{ [1,2,3,4][1:3] }} {{ 'hello'[-1] }} {{ [1,2,3][-2:] }}")
        == "cba [2, 3] o [2, 3]")
    #expect(try Self.render("{{ 'x' if false else 'y' }}{{ 'z' if true }}{{ 'w' if false }}") == "yz")
    #expect(try Self.render("{{ 'b' in 'abc' }} {{ 2 not in [1, 2] }} {{ 'k' in {'k': 1} }}") == "True False True")
    #expect(try Self.render("{{ not 1 == 2 and (3 > 2 or x) }}") == "True")
    #expect(
      try Self.render(
        "{{ '  a b  '.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' x y '.split() }}|{{ 'abc'.startswith(('x', 'a')) }}")
        == "a b|['a', 'b', '', 'c']|['x', 'y']|True")
    #expect(try Self.render("{{ \"it's\" }} {{ ['it\\'s'] }} {{ 'tab\\there' }}") == "it's [\"it's\"] tab\there")
  }

  @Test func filtersAndTests() throws {
    let data: [String: JinjaValue] = [
      "items": .array([
        .object(JinjaObject([("role", "user"), ("n", 1)])), .object(JinjaObject([("role", "bot"), ("n", 2)])),
      ])
    ]
    #expect(
      try Self.render("{{ items | selectattr('role', 'equalto', 'user') | map(attribute='n') | list }}", data) == "[1]")
    #expect(try Self.render("{{ items | rejectattr('role', 'equalto', 'user') | length }}", data) == "1")
    #expect(
      try Self.render("{{ items[0] | tojson }}|{{ {'a': [1, 'é\"']} | tojson(indent=2) }}", data)
        == "{\"role\": \"user\", \"n\": 1}|{\n  \"a\": [\n    1,\n    \"é\\\"\"\n  ]\n}")
    #expect(
      try Self.render(
        "{{ ['a','b'] | join(', ') }} {{ x | default('d') }} {{ '' | default('e', true) }} {{ 'Ab' | upper }}{{ 'Ab' | lower }}"
      ) == "a, b d e ABab")
    #expect(
      try Self.render(
        "{{ x is defined }} {{ none is none }} {{ 'a' is string }} {{ {} is mapping }} {{ 3 is odd }} {{ false is false }} {{ 1 is not none }}"
      ) == "False True True True True True True")
    #expect(try Self.render("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}") == "a=1;b=2;")
    #expect(try Self.render("{{ '  x  ' | trim }}|{{ [3, 1] | first }}{{ [3, 1] | last }}") == "x|31")
    #expect(
      try Self.render(
        "{{ \"they're bill's-x2y\" | title }} {{ \"they're x2y\".title() }} {{ '3.7' | int }} {{ 'x' | int(5) }}")
        == "They're Bill's-X2y They'Re X2Y 3 5")
    #expect(
      try Self.render(
        "{{ ['b', 'A', 'c'] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ items | sort(attribute='n', reverse=true) | map(attribute='role') | join }}",
        data) == "['A', 'b', 'c'] [3, 2, 1] botuser")
  }

  @Test func statementsScopingAndWhitespace() throws {
    // A `set` inside a loop does not leak out; a namespace does.
    #expect(
      try Self.render(
        "{% set x = 1 %}{% set ns = namespace(y=1) %}{% for i in range(3) %}{% set x = i %}{% set ns.y = ns.y + i %}{% endfor %}{{ x }} {{ ns.y }}"
      ) == "1 4")
    #expect(
      try Self.render(
        "{% for i in [1,2,3,4] if i != 2 %}{{ loop.index }}/{{ loop.length }}{% if loop.last %}!{% endif %}{% if i == 3 %}{% break %}{% endif %} {% endfor %}"
      ) == "1/3 2/3")
    #expect(try Self.render("{% for i in [] %}x{% else %}empty{% endfor %}") == "empty")
    #expect(
      try Self.render("{% for i in [1,2] %}{% if loop.first %}{% set y = 5 %}{% endif %}[{{ y }}]{% endfor %}")
        == "[5][]")
    #expect(
      try Self.render(
        "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }}"
      ) == "Hi A! Hi B?")
    #expect(try Self.render("{% set block %}in{{ 1 }}{% endset %}[{{ block }}]") == "[in1]")
    // trim_blocks + lstrip_blocks: block lines vanish; `-` strips everything on that side.
    #expect(
      try Self.render("a\n  {% if true %}\n  b\n  {% endif %}\nc {{- ' d' -}}   \n e{# comment #}\n") == "a\n  b\nc de")
    #expect(
      try Self.render("{% if 1 %}x{% elif 2 %}y{% else %}z{% endif %}{% if 0 %}x{% elif 2 %}y{% else %}z{% endif %}")
        == "xy")
  }

  @Test func unsupportedConstructsAreNamedWithTheirLine() {
    func error(_ source: String) -> String {
      do {
        _ = try Self.render(source)
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    #expect(error("line 1\n{% include 'x.jinja' %}") == "chat template, line 2: unsupported Jinja: 'include' at line 2")
    #expect(error("{% extends 'base' %}") == "chat template, line 1: unsupported Jinja: 'extends' at line 1")
    #expect(error("{% raw %}{{ x }}{% endraw %}") == "chat template, line 1: unsupported Jinja: 'raw' at line 1")
    #expect(error("\n\n{{ x | wordwrap(3) }}") == "chat template, line 3: unsupported Jinja: filter 'wordwrap'")
    #expect(error("{{ x is sameas_anything }}") == "chat template, line 1: unsupported Jinja: test 'sameas_anything'")
    #expect(error("{{ 'a'.zfill(3) }}") == "chat template, line 1: unsupported Jinja: method 'zfill' on a string")
    #expect(error("{% if x %}never closed") == "chat template, line 1: 'if' is never closed with 'endif'")
    #expect(error("{{ 'open") == "chat template, line 1: a tag opened here is never closed")
    #expect(error("{{ 1 + }}") == "chat template, line 1: expected a value, found the end of the tag")
    #expect(error("{{ x + 1 }}") == "chat template, line 1: 'x' is undefined (in '+')")
    #expect(
      error("{{ raise_exception('no system role') }}") == "chat template, line 1: the template raised: no system role")
    #expect(error("{{ 1 + 'a' }}") == "chat template, line 1: unsupported operand types for '+': integer and string")
  }

  @Test func strftimeNowFormatsTheCurrentDate() throws {
    let year = Calendar.current.component(.year, from: Date())
    #expect(try Self.render("{{ strftime_now('%Y') }}") == String(year))
  }
}

extension JinjaSubsetTests {
  @Test func hostileArithmeticIsAnErrorNotACrash() throws {
    for source in [
      "{{ 2 ** 100 }}", "{{ 9223372036854775807 + 1 }}", "{{ 'x' * 100000000000 }}", "{{ range(10 ** 9) }}",
    ] {
      #expect(throws: ChatTemplateError.self, "\(source)") { try Self.render(source) }
    }
    #expect(try Self.render("{{ 2 ** 62 }} {{ (-1) ** 101 }} {{ -7 % -1 }}") == "4611686018427387904 -1 0")
  }
}
