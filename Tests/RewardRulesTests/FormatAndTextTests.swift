import Foundation
import RewardCore
import Testing

@testable import RewardRules

struct FormatAndTextTests {
  func candidate(_ response: String, reference: String? = nil) -> Candidate {
    Candidate(prompt: [], response: response, reference: reference)
  }

  @Test func regexSearchAndFullMatch() throws {
    let search = try RegexRule(pattern: "<think>[\\s\\S]*</think>")
    #expect(search.evaluate(candidate("a <think>x\ny</think> b")) == .score(1))
    #expect(search.evaluate(candidate("<think>x")) == .score(0))
    let full = try RegexRule(pattern: "<think>[\\s\\S]*</think>", mode: .full)
    #expect(full.evaluate(candidate("a <think>x</think>")) == .score(0))
    #expect(full.evaluate(candidate("<think>x</think>")) == .score(1))
    #expect(throws: ConfigurationError.self) { try RegexRule(pattern: "([a-z") }
  }

  @Test func literalPrefilterNeverChangesAVerdict() throws {
    #expect(RegexRule.leadingLiteral(of: "<think>[\\s\\S]*</think>") == "<think>")
    #expect(RegexRule.leadingLiteral(of: "Answer: \\d+") == "Answer: ")
    #expect(RegexRule.leadingLiteral(of: "colou?r") == "colo")
    #expect(RegexRule.leadingLiteral(of: "ab{2}") == "a")
    #expect(RegexRule.leadingLiteral(of: "yes|no") == "")
    #expect(RegexRule.leadingLiteral(of: "(?i)<think>") == "")
    #expect(LiteralSequence(pattern: "<think>[\\s\\S]*</think>")?.pieces.count == 2)
    #expect(LiteralSequence(pattern: "<think>.*</think>") == nil)
    #expect(LiteralSequence(pattern: "a[\\s\\S]*+b") == nil)
    let patterns = [
      "<think>[\\s\\S]*</think>", "<think>[\\s\\S]*?</think>[\\S\\s]*<answer>[\\s\\S]*</answer>", "colou?r", "ab{2}c",
      "Answer: \\d+", "é+x", "<a>", "[\\s\\S]*end", "ab[\\s\\S]*ba",
    ]
    let texts = [
      "", "<think>x</think>", "<think>x\n</think> tail", "<THINK>x</think>", "</think><think>", "<think></think>",
      "<think>a</think><answer>b</answer>", "<think>a</think>\n<answer>b</answer>\n",
      "<answer>b</answer><think>a</think>",
      "color", "colour", "colr", "abbc", "abc", "Answer: 42", "answer: 42", "ééx", "x<a>", "<a", "the end", "end",
      "aba", "abba", "ab ba", "ab", "<a>\r\n", "<a>\n\n", "<a>\u{2028}", "<a>\r", "end\n", "<think>x</think>\u{85}",
    ]
    for pattern in patterns {
      for mode in RegexRule.Mode.allCases {
        let rule = try RegexRule(pattern: pattern, mode: mode)
        let icu = try NSRegularExpression(pattern: mode == .full ? "^(?:\(pattern))$" : pattern)
        for text in texts {
          let expected = icu.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
          #expect(rule.matches(text) == expected, "\(pattern) (\(mode)) on \(text)")
        }
      }
    }
  }

