import Foundation

/// A parsed arithmetic/algebraic expression. Sums and products are n-ary, so a long chain such as
/// `1+1+…+1` is one shallow node rather than a deep tree: tree depth is bounded by bracket nesting,
/// which the parser caps, so evaluation can recurse safely.
indirect enum MathExpression: Sendable, Equatable {
  case number(Double)
  case variable(String)
  case sum([MathExpression])
  case product([MathExpression])
  case negate(MathExpression)
  case reciprocal(MathExpression)
  case power(MathExpression, MathExpression)
  case function(String, MathExpression)
  case factorial(MathExpression)

  /// The variables the expression mentions, sorted (so random assignments are reproducible).
  var variables: [String] {
    var names = Set<String>()
    collectVariables(into: &names)
    return names.sorted()
  }

  private func collectVariables(into names: inout Set<String>) {
    switch self {
    case .number: break
    case .variable(let name): names.insert(name)
    case .sum(let terms), .product(let terms): for term in terms { term.collectVariables(into: &names) }
    case .negate(let inner), .reciprocal(let inner), .function(_, let inner), .factorial(let inner):
      inner.collectVariables(into: &names)
    case .power(let base, let exponent):
      base.collectVariables(into: &names)
      exponent.collectVariables(into: &names)
    }
  }

  /// The value with variables bound by `environment`; NaN or ±infinity when undefined or too big.
  func evaluate(_ environment: [String: Double]) -> Double {
    switch self {
    case .number(let value): return value
    case .variable(let name): return environment[name] ?? .nan
    case .sum(let terms): return terms.reduce(0) { $0 + $1.evaluate(environment) }
    case .product(let factors): return factors.reduce(1) { $0 * $1.evaluate(environment) }
    case .negate(let inner): return -inner.evaluate(environment)
    case .reciprocal(let inner): return 1 / inner.evaluate(environment)
    case .power(let base, let exponent):
      let b = base.evaluate(environment)
      let e = exponent.evaluate(environment)
      // A negative base with an odd-denominator rational exponent (cube roots) stays real.
      if b < 0, e.rounded() != e, let oddRoot = Self.oddRootDenominator(e) {
        return -Foundation.pow(-b, e) * (oddRoot.isOddNumerator ? 1 : -1)
      }
      return Foundation.pow(b, e)
    case .factorial(let inner):
      let n = inner.evaluate(environment)
      guard n >= 0, n == n.rounded(), n <= 170 else { return .nan }
      return n == 0 ? 1 : (1...Int(n)).reduce(1.0) { $0 * Double($1) }
    case .function(let name, let inner):
      return Self.apply(name, inner.evaluate(environment))
    }
  }

  private static func oddRootDenominator(_ e: Double) -> (denominator: Int, isOddNumerator: Bool)? {
    for denominator in stride(from: 3, through: 15, by: 2) {
      let numerator = e * Double(denominator)
      if abs(numerator - numerator.rounded()) < 1e-9 {
        return (denominator, Int(numerator.rounded()) % 2 != 0)
      }
    }
    return nil
  }

  static let functionNames: Set<String> = [
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "ln", "log", "exp", "sqrt", "abs",
  ]

  private static func apply(_ name: String, _ x: Double) -> Double {
    switch name {
    case "sin": sin(x)
    case "cos": cos(x)
    case "tan": tan(x)
    case "cot": 1 / tan(x)
    case "sec": 1 / cos(x)
    case "csc": 1 / sin(x)
    case "arcsin": asin(x)
    case "arccos": acos(x)
    case "arctan": atan(x)
    case "sinh": sinh(x)
    case "cosh": cosh(x)
    case "tanh": tanh(x)
    case "ln": Foundation.log(x)
    case "log": log10(x)
    case "exp": Foundation.exp(x)
    case "sqrt": x.squareRoot()
    case "abs": abs(x)
    default: .nan
    }
  }
}
