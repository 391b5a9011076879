import Foundation

/// The math answer checker's expression evaluator as a calculator (an LLM judge's tool): the
/// same parser, with the same token and nesting budget, on expressions without variables.
/// Calculator syntax is read as a programmer writes it: `2^10` is 1024 (LaTeX would read 2¹·0),
/// `**` is a power, and `sqrt(2)`, `ln(x)`, `pi` need no backslash.
public enum MathCalculator {
  public static func evaluate(_ expression: String, maximumTokens: Int = 400) -> Result<Double, MathCalculatorError> {
    let parsed: MathExpression
    do {
      parsed = try MathExpressionParser.parse(latex(expression), maximumTokens: maximumTokens)
    } catch {
      return .failure(MathCalculatorError(message: error.reason))
    }
    if let name = parsed.variables.first {
      return .failure(MathCalculatorError(message: "unknown variable '\(name)'"))
    }
    let value = parsed.evaluate([:])
    guard value.isFinite else { return .failure(MathCalculatorError(message: "undefined or too large")) }
    return .success(value)
  }
}

extension MathCalculator {
  /// Calculator syntax → the evaluator's LaTeX-flavoured syntax.
  static func latex(_ expression: String) -> String {
    var text = expression.replacingOccurrences(of: "**", with: "^")
    text = text.replacing(#/\^\s*(\d+(?:\.\d+)?)/#) { "^{\($0.output.1)}" }
    let names = MathExpression.functionNames.union(["pi"])
    // A word already behind a backslash is a LaTeX command and stays as written.
    text = text.replacing(#/(\\?)([A-Za-z]+)/#) { match in
      match.output.1.isEmpty && names.contains(String(match.output.2)) ? "\\\(match.output.2)" : String(match.output.0)
    }
    return text
  }
}

public struct MathCalculatorError: Error, Sendable, Equatable {
  public var message: String
}
