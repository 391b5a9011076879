import Foundation
import RewardCore
import Testing

@testable import RewardRules

/// Checks on the real GSM8K and MATH-500 answers in `../shared/data/math`.
struct MathDataTests {
  @Test(.enabled(if: SharedData.exists("data/math")), arguments: ["gsm8k-train.jsonl", "gsm8k-test.jsonl"])
  func gsm8kSolutionsVerifyAgainstTheirOwnAnswers(file: String) throws {
    let rule = MathAnswerRule(extractor: MathAnswerExtractor(fallbackToLastNumber: false))
    var failures: [String] = []
    let records = try SharedData.jsonLines("data/math/\(file)")
    for record in records {
      let solution = record["answer"]!.stringValue!
      let gold = String(solution[solution.range(of: "####")!.upperBound...]).trimmingCharacters(in: .whitespaces)
      if rule.verdict(response: solution, reference: gold) != .equivalent { failures.append(gold) }
      // The same solution against a different number must fail.
      let wrong = String((Double(gold.replacingOccurrences(of: ",", with: "")) ?? 0) + 1)
      if rule.verdict(response: solution, reference: wrong) == .equivalent { failures.append("wrong \(wrong)") }
    }
    #expect(records.count > 1_000)
    #expect(failures.isEmpty, "\(failures.prefix(10))")
  }

  @Test(.enabled(if: SharedData.exists("data/math")))
  func math500AnswersMatchRewrittenFormsAndNotPerturbedOnes() throws {
    let verifier = MathVerifier()
    let rule = MathAnswerRule()
    var failures: [String] = []
    let records = try SharedData.jsonLines("data/math/math500.jsonl")
    for record in records {
      let answer = record["answer"]!.stringValue!
      for form in EquivalentForms.rewrites(of: answer) where verifier.compare(form, answer) != .equivalent {
        failures.append("\(answer)  ≠  \(form)")
      }
      let boxed = "We compute carefully.\n\nTherefore the answer is $\\boxed{\(answer)}$."
      if rule.verdict(response: boxed, reference: answer) != .equivalent { failures.append("boxed \(answer)") }
      if let wrong = EquivalentForms.perturbed(answer), verifier.compare(wrong, answer) == .equivalent {
        failures.append("\(answer)  =  perturbed \(wrong)")
      }
    }
    #expect(records.count == 500)
    #expect(failures.isEmpty, "\(failures.count) failures: \(failures.prefix(20).joined(separator: "\n"))")
  }
}

extension MathDataTests {
  /// MATH-500's worked `solution`s box their final answer, often written differently from the
  /// `answer` field (`\\dfrac` vs `\\frac`, units, spacing): each must verify against its answer.
  @Test(.enabled(if: SharedData.exists("data/math")))
  func math500SolutionsVerifyAgainstTheirAnswers() throws {
    let rule = MathAnswerRule(extractor: MathAnswerExtractor(fallbackToLastNumber: false))
    var failures: [String] = []
    for record in try SharedData.jsonLines("data/math/math500.jsonl") {
      let answer = record["answer"]!.stringValue!
      let solution = record["solution"]!.stringValue!
      if rule.verdict(response: solution, reference: answer) != .equivalent {
        failures.append("\(answer)  vs boxed  \(MathAnswerExtractor.lastBoxed(in: solution) ?? "none")")
      }
    }
    #expect(failures.isEmpty, "\(failures.count): \(failures.joined(separator: "\n"))")
  }

  /// AIME answers are zero-padded strings ("025"), AMC answers JSON numbers (27.0): a model's plain
  /// integer must match, and the next integer must not.
  @Test(.enabled(if: SharedData.exists("data/math")), arguments: ["aime24-test.jsonl", "amc23-test.jsonl"])
  func competitionAnswersMatchPlainIntegers(file: String) throws {
    let rule = MathAnswerRule()
    var failures: [String] = []
    for record in try SharedData.jsonLines("data/math/\(file)") {
      let reference: String
      switch record["answer"]! {
      case .string(let text): reference = text
      case let number: reference = number.jsonText
      }
      let value = Int(Double(reference)!)
      if rule.verdict(response: "So the answer is $\\boxed{\(value)}$.", reference: reference) != .equivalent {
        failures.append(reference)
      }
      if rule.verdict(response: "\\boxed{\(value + 1)}", reference: reference) == .equivalent {
        failures.append("wrong for \(reference)")
      }
    }
    #expect(failures.isEmpty, "\(failures)")
  }
}

/// Rewrites of a LaTeX answer that a grader must accept, and perturbations it must reject.
enum EquivalentForms {
  static func rewrites(of answer: String) -> [String] {
    var forms: [String] = []
    if answer.contains("\\frac") { forms.append(answer.replacingOccurrences(of: "\\frac", with: "\\dfrac")) }
    if answer.contains("\\dfrac") { forms.append(answer.replacingOccurrences(of: "\\dfrac", with: "\\frac")) }
    // Spaces after list commas (not thousands separators) and around plus signs.
    let spaced = answer.replacingOccurrences(of: #",(?!\d{3}(?!\d)|\\!)"#, with: ", ", options: .regularExpression)
    forms.append(" \(spaced.replacingOccurrences(of: "+", with: " + ")) ")
    forms.append("$\(answer)$")
    forms.append("\\boxed{\(answer)}")
    if let decimal = exactDecimal(of: answer) { forms.append(decimal) }
    if let reordered = reversedList(answer) { forms.append(reordered) }
    return forms
  }

  /// `\frac{a}{b}` (or `-\frac{a}{b}`) with integer a, b whose decimal expansion terminates.
  static func exactDecimal(of answer: String) -> String? {
    let pattern = try! NSRegularExpression(pattern: #"^(-?)\\d?frac\{(\d+)\}\{(\d+)\}$"#)
    guard let match = pattern.firstMatch(in: answer, range: NSRange(answer.startIndex..., in: answer)),
      let sign = Range(match.range(at: 1), in: answer), let n = Range(match.range(at: 2), in: answer),
      let d = Range(match.range(at: 3), in: answer), let numerator = Int(answer[n]), var denominator = Int(answer[d])
    else { return nil }
    let original = denominator
    for p in [2, 5] { while denominator % p == 0 { denominator /= p } }
    guard denominator == 1 else { return nil }
    let value = Double(numerator) / Double(original)
    return answer[sign] + String(format: "%.12g", value)
  }

  /// A bare list `a, b, c` (MATH writes sets of solutions this way) in reverse order.
  static func reversedList(_ answer: String) -> String? {
    guard !answer.contains("("), !answer.contains("["), !answer.contains("\\{"), !answer.contains("\\!"),
      !answer.contains("{,}")
    else {
      return nil
    }
    let parts = answer.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count > 1, parts.allSatisfy({ !$0.isEmpty && $0.count < 40 }) else { return nil }
    guard !parts.dropFirst().allSatisfy({ $0.count == 3 && $0.allSatisfy(\.isNumber) }) else { return nil }
    return parts.reversed().joined(separator: ", ")
  }

  /// The answer with its first digit changed (a near miss), or nil when it has no digit.
  static func perturbed(_ answer: String) -> String? {
    guard let index = answer.firstIndex(where: { $0.isASCII && $0.isNumber }) else { return nil }
    let digit = Int(String(answer[index]))!
    var copy = answer
    copy.replaceSubrange(index...index, with: String((digit + 1) % 10))
    return copy
  }
}
