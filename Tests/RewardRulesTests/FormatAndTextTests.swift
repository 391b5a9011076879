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
