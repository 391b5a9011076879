import Foundation
import RewardCore

/// The fixed workloads behind `BENCHMARKS.md` ("Rule rewards"), as library functions so the CLI can
/// expose them (`reward bench rules`) and `scripts/bench_rules.sh` can run them beside the Python
/// references on the very same items.
public enum RulesBenchmark {
  /// One math verification item: a model-style response and the reference answer.
  public struct MathItem: Sendable, Equatable {
    public var response: String
    public var reference: String
    /// What the item was built to be (`correct`, `rewritten`, `wrong`), for agreement reports.
    public var expectation: String
  }

  /// Model-style responses built deterministically from MATH-500 (`answer`, `solution`) and GSM8K
  /// (`answer` with its worked solution): each MATH answer boxed as written, boxed in an equivalent
  /// rewriting, and boxed with a perturbed (wrong) number; each MATH worked solution as written and
  /// with its boxed answer perturbed; each GSM8K solution as is, and with a wrong final number.
  public static func mathItems(math500: [JSONObject], gsm8k: [JSONObject]) -> [MathItem] {
    var items: [MathItem] = []
    for record in math500 {
      guard let answer = record["answer"]?.stringValue else { continue }
      let preamble = "Let us work through the problem step by step.\nAfter simplifying, we obtain the result.\n"
      items.append(
        MathItem(
          response: preamble + "The final answer is $\\boxed{\(answer)}$.", reference: answer, expectation: "correct"))
      items.append(
        MathItem(
          response: preamble + "So the answer is $\\boxed{\(rewrite(answer))}$.", reference: answer,
          expectation: "rewritten"))
      if let wrong = perturb(answer) {
        items.append(
          MathItem(response: preamble + "Therefore $\\boxed{\(wrong)}$.", reference: answer, expectation: "wrong"))
      }
      // The worked solution as written (its boxed answer is often formatted unlike `answer`), and
      // with its boxed answer perturbed.
      if let solution = record["solution"]?.stringValue, let boxed = MathAnswerExtractor.lastBoxed(in: solution) {
        items.append(MathItem(response: solution, reference: answer, expectation: "correct"))
        if let wrong = perturb(boxed), let range = solution.range(of: "\\boxed{\(boxed)}", options: .backwards) {
          var changed = solution
          changed.replaceSubrange(range, with: "\\boxed{\(wrong)}")
          items.append(MathItem(response: changed, reference: answer, expectation: "wrong"))
        }
      }
    }
    for record in gsm8k {
      guard let solution = record["answer"]?.stringValue, let marker = solution.range(of: "####") else { continue }
      let gold = solution[marker.upperBound...].trimmingCharacters(in: .whitespaces)
      items.append(MathItem(response: solution, reference: gold, expectation: "correct"))
      let wrongNumber = (Int(gold.replacingOccurrences(of: ",", with: "")) ?? 0) + 1
      items.append(
        MathItem(response: solution[..<marker.upperBound] + " \(wrongNumber)", reference: gold, expectation: "wrong"))
    }
    return items
  }

  /// An equivalent rewriting: `\dfrac` for `\frac`, a terminating decimal for a numeric fraction.
  static func rewrite(_ answer: String) -> String {
    let pattern = try! NSRegularExpression(pattern: #"^(-?)\\frac\{(\d+)\}\{(\d+)\}$"#)
    if let match = pattern.firstMatch(in: answer, range: NSRange(answer.startIndex..., in: answer)),
      let sign = Range(match.range(at: 1), in: answer), let n = Range(match.range(at: 2), in: answer),
      let d = Range(match.range(at: 3), in: answer), let numerator = Double(answer[n]), let denominator = Int(answer[d])
    {
      var rest = denominator
      for p in [2, 5] { while rest % p == 0 { rest /= p } }
      if rest == 1 { return answer[sign] + String(format: "%.12g", numerator / Double(denominator)) }
    }
    if answer.contains("\\frac") { return answer.replacingOccurrences(of: "\\frac", with: "\\dfrac") }
    // Spaces after list commas, but not inside thousands separators (`58,500`, `10,\!080`).
    return answer.replacingOccurrences(of: #",(?!\d{3}(?!\d)|\\!)"#, with: ", ", options: .regularExpression)
  }

  /// The answer with its first digit changed, or nil without digits.
  static func perturb(_ answer: String) -> String? {
    guard let index = answer.firstIndex(where: { $0.isASCII && $0.isNumber }) else { return nil }
    var copy = answer
    copy.replaceSubrange(index...index, with: String((Int(String(answer[index]))! + 1) % 10))
    return copy
  }

  /// Verdicts of `MathAnswerRule` on every item, computed on `workers` threads, and the wall time.
  public static func runMath(_ items: [MathItem], workers: Int) -> (verdicts: [Bool], seconds: Double) {
    let rule = MathAnswerRule()
    let result = timedParallelMap(items, workers: workers) {
      rule.verdict(response: $0.response, reference: $0.reference) == .equivalent
    }
    return (result.results, result.seconds)
  }

  /// Sentence BLEU and chrF of every pair on `workers` threads, and the wall time.
  public static func runOverlap(_ pairs: [(hypothesis: String, reference: String)], workers: Int)
    -> (scores: [(bleu: Double, chrf: Double)], seconds: Double)
  {
    let bleu = BLEU()
    let chrf = ChrF()
    let result = timedParallelMap(pairs, workers: workers) { pair in
      (
        bleu.sentenceScore(hypothesis: pair.hypothesis, reference: pair.reference),
        chrf.sentenceScore(hypothesis: pair.hypothesis, reference: pair.reference)
      )
    }
    return (result.results.map { (bleu: $0.0, chrf: $0.1) }, result.seconds)
  }

  /// Maps `transform` over `items` in `workers` contiguous chunks on their own threads.
  static func timedParallelMap<T: Sendable, R: Sendable>(
    _ items: [T], workers: Int, _ transform: @escaping @Sendable (T) -> R
  ) -> (results: [R], seconds: Double) {
    let workers = max(1, min(workers, items.count))
    let results = ResultBox<R>(count: items.count)
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let chunk = (items.count + workers - 1) / workers
      let range = (worker * chunk)..<min(items.count, (worker + 1) * chunk)
      var local: [R] = []
      local.reserveCapacity(range.count)
      for index in range { local.append(transform(items[index])) }
      results.store(local, at: range.lowerBound)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return (results.values.map { $0! }, seconds)
  }
}

/// Results written by worker threads into disjoint ranges, under a lock.
private final class ResultBox<R>: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var values: [R?]

  init(count: Int) { values = Array(repeating: nil, count: count) }

  func store(_ chunk: [R], at offset: Int) {
    lock.lock()
    defer { lock.unlock() }
    for (k, value) in chunk.enumerated() { values[offset + k] = value }
  }
}
