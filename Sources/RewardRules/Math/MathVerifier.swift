import Foundation
import RewardCore

/// The outcome of comparing a final answer with a reference.
public enum MathVerdict: Sendable, Equatable {
  case equivalent
  case notEquivalent
  /// No answer could be found or read within the budget (too long, no final answer).
  case unparseable(String)
}

/// Decides whether two final answers are mathematically the same. Pure and deterministic: random
/// evaluation points come from a fixed seed, so the same pair always gets the same verdict.
///
/// Budget: answers longer than `maximumAnswerLength` characters are compared as exact text only;
/// expressions are capped in tokens and nesting, and every step is linear in the (capped) size, so
/// a verdict takes microseconds to milliseconds whatever the input.
public struct MathVerifier: Sendable {
  public struct Options: Sendable, Equatable {
    public var relativeTolerance: Double = 1e-9
    public var absoluteTolerance: Double = 1e-9
    public var maximumAnswerLength: Int = 1_000
    public var maximumTokens: Int = 400
    public var randomPoints: Int = 5
    /// Wall-clock budget per comparison, a backstop behind the size caps: past it the verdict is
    /// "unparseable" (never a guess).
    public var timeBudget: Duration = .milliseconds(100)
    public var seed: UInt64 = 0x5EED_3A7F
    public init() {}
  }

  public var options: Options

  public init(options: Options = Options()) {
    self.options = options
  }

  /// Compares two answers already extracted from their texts.
  public func compare(_ answer: String, _ reference: String) -> MathVerdict {
    let budget = Budget(deadline: ContinuousClock.now + options.timeBudget)
    let left = answer.trimmingSpacesAndNewlines()
    let right = reference.trimmingSpacesAndNewlines()
    if left.isEmpty { return .unparseable("empty answer") }
    if left == right { return .equivalent }
    guard left.utf8.count <= options.maximumAnswerLength, right.utf8.count <= options.maximumAnswerLength else {
      return .unparseable("answer longer than \(options.maximumAnswerLength) characters")
    }
    let a = MathNormalizer.normalize(left)
    let b = MathNormalizer.normalize(right)
    if a.text.isEmpty { return .unparseable("empty answer after normalisation") }
    if compact(a.text) == compact(b.text) { return .equivalent }
    let readA = MathAnswer.read(a.text, maximumTokens: options.maximumTokens)
    let readB = MathAnswer.read(b.text, maximumTokens: options.maximumTokens)
    if equivalent(readA, readB, percentScale: 1, budget) { return .equivalent }
    // "50%" against 0.5: accept the percentage read either way.
    if a.hadPercent != b.hadPercent {
      let scale = a.hadPercent ? 0.01 : 100
      if equivalent(readA, readB, percentScale: scale, budget) { return .equivalent }
    }
    return budget.expired ? .unparseable("time budget of \(options.timeBudget) exceeded") : .notEquivalent
  }