  @Test func tagStructureRequiresOrderAndUniqueness() {
    let rule = TagStructureRule(tags: ["think", "answer"])
    #expect(rule.matches("<think>a</think>\n<answer>b</answer>\n"))
    #expect(!rule.matches("<answer>b</answer><think>a</think>"))
    #expect(!rule.matches("<think>a</think><think>c</think><answer>b</answer>"))
    #expect(!rule.matches("intro <think>a</think><answer>b</answer>"))
    #expect(
      TagStructureRule(tags: ["think", "answer"], strict: false).matches("intro <think>a</think><answer>b</answer>"))
  }

  @Test func jsonValidityAndSchema() throws {
    let schema = try JSONSchema(
      JSONParser.parse(
        #"{"type": "object", "required": ["name", "tags"], "additionalProperties": false, "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer", "minimum": 0, "maximum": 150}, "tags": {"type": "array", "maxItems": 2, "items": {"enum": ["a", "b"]}}}}"#
      ))
    #expect(schema.validates(try JSONParser.parse(#"{"name": "x", "tags": ["a"], "age": 3}"#)))
    #expect(!schema.validates(try JSONParser.parse(#"{"name": "x"}"#)))  // missing required
    #expect(!schema.validates(try JSONParser.parse(#"{"name": "x", "tags": ["c"]}"#)))  // enum
    #expect(!schema.validates(try JSONParser.parse(#"{"name": "x", "tags": [], "age": 3.5}"#)))  // integer
    #expect(!schema.validates(try JSONParser.parse(#"{"name": "x", "tags": [], "age": 200}"#)))  // maximum
    #expect(!schema.validates(try JSONParser.parse(#"{"name": "x", "tags": ["a", "b", "a"]}"#)))  // maxItems
    #expect(!schema.validates(try JSONParser.parse(#"{"name": "x", "tags": [], "extra": 1}"#)))  // additional
    #expect(!schema.validates(try JSONParser.parse(#"{"name": "", "tags": []}"#)))  // minLength
    let rule = JSONRule(schema: schema)
    #expect(rule.evaluate(candidate("```json\n{\"name\": \"x\", \"tags\": []}\n```")) == .score(1))
    #expect(rule.evaluate(candidate("{\"name\": ")) == .score(0))
    #expect(JSONRule().evaluate(candidate("[1, 2]")) == .score(1))
  }

  @Test func overlongPenaltyIsDAPOsSoftPunishment() {
    let rule = OverlongPenalty(maximumLength: 100, cacheLength: 20)
    #expect(rule.penalty(length: 80) == 0)
    #expect(rule.penalty(length: 90) == -0.5)
    #expect(rule.penalty(length: 100) == -1)
    #expect(rule.penalty(length: 1_000) == -1)
    let characters = OverlongPenalty(maximumLength: 10, cacheLength: 5, unit: .characters)
    #expect(characters.evaluate(candidate("abcdefgh")) == .score(-0.6))
    #expect(OverlongPenalty(maximumLength: 10, cacheLength: 5).evaluate(candidate("a b c d e f g h")) == .score(-0.6))
  }

  @Test func lengthNormalisedVariants() {
    #expect(LengthRule(mode: .targetRatio(target: 4)).evaluate(candidate("a b")) == .score(0.5))
    #expect(LengthRule(mode: .targetRatio(target: 4)).evaluate(candidate("a b c d e f")) == .score(1))
    #expect(LengthRule(mode: .referenceRatio).evaluate(candidate("a b c", reference: "a b c d")) == .score(0.75))
    #expect(LengthRule(mode: .referenceRatio).evaluate(candidate("a")) == .notApplicable("no reference"))
  }

  @Test(arguments: [
    ("The answer is (B).", "B"), ("Answer: C", "C"), ("I think **D** is right", "D"), ("B) because ...", "B"),
    ("After thinking, the final answer is: A", "A"), ("\\boxed{C}", "C"), ("(A)", "A"), ("answer is option D", "D"),
  ])
  func multipleChoiceLetters(response: String, letter: String) {
    #expect(MultipleChoiceRule().extractLetter(from: response) == Character(letter))
  }

  @Test func multipleChoiceScoresAgainstReference() {
    let rule = MultipleChoiceRule(letters: "ABCD")
    #expect(rule.evaluate(candidate("The answer is (B)", reference: "B")) == .score(1))
    #expect(rule.evaluate(candidate("The answer is (C)", reference: "(B)")) == .score(0))
    #expect(rule.evaluate(candidate("I am not sure", reference: "B")) == .score(0))
    #expect(rule.extractLetter(from: "The answer is (E)") == nil)
    // Letters are case-sensitive: "a" in prose is an article, not option A.
    #expect(rule.extractLetter(from: "The answer is a function of x.") == nil)
  }

  @Test func exactMatchNormalisesLikeSQuAD() {
    let rule = ExactMatchRule()
    #expect(rule.matches("The  Eiffel Tower!", "eiffel tower"))
    #expect(!rule.matches("Eiffel Towers", "eiffel tower"))
    var caseOnly = ExactMatchRule.Normalization.none
    caseOnly.ignoreCase = true
    #expect(ExactMatchRule(normalization: caseOnly).matches("Paris", "paris"))
    #expect(!ExactMatchRule(normalization: caseOnly).matches("Paris.", "paris"))
    #expect(ExactMatchRule(extractAnswer: true).matches("Thinking... \\boxed{Paris}", "paris"))
  }
}

@Suite struct NativeTrimmingTests {
  /// The math rules trim natively for speed; they must trim exactly what Foundation trims.
  @Test func trimsExactlyFoundationsWhitespaceSets() {
    for value in 0..<0x3100 {
      guard let scalar = Unicode.Scalar(value) else { continue }
      let text = "\(scalar)a\(scalar)"
      #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces), "U+\(String(value, radix: 16))")
      #expect(
        text.trimmingSpacesAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines),
        "U+\(String(value, radix: 16))")
    }
  }

  @Test func literalSearchAndReplaceAgreeWithFoundation() {
    let texts = ["", "$", "\\$5$", "a{,}b{,}", "\\dfrac\\dfrac12", "ééé", "x%%", "no match", "aaaa", "é\\pm1"]
    let needles = ["$", "\\$", "{,}", "\\dfrac", "é", "%", "aa", "\\pm"]
    for text in texts {
      for needle in needles {
        #expect(text.replacingLiteral(needle, with: "<>") == text.replacingOccurrences(of: needle, with: "<>"))
        #expect(text.containsLiteral(needle) == text.contains(needle), "\(needle) in \(text)")
        #expect(text.literalRange(of: needle) == text.range(of: needle), "\(needle) in \(text)")
      }
    }
  }

  @Test func answerPhrasesStillFoundAfterTheQuickCheck() {
    let extractor = MathAnswerExtractor(fallbackToLastNumber: false)
    #expect(extractor.extract(from: "So THE ANSWER IS 42.") == "42")
    #expect(extractor.extract(from: "Final answer: $x=3$") == "x=3")
    #expect(extractor.extract(from: "The anſwer is 7") == "7")  // ICU case folding, no ASCII shortcut
    #expect(extractor.extract(from: "no phrase here, 12") == nil)
    #expect(extractor.extract(from: "We get 5.\n#### 1,234 ") == "1,234")
  }
}
