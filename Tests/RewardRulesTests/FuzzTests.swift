import Foundation
import RewardCore
import Testing

@testable import RewardRules

/// Seeded random inputs built from LaTeX and JSON fragments: every parser and rule must return
/// (never trap), and give the same verdict twice.
struct FuzzTests {
  static let latex = [
    "\\frac", "{", "}", "(", ")", "^", "_", "\\sqrt", "[", "]", "1", "23", ".", "x", "-", "+", "\\pm", ",", "\\{",
    "\\}", "=", "\\text{", "e", "!", "\\cup", "\\infty", "\\left(", "\\right)", " ", "%", "^\\circ", "$", "\\boxed{",
    "####", "|", "\\begin{pmatrix}", "&", "\\\\", "\\end{pmatrix}", "\\pi", "0", "9.5", "\\dfrac", "\\log_", "\\sin",
    "1e", "\\binom", "π", "é", "\\", "\\,", "\\!", "{,}", "y", "\\le", "52_8", "\\cdot", "/", "*",
  ]
  static let calls = [
    "[", "]", "(", ")", "{", "}", "f", "math.g", "=", "a", "'x'", "\"y\"", ",", "1", "-2.5", "True", "None", ":", " ",
    "<tool_call>", "</tool_call>", "\n", "{\"name\": \"f\", \"parameters\": ", "\\", "'",
  ]

  static func random(_ fragments: [String], _ generator: inout SeededGenerator) -> String {
    (0..<(1 + generator.nextIndex(below: 30))).map { _ in fragments[generator.nextIndex(below: fragments.count)] }
      .joined()
  }

  @Test func mathNeverTrapsAndIsDeterministic() {
    var generator = SeededGenerator(seed: 42)
    // The wall-clock budget is a backstop whose verdict ("unparseable") depends on how busy the
    // machine is; determinism is checked with it out of the way.
    var options = MathVerifier.Options()
    options.timeBudget = .seconds(60)
    let rule = MathAnswerRule(verifier: MathVerifier(options: options))
    for _ in 0..<3_000 {
      let a = Self.random(Self.latex, &generator)
      let b = Self.random(Self.latex, &generator)
      let first = rule.verdict(response: a, reference: b)
      #expect(rule.verdict(response: a, reference: b) == first)
      #expect(
        MathVerifier(options: options).compare(a, a) == .equivalent || a.trimmingCharacters(in: .whitespaces).isEmpty)
    }
  }

  @Test func toolParsersNeverTrap() {
    var generator = SeededGenerator(seed: 7)
    let gold: JSONValue = [["f": ["a": [1, ""]]]]
    for _ in 0..<3_000 {
      let text = Self.random(Self.calls, &generator)
      _ = PythonCallParser.parse(text)
      _ = ToolCallParser.parse(text)
      _ = BFCLChecker().evaluate(Candidate(prompt: [], response: text, metadata: JSONObject([("ground_truth", gold)])))
      _ = ToolRLReward().score(response: text, gold: "<think></think>\n<tool_call>\n{\"name\": \"f\"}\n</tool_call>")
      _ = SacreBLEUTokenizer13a.tokenize(text)
    }
  }
}