  private func compact(_ s: String) -> String {
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: s.unicodeScalars.lazy.filter { $0 != " " })
    return String(scalars).lowercased()
  }

  func equivalent(_ a: MathAnswer, _ b: MathAnswer, percentScale: Double, _ budget: Budget) -> Bool {
    if budget.expired { return false }
    switch (a, b) {
    case (.expression(let x, _), .expression(let y, _)):
      return expressionsEqual(x, y, scale: percentScale, budget)
    case (.ordered(let openA, let closeA, let itemsA), .ordered(let openB, let closeB, let itemsB)):
      return openA == openB && closeA == closeB && itemsA.count == itemsB.count
        && zip(itemsA, itemsB).allSatisfy { equivalent($0, $1, percentScale: 1, budget) }
    case (.unordered(let itemsA), .unordered(let itemsB)):
      guard itemsA.count == itemsB.count else { return false }
      var unmatched = itemsB
      for item in itemsA {
        guard let index = unmatched.firstIndex(where: { equivalent(item, $0, percentScale: 1, budget) }) else {
          return false
        }
        unmatched.remove(at: index)
      }
      return true
    case (.unordered(let items), _) where items.count == 1:
      return equivalent(items[0], b, percentScale: percentScale, budget)
    case (_, .unordered(let items)) where items.count == 1:
      return equivalent(a, items[0], percentScale: percentScale, budget)
    case (.equation(let lhsA, let rhsA, _), .equation(let lhsB, let rhsB, _)):
      if expressionsEqual(lhsA, lhsB, scale: 1, budget) && expressionsEqual(rhsA, rhsB, scale: 1, budget) {
        return true
      }
      if expressionsEqual(lhsA, rhsB, scale: 1, budget) && expressionsEqual(rhsA, lhsB, scale: 1, budget) {
        return true
      }
      // ax + by = c against -ax - by = -c: the same equation, sides moved or negated.
      let differenceA = MathExpression.sum([lhsA, .negate(rhsA)])
      let differenceB = MathExpression.sum([lhsB, .negate(rhsB)])
      return expressionsEqual(differenceA, differenceB, scale: 1, budget)
        || expressionsEqual(differenceA, .negate(differenceB), scale: 1, budget)
    case (.text(let x), .text(let y)):
      return compact(x) == compact(y)
    default:
      return false
    }
  }

  /// Numbers compare with tolerance; expressions with variables compare at seeded random points.
  /// Values that are not finite (∞, 10^10^10^10) compare only as identical expression trees.
  func expressionsEqual(_ x: MathExpression, _ y: MathExpression, scale: Double, _ budget: Budget) -> Bool {
    if x == y && scale == 1 { return true }
    let variables = Array(Set(x.variables).union(y.variables)).sorted()
    if variables.isEmpty {
      let vx = x.evaluate([:]) * scale
      let vy = y.evaluate([:])
      return vx.isFinite && vy.isFinite && close(vx, vy)
    }
    var hasher = StableHasher(seed: options.seed)
    for name in variables { hasher.combine(name) }
    var generator = SeededGenerator(seed: hasher.finalized)
    var agreed = 0
    for _ in 0..<options.randomPoints where !budget.expired {
      var environment: [String: Double] = [:]
      // Positive, non-integer points keep roots and logs real and avoid accidental coincidences.
      for name in variables { environment[name] = 0.5 + 2 * generator.nextUnit() }
      let vx = x.evaluate(environment) * scale
      let vy = y.evaluate(environment)
      if vx.isNaN && vy.isNaN { continue }
      guard vx.isFinite, vy.isFinite, close(vx, vy) else { return false }
      agreed += 1
    }
    return agreed >= 2
  }

  private func close(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) <= max(options.absoluteTolerance, options.relativeTolerance * max(abs(a), abs(b)))
  }
}

/// A deadline shared by one comparison's recursive steps; once past, every step answers "no".
final class Budget {
  let deadline: ContinuousClock.Instant
  private(set) var hasExpired = false

  init(deadline: ContinuousClock.Instant) { self.deadline = deadline }

  var expired: Bool {
    if !hasExpired && ContinuousClock.now >= deadline { hasExpired = true }
    return hasExpired
  }
}

/// The math answer reward: 1 when the response's final answer is equivalent to the reference, else 0.
/// Items without a reference are "not applicable".
public struct MathAnswerRule: RewardRule {
  public var extractor: MathAnswerExtractor
  public var verifier: MathVerifier
  /// Reward for an equivalent answer, and for anything else (wrong, missing, unparseable).
  public var correctValue: Double
  public var incorrectValue: Double

  public init(
    extractor: MathAnswerExtractor = MathAnswerExtractor(), verifier: MathVerifier = MathVerifier(),
    correctValue: Double = 1, incorrectValue: Double = 0
  ) {
    self.extractor = extractor
    self.verifier = verifier
    self.correctValue = correctValue
    self.incorrectValue = incorrectValue
  }

  /// The verdict on a response against a reference answer (itself reduced to its final answer
  /// when it is a worked solution, like GSM8K's `… #### 72`).
  public func verdict(response: String, reference: String) -> MathVerdict {
    guard let answer = extractor.extract(from: response) else { return .unparseable("no final answer found") }
    let gold = MathAnswerExtractor(fallbackToLastNumber: false).extract(from: reference) ?? reference
    return verifier.compare(answer, gold)
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    guard let reference = candidate.reference ?? candidate.metadata["answer"]?.stringValue else {
      return .notApplicable("no reference answer")
    }
    return .score(
      verdict(response: candidate.response, reference: reference) == .equivalent ? correctValue : incorrectValue)
  }
}
