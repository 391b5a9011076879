import Foundation
import RewardCore
import Testing

@testable import RewardRules

/// The arithmetic step checker on hand-written steps and on real GSM8K and ProcessBench solutions.
struct StepCheckerTests {
  let checker = StepChecker()

  @Test(arguments: [
    "16 − 3 = 13 eggs are left.", "She makes 9 * 2 = $<<9*2=18>>18 every day.",
    "So \\(1/3 \\times 18 = 6\\) flamingos.",
    "In total $1,200 + $300 = $1,500.", "Each gets 10/3 = 3.33 pies.", "Two thirds is 2/3 = 0.66 of it.",
    "2^10 = 1024 ways", "\\(\\frac{1}{2} + \\frac{1}{4} = \\frac{3}{4} = 0.75\\)", "20/80 × 100 = 25%",
    "15 pages x 1/3 = 5 pages", "18 pink - 6 = 12 pink", "16 feet * 2 = 32 feet", "3 times 4 = 12",
    "$3/2 = $1.50+$3.00=$4.50", "32 x (30/60) = 16", "He runs 3 x 4 = 12 miles (3 + 4 = 7).", "\\[ 5! = 120 \\]",
    "about 22/7 ≈ 3.14",
    "\\( 12 \\text{ apples} \\times 2 = 24 \\text{ apples} \\)", "\\(\\sqrt{16} = 4\\).",
  ])
  func trueArithmeticIsVerified(step: String) {
    let verdict = checker.verdict(step)
    guard case .verified = verdict else {
      Issue.record("\(step): \(verdict)")
      return
    }
  }

  @Test(arguments: [
    ("16 - 3 = 12 eggs", "16 - 3", "12"), ("<<48/2=23>>23 clips", "48/2", "23"),
    ("so 2 + 3 = 5 = 6 in all", "5", "6"), ("\\(18 - 6 = 11\\)", "18 - 6", "11"),
    ("$1,200 + $300 = $1,600", "1200 + 300", "1600"), ("60 elves / 3 = 21 elves", "60 / 3", "21"),
    ("2^10 = 1000", "2^(10)", "1000"),
  ])
  func falseArithmeticIsRefutedAtTheFalseClaim(step: String, left: String, right: String) {
    guard case .refuted(let claim) = checker.verdict(step) else {
      Issue.record("\(step) was not refuted")
      return
    }
    #expect(claim.left == left)
    #expect(claim.right == right)
  }

  @Test(arguments: [
    "We need to find how many eggs remain.", "x + 2 = 5, so x = 3", "the apples + 3 = 8 left over",
    "Let n = 12", "1 hour = 60 minutes", "Step 2: 3 = 3", "12 = 3 * y", "area = 12cm", "0.25 = 25%",
  ])
  func stepsWithNothingCheckableAreNeutral(step: String) {
    #expect(checker.verdict(step) == .neutral, "\(step): \(checker.verdict(step))")
  }

  @Test func firstFalseStepIsThePredictedError() {
    let steps = ["There are 3 + 4 = 7 cats.", "Nothing to check here.", "Then 7 * 2 = 15.", "And 15 - 1 = 13."]
    #expect(checker.firstError(steps) == 2)
    #expect(checker.firstError(Array(steps.prefix(2))) == -1)
  }

  @Test func modelGivesStepScoresWithOffsetsAndAggregates() async throws {
    let response = "First 2 + 2 = 4.\n\nThen we think.\n\nSo 4 * 3 = 13."
    let model = StepCheckModel(aggregation: .min, neutralScore: 0.5)
    let reward = try await model.score([Candidate(prompt: [.user("q")], response: response)])[0]
    let steps = try #require(reward.steps)
    #expect(steps.map { $0.score } == [1, 0.5, 0])
    #expect(reward.value == 0)
    let scalars = Array(response.unicodeScalars)
    #expect(String(String.UnicodeScalarView(scalars[steps[2].start..<steps[2].end])) == "So 4 * 3 = 13.")
    #expect(reward.rationale?.hasPrefix("step 2:") == true)
    let rule = StepCheckRule()
    #expect(rule.evaluate(Candidate(prompt: [.user("q")], response: response)) == .score(0))
    #expect(rule.evaluate(Candidate(prompt: [.user("q")], response: "no numbers")).value == nil)
  }

  /// Every gold GSM8K solution (test split) passes: annotations and the prose around them.
  @Test(.enabled(if: SharedData.exists("data/math/gsm8k-test.jsonl")))
  func goldGSM8KSolutionsPass() throws {
    var failures: [String] = []
    var checked = 0
    for record in try SharedData.jsonLines("data/math/gsm8k-test.jsonl") {
      let lines = Self.solutionLines(record)
      for line in lines {
        let claims = checker.claims(in: line)
        checked += claims.count
        if let bad = claims.first(where: { !$0.holds }) { failures.append("\(line)  [\(bad.left) = \(bad.right)]") }
      }
    }
    #expect(checked > 5_000)
    // The only two claims that fail are real slips in the GSM8K text (the annotations are right):
    // "364 / 4 = 273" for 3/4 × 364, and "$32 - $20 = $300" for $12.
    #expect(failures.count == 2, "\(failures.count) false alarms: \(failures.prefix(5))")
    #expect(failures.allSatisfy { $0.contains("364 / 4 = <<3/4*364=273>>273") || $0.contains("$32 - $20 = $300") })
  }

  /// A perturbed result in the prose (annotations removed) is caught at exactly that line.
  @Test(.enabled(if: SharedData.exists("data/math/gsm8k-test.jsonl")))
  func perturbedGSM8KResultIsCaughtAtItsStep() throws {
    let annotation = try NSRegularExpression(pattern: "<<[^<>]*>>")
    var tried = 0
    var missed: [String] = []
    for record in try SharedData.jsonLines("data/math/gsm8k-test.jsonl") {
      let lines = Self.solutionLines(record).map {
        annotation.stringByReplacingMatches(in: $0, range: NSRange($0.startIndex..., in: $0), withTemplate: "")
      }
      // The last line whose text states `expression = integer`: bump the integer by one.
      guard
        let k = lines.lastIndex(where: { $0.range(of: "[0-9)] *= *\\$?[0-9]+", options: .regularExpression) != nil }),
        let range = lines[k].range(of: "(?<== )\\$?[0-9]+(?![0-9.,])", options: .regularExpression)
      else { continue }
      let number = lines[k][range].filter(\.isNumber)
      var perturbed = lines
      perturbed[k].replaceSubrange(range, with: String(Int(number)! + 1))
      tried += 1
      if checker.firstError(perturbed) != k { missed.append(perturbed[k]) }
    }
    // Misses are lines whose arithmetic is not checkable: variables ("8r + 10 = 43"), units
    // glued to numbers ("$1000/month * .5"), mixed numbers, spaced thousands ("$409 500").
    #expect(tried > 700)
    #expect(Double(missed.count) < 0.05 * Double(tried), "\(missed.count) of \(tried) missed: \(missed.prefix(20))")
  }

  static func solutionLines(_ record: JSONObject) -> [String] {
    let solution = record["answer"]?.stringValue ?? ""
    let body = solution.components(separatedBy: "####")[0]
    return body.split(separator: "\n").map(String.init)
  }
}
