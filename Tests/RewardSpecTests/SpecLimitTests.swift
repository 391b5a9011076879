import Foundation
import RewardCore
import RewardRules
import Testing

@testable import RewardSpec

/// Budgets and validation of issue 16 (points 1, 6, 11, 12, 16 and 17): every user-supplied
/// document, pattern and value is bounded, and bad values fail at load with a located message.
struct SpecLimitTests {
  func loadError(_ text: String) -> SpecError? {
    do {
      _ = try RewardSpecLoader.load(text: text, file: "spec.yaml")
      return nil
    } catch {
      return error
    }
  }

  func expectError(
    _ text: String, path: String, _ fragment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
  ) {
    guard let error = loadError(text) else {
      Issue.record("expected an error at \(path)", sourceLocation: sourceLocation)
      return
    }
    #expect(error.file == "spec.yaml", sourceLocation: sourceLocation)
    #expect(error.path == path, sourceLocation: sourceLocation)
    #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
  }

  @Test func zeroOrNegativeEpsilonIsRejected() {
    expectError(
      "components: [{kind: length, target: 3}]\nnormalize: {epsilon: 0}\n", path: "normalize.epsilon", "greater than 0")
    expectError(
      "components: [{kind: length, target: 3}]\nnormalize: {method: group, epsilon: -1}\n", path: "normalize.epsilon",
      "greater than 0")
    expectError(
      "components: [{kind: length, target: 3}]\nnormalize: {epsilon: .nan}\n", path: "normalize.epsilon",
      "expected a finite number, found NaN")
  }

  @Test func anAllEqualGroupNormalizesToZeroNotNaN() async throws {
    let model = try RewardSpecLoader.load(
      text: "components: [{kind: length, target: 3, unit: characters}]\nnormalize: group\n")
    let candidates = (0..<4).map { _ in Candidate(prompt: [], response: "abc", group: "g") }
    let rewards = try await model.score(candidates)
    #expect(rewards.map(\.value) == [0, 0, 0, 0])
  }

  @Test func nonFiniteNumbersSayWhichOne() {
    expectError(
      "components: [{kind: math, weight: .nan}]\n", path: "components[0].weight", "expected a finite number, found NaN")
    expectError("components: [{kind: math, weight: .inf}]\n", path: "components[0].weight", "found infinity")
    expectError("components: [{kind: math, correct: -.inf}]\n", path: "components[0].correct", "found -infinity")
  }

  @Test func longValuesAreExcerptedInMessages() {
    let long = String(repeating: "9", count: 100_000)
    for text in [
      "components: [{kind: \"\(long)\"}]\n", "components: [{kind: format, pattern: \"(\(long)\"}]\n",
      "components: [{kind: math, \(long): 1}]\n", "components: [{kind: length, target: 3, unit: \"\(long)\"}]\n",
      "components: [{kind: math, weight: \(long)}]\n",
    ] {
      guard let error = loadError(text) else {
        Issue.record("expected an error")
        continue
      }
      #expect(error.description.count < 1_000, "\(error.description.prefix(1_000))")
      #expect(error.description.contains("characters)") || error.description.contains("found infinity"))
    }
  }

  @Test func outOfRangeNumbersInJSONAreExcerpted() {
    let text = "{\"components\": [{\"kind\": \"math\", \"weight\": 1\(String(repeating: "0", count: 100_000))}]}"
    guard let error = loadError(text) else {
      Issue.record("expected an error")
      return
    }
    #expect(error.message.contains("out of range"))
    #expect(error.message.contains("(100001 characters)"))
    #expect(error.description.count < 300)
  }

