import Foundation
import RewardCore
import RewardEngine
import RewardRules

/// Tools a judge may call through the engine's tool calling (Themis-style tool-augmented judging):
/// a calculator backed by the math rule's evaluator, and a check of a final answer against the
/// item's reference (the `math` rule). Results are short texts the judge reads back.
public struct JudgeTools: Sendable {
  public static let calculator = "calculator"
  public static let checkAnswer = "check_answer"

  private let mathRule: MathAnswerRule

  public init() {
    // A judge's request takes seconds; the rule's default 0.1 s budget is for scoring batches,
    // and under load it would turn a correct check into "budget exceeded".
    var options = MathVerifier.Options()
    options.timeBudget = .seconds(2)
    mathRule = MathAnswerRule(verifier: MathVerifier(options: options))
  }

  public var definitions: [ToolDefinition] {
    [
      ToolDefinition(
        name: Self.calculator, description: "Evaluate an arithmetic expression, e.g. (17*23)+4^2 or sqrt(2)/2.",
        parameters: [
          "type": "object", "properties": ["expression": ["type": "string"]], "required": ["expression"],
        ]),
      ToolDefinition(
        name: Self.checkAnswer,
        description: "Check whether a final answer is mathematically equivalent to the reference answer.",
        parameters: ["type": "object", "properties": ["answer": ["type": "string"]], "required": ["answer"]]),
    ]
  }

  /// The result text for one call. Bad calls get an error text the judge can read, not a throw:
  /// a judge's malformed call is part of its transcript.
  public func run(_ call: RewardEngine.ToolCall, for candidate: Candidate?) -> String {
    let arguments: JSONObject
    do throws(JSONSyntaxError) {
      guard let object = try JSONParser.parse(call.arguments).objectValue else {
        return "error: arguments must be a JSON object"
      }
      arguments = object
    } catch {
      return "error: arguments are not valid JSON (\(error.message))"
    }
    switch call.name {
    case Self.calculator:
      guard let expression = arguments["expression"]?.stringValue else { return "error: missing \"expression\"" }
      switch MathCalculator.evaluate(expression) {
      case .success(let value): return Self.format(value)
      case .failure(let problem): return "error: \(problem.message)"
      }
    case Self.checkAnswer:
      guard let answer = arguments["answer"]?.stringValue else { return "error: missing \"answer\"" }
      guard let reference = candidate?.reference else { return "error: this item has no reference answer" }
      switch mathRule.verdict(response: answer, reference: reference) {
      case .equivalent: return "correct: equivalent to the reference"
      case .notEquivalent: return "incorrect: not equivalent to the reference"
      case .unparseable(let reason): return "error: \(reason)"
      }
    default:
      return "error: no tool named '\(call.name)' (tools: \(Self.calculator), \(Self.checkAnswer))"
    }
  }

  static func format(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
  }
}
