import Foundation
import RewardCore
import Testing

@testable import RewardRules

struct MathAnswerTests {
  let verifier = MathVerifier()

  @Test(arguments: [
    ("So the answer is \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}"),
    ("\\boxed{a} then \\fbox{\\{1, 2\\}}", "\\{1, 2\\}"),
    ("\\boxed{\\frac{\\sqrt{3}}{2}} and more text", "\\frac{\\sqrt{3}}{2}"),
    ("She has 5 + 3 = 8 apples.\n#### 8", "8"),
    ("Thus the final answer is $42$. I hope it is correct.", "42"),
    ("The answer is 3.5.", "3.5"),
    ("Answer: -7", "-7"),
    ("So the answer is 12 because 3 times 4 is 12.", "12"),
    ("The answer is $\\frac{1}{2}$, since half remain.", "\\frac{1}{2}"),
    ("we get 12 and then 1,234 items", "1,234"),
  ])
  func extractsTheFinalAnswer(response: String, expected: String) {
    #expect(MathAnswerExtractor().extract(from: response) == expected)
  }

  @Test func referenceMayBeAWorkedSolution() {
    let solution = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nAltogether 48+24 = <<48+24=72>>72 clips.\n#### 72"
    #expect(MathAnswerRule().verdict(response: "She sold $\\boxed{72}$ clips.", reference: solution) == .equivalent)
    #expect(MathAnswerRule().verdict(response: "She sold $\\boxed{24}$ clips.", reference: solution) == .notEquivalent)
    #expect(MathAnswerRule().verdict(response: "The answer is 72 apples.", reference: "72") == .equivalent)
  }

  @Test func lastNumberFallbackIsConfigurable() {
    #expect(MathAnswerExtractor(fallbackToLastNumber: false).extract(from: "it is 12") == nil)
    #expect(MathAnswerExtractor(fallbackToLastNumber: true).extract(from: "it is 12") == "12")
  }

  @Test(arguments: [
    ("\\dfrac{1}{2}", "0.5"), ("\\frac12", "\\tfrac{1}{2}"), ("50\\%", "50"), ("50\\%", "0.5"),
    ("90^\\circ", "90"), ("\\$1,000", "1000"), ("10,\\!080", "10080"), ("5.0", "5"), ("x = 5", "5"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\pi/2)"), ("\\{1, 2, 3\\}", "\\{3,1,2\\}"), ("1,-2", "-2, 1"),
    ("2\\sqrt{2}", "\\sqrt{8}"), ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"), ("2\\pi", "\\pi+\\pi"),
    ("x^2+2x+1", "(x+1)^2"), ("(a+5)(b+2)", "ab+2a+5b+10"), ("1\\frac{4}{5}", "9/5"),
    ("5.4 \\text{ cents}", "5.4"), ("864 \\mbox{ inches}^2", "864"), ("\\text{(C)}", "C"), ("(3,4]", "(3, 4]"),
    ("1 \\pm \\sqrt{19}", "\\{1-\\sqrt{19}, 1+\\sqrt{19}\\}"), ("y = 2x + 3", "y=3+2x"), ("\\sqrt[3]{-8}", "-2"),
    ("5x - 7y + 11z + 4 = 0", "-5x + 7y - 11z - 4 = 0"), ("\\text{Evelyn}", "evelyn"), ("\\binom{5}{2}", "10"),
    ("\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix}", "\\begin{pmatrix} -\\frac13 \\\\ \\frac{2}{3} \\end{pmatrix}"),
    ("(-\\infty, 0]", "(-\\infty,0]"), ("(0,9) \\cup (9,36)", "(9,36)\\cup(0,9)"), ("\\log_2 8", "3"),
    ("3.83e35", "3.83 \\times 10^{35}"), ("1e-5", "10^{-5}"), ("-1./3", "-\\frac{1}{3}"), ("025", "25"),
  ])
  func equivalentForms(answer: String, reference: String) {
    #expect(verifier.compare(answer, reference) == .equivalent, "\(answer) vs \(reference)")
  }

  @Test(arguments: [
    ("\\frac{1}{3}", "0.33"), ("(1,2)", "(2,1)"), ("[3,4]", "(3,4]"), ("x^2+1", "(x+1)^2"), ("\\pi", "3.14"),
    ("\\text{Evelyn}", "\\text{Evenly}"), ("52_8", "42"), ("\\{1,2\\}", "\\{1,2,3\\}"), ("2\\sqrt{2}", "\\sqrt{2}"),
    ("10^{10^{10^{10}}}", "10^{10^{10^{11}}}"), ("\\infty", "10^{400}"), ("3", "-3"), ("ab", "a+b"),
  ])
  func differentAnswers(answer: String, reference: String) {
    #expect(verifier.compare(answer, reference) != .equivalent, "\(answer) vs \(reference)")
  }

  @Test func adversarialInputsFinishQuickly() {
    let clock = ContinuousClock()
    let nested = String(repeating: "{", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
    let megabyte = String(repeating: "1+", count: 500_000) + "1"
    let tower = Array(repeating: "10", count: 200).joined(separator: "^")
    let rule = MathAnswerRule()
    let started = clock.now
    #expect(rule.verdict(response: "\\boxed{\(nested)}", reference: "1") != .equivalent)
    #expect(rule.verdict(response: "\\boxed{\(megabyte)}", reference: "500001") != .equivalent)
    #expect(verifier.compare(tower, "10") == .notEquivalent)
    #expect(verifier.compare("10^10^10^10", "10^10^10^10 + 1") == .notEquivalent)
    #expect(verifier.compare(String(repeating: "(", count: 5_000), "1") != .equivalent)
    #expect(verifier.compare("\\frac{" + String(repeating: "\\sqrt{", count: 3_000), "1") != .equivalent)
    // Within the length budget, nesting and token caps turn deep input into text, then "not equivalent".
    let deep = String(repeating: "(", count: 400) + "1" + String(repeating: ")", count: 400)
    #expect(verifier.compare(deep, "2") == .notEquivalent)
    #expect(verifier.compare(String(repeating: "x+", count: 300) + "x", "301x") == .notEquivalent)
    #expect(verifier.compare("171!", "172!") == .notEquivalent)
    #expect(clock.now - started < .seconds(5))
  }

  @Test func timeBudgetTurnsSlowComparisonsIntoUnparseable() {
    var options = MathVerifier.Options()
    options.timeBudget = .zero
    #expect(MathVerifier(options: options).compare("x+1", "1+x") == .unparseable("time budget of 0.0 seconds exceeded"))
    #expect(MathVerifier(options: options).compare("1/2", "1/2") == .equivalent)  // identical text needs no work
  }

  @Test func ruleIsNotApplicableWithoutReference() {
    let rule = MathAnswerRule()
    #expect(rule.evaluate(Candidate(prompt: [], response: "\\boxed{1}")) == .notApplicable("no reference answer"))
    #expect(rule.evaluate(Candidate(prompt: [], response: "\\boxed{1}", reference: "1")) == .score(1))
    #expect(rule.evaluate(Candidate(prompt: [], response: "\\boxed{2}", reference: "1")) == .score(0))
  }
}
