import Foundation
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardLM

/// Seeded mutations of real templates and random texts: every input gives a result or a clear
/// error, never a crash; and decoding is lossless for every text the vocabulary can spell.
@Suite struct TokenizerTemplateFuzzTests {
  static let fragments = [
    "{{", "}}", "{%", "%}", "{#", "#}", "-", "'", "\"", "\\", "(", ")", "[", "]", ":", "|", ".", "~", " if ",
    " for ", " endfor ", " endif ", "loop.", "ns.", " is ", " not ", "**", "//", "9223372036854775807", "\n",
  ]

  @Test func mutatedTemplatesNeverCrash() throws {
    var random = SeededGenerator(seed: 13)
    let directory = SharedData.fixture("templates")
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jinja") }
      .sorted()
    #expect(names.count == 13)
    let messages: [Message] = [.system("Be brief."), .user("Hi 1 2 3"), .assistant("Hello"), .user("Again?")]
    var rendered = 0
    var failed = 0
    for name in names {
      let source = Array(try String(contentsOfFile: directory + "/" + name, encoding: .utf8).unicodeScalars)
      for _ in 0..<150 {
        var mutated = source
        for _ in 0..<(1 + random.nextIndex(below: 3)) {
          let at = random.nextIndex(below: mutated.count + 1)
          switch random.nextIndex(below: 3) {
          case 0 where at < mutated.count: mutated.remove(at: at)
          case 1:
            let fragment = Self.fragments[random.nextIndex(below: Self.fragments.count)]
            mutated.insert(contentsOf: fragment.unicodeScalars, at: at)
          default:
            let length = min(mutated.count - min(at, mutated.count), random.nextIndex(below: 40))
            if at < mutated.count { mutated.removeSubrange(at..<(at + length)) }
          }
        }
        do {
          let template = try ChatTemplate(
            source: String(String.UnicodeScalarView(mutated)), bosToken: "<s>", eosToken: "</s>")
          _ = try template.render(messages, addGenerationPrompt: random.nextIndex(below: 2) == 0)
          rendered += 1
        } catch is ChatTemplateError {
          failed += 1
        }
      }
    }
    #expect(rendered + failed == names.count * 150)
    #expect(rendered > 0 && failed > 0)
  }

  @Test func runawayNestingAndRecursionAreErrors() {
    let deep = String(repeating: "(", count: 1000) + "1" + String(repeating: ")", count: 1000)
    #expect(throws: ChatTemplateError.self) { try ChatTemplate(source: "{{ \(deep) }}") }
    let blocks = String(repeating: "{% if true %}", count: 1000) + String(repeating: "{% endif %}", count: 1000)
    #expect(throws: ChatTemplateError.self) { try ChatTemplate(source: blocks) }
    let recursive = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"
    #expect(throws: ChatTemplateError.self) {
      try ChatTemplate(source: recursive).render([], addGenerationPrompt: false)
    }
  }

  @Test func randomTextsRoundTrip() throws {
    let json = try JSONParser.parse(
      bytes: Array(FileManager.default.contents(atPath: SharedData.fixture("tokenizer/smollm2-4k-tokenizer.json"))!))
    let tokenizers = [
      try BPETokenizer(tokenizerJSON: json),
      try BPETokenizer(
        vocabulary: Dictionary(uniqueKeysWithValues: (0..<256).map { (String(ByteLevel.characters[$0]), TokenID($0)) }),
        merges: [], preTokenizer: .llama3),
    ]
    var random = SeededGenerator(seed: 7)
    let alphabet: [Unicode.Scalar] = Array("aZ0 9\n\r\t'sS.,!é日🙂\u{A0}\u{3000}\u{301}<|>_".unicodeScalars)
    for _ in 0..<400 {
      var scalars = String.UnicodeScalarView()
      for _ in 0..<random.nextIndex(below: 60) {
        if random.nextIndex(below: 8) == 0, let any = Unicode.Scalar(UInt32(random.nextIndex(below: 0x2FFFF))) {
          scalars.append(any)
        } else {
          scalars.append(alphabet[random.nextIndex(below: alphabet.count)])
        }
      }
      let text = String(scalars)
      for tokenizer in tokenizers {
        let ids = try tokenizer.encode(text, addSpecialTokens: true)
        if tokenizer.unrepresentableBytes(in: text).isEmpty {
          #expect(tokenizer.decode(ids) == text, "\(text.debugDescription)")
        }
      }
    }
  }
}