  @Test func aliasBombIsStoppedAtTheValueLimit() {
    // Nine levels of ten aliases: 10⁹ values once expanded (2.35 GB and climbing before).
    var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in 1...9 {
      let previous = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
      lines.append("a\(level): &a\(level) [\(previous)]")
    }
    lines.append("components: [{kind: math}]")
    let error = loadError(lines.joined(separator: "\n"))
    #expect(
      error?.message.contains("more than \(SpecLimits.maximumValues) values once YAML aliases are expanded") == true)
  }

  @Test func aFewAliasesStillWork() throws {
    let text = """
      defaults: &strict {kind: tags, tags: [think, answer], strict: true}
      components:
        - *strict
      """
    // `defaults` is not a spec key: the alias expanded, and the loader reached the key check.
    #expect(loadError(text)?.message.contains("unknown key") == true)
  }

  @Test func oversizedDocumentsAreRejectedBeforeParsing() {
    let text = "components: [{kind: math}]\n#" + String(repeating: "x", count: SpecLimits.maximumDocumentBytes)
    expectError(text, path: "", "over the limit of \(SpecLimits.maximumDocumentBytes)")
  }

  @Test func deepNestingIsRejectedWithoutCrashing() {
    for text in [
      String(repeating: "[", count: 200_000), "{\"components\": " + String(repeating: "[", count: 100_000) + "}",
      "components: " + String(repeating: "[", count: 500) + String(repeating: "]", count: 500),
      "{\"components\": " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}",
    ] {
      #expect(loadError(text)?.message.lowercased().contains("nest") == true)
    }
    let block = (0..<100).map { String(repeating: " ", count: $0) + "- " }.joined(separator: "\n") + "x"
    #expect(loadError("components:\n" + block) != nil)
    #expect(loadError("components: " + String(repeating: "- ", count: 50_000) + "x") != nil)
  }

  @Test func tooManyComponentsAreRejected() throws {
    let many = (0...SpecLimits.maximumComponents).map { "  - {kind: length, target: 3, name: c\($0)}" }
    expectError("components:\n" + many.joined(separator: "\n"), path: "components", "over the limit of 1000")
    let allowed = try RewardSpecLoader.load(text: "components:\n" + many.dropLast().joined(separator: "\n"))
    #expect(allowed.spec.components.count == SpecLimits.maximumComponents)
  }

  @Test func mathTakesItsDocumentedTimeBudget() throws {
    let model = try RewardSpecLoader.load(text: "components: [{kind: math, time_budget_ms: 250}]\n")
    let rule = try #require((model.spec.components[0].scorer as? RuleComponent)?.rule as? MathAnswerRule)
    #expect(rule.verifier.options.timeBudget == .milliseconds(250))
    expectError(
      "components: [{kind: math, time_budget_ms: 0}]\n", path: "components[0].time_budget_ms", "between 1 and")
  }

  @Test func formatPatternsHaveAStepBudget() async throws {
    let model = try RewardSpecLoader.load(
      text: "components: [{kind: format, pattern: \"(a+)+$\", budget_steps: 2}]\nnot_applicable: zero\n")
    let rewards = try await model.score([Candidate(prompt: [], response: String(repeating: "a", count: 100) + "b")])
    #expect(rewards[0].value == 0)
    #expect(rewards[0].rationale?.contains("match budget of 2 steps") == true)
    expectError(
      "components: [{kind: format, pattern: x, budget_steps: 0}]\n", path: "components[0].budget_steps", "between 1 and"
    )
  }

  @Test func ruleInputsAreCappedInSize() async throws {
    let component = RuleComponent(ExactMatchRule(), maximumInputBytes: 1_000)
    let verdicts = try await component.evaluate([
      Candidate(prompt: [], response: String(repeating: "x", count: 1_001), reference: "x"),
      Candidate(prompt: [], response: "x", reference: String(repeating: "x", count: 1_001)),
      Candidate(prompt: [], response: "x", reference: "x"),
    ])
    #expect(verdicts[0] == .notApplicable("the response is 1001 bytes, over the 1000-byte limit for rules"))
    #expect(verdicts[1] == .notApplicable("the reference is 1001 bytes, over the 1000-byte limit for rules"))
    #expect(verdicts[2] == .score(1))
  }
}

/// Spec files go through the same bounded reader as judge files and server configs: limits hold
/// when the spec is read from a file, and errors carry the line.
struct SpecFileLimitTests {
  func write(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString).yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func loadError(path: String) -> SpecError? {
    do {
      _ = try RewardSpecLoader.load(path: path)
      return nil
    } catch {
      return error
    }
  }

  @Test func anAliasBombInASpecFileIsLocated() throws {
    var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in 1...9 {
      lines.append("a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", "))]")
    }
    let path = try write(lines.joined(separator: "\n") + "\ncomponents: [{kind: math}]")
    let error = try #require(loadError(path: path))
    #expect(error.file == path)
    #expect(error.path.hasPrefix("a"))
    #expect(error.message.contains("the spec holds more than 100000 values once YAML aliases are expanded (line "))
  }

  @Test func aHugeSpecFileIsRejectedBeforeItIsRead() throws {
    let path = try write(
      "components: [{kind: math}]\n#" + String(repeating: "x", count: SpecLimits.maximumDocumentBytes))
    let error = try #require(loadError(path: path))
    #expect(error.file == path)
    #expect(error.message.contains("over the limit of \(SpecLimits.maximumDocumentBytes)"))
  }

  @Test func deepNestingInASpecFileNamesTheKeyAndLine() throws {
    let path = try write(
      "components:\n  - kind: math\n    extra: " + String(repeating: "[", count: 80) + String(repeating: "]", count: 80)
    )
    let error = try #require(loadError(path: path))
    #expect(error.path.hasPrefix("components[0].extra"))
    #expect(error.message.contains("nested more than 64 levels (line 3, column "))
  }
}
