import Foundation
import RewardCore

/// BFCL's AST checker for the `simple`, `multiple` and `parallel` categories: the predicted calls
/// must match the gold calls one to one (in any order), each with the right function name, no
/// parameter the gold does not list, every parameter present whose acceptable values do not include
/// `""` (optional), and every value among the acceptable ones. Values compare type-aware: an int is
/// accepted for a float, not the reverse; strings ignore case, spaces and `,./-_*^`; lists keep order.
public struct BFCLChecker: RewardRule {
  /// Why a prediction failed, for reports and tests.
  public enum Failure: Sendable, Equatable {
    case unparseable
    case wrongCount(expected: Int, found: Int)
    case wrongFunction(expected: String, found: String)
    case missingParameter(function: String, parameter: String)
    case unexpectedParameter(function: String, parameter: String)
    case wrongValue(function: String, parameter: String)
  }

  /// One gold call: function name, and for each parameter the list of acceptable values.
  public struct GoldCall: Sendable, Equatable {
    public var name: String
    public var acceptable: [(parameter: String, values: [JSONValue])]

    public static func == (lhs: GoldCall, rhs: GoldCall) -> Bool {
      lhs.name == rhs.name && lhs.acceptable.count == rhs.acceptable.count
        && zip(lhs.acceptable, rhs.acceptable).allSatisfy { $0.parameter == $1.parameter && $0.values == $1.values }
    }
  }

  public init() {}

  /// Reads BFCL's `ground_truth`: `[{function_name: {param: [acceptable…]}}, …]`.
  public static func goldCalls(_ groundTruth: JSONValue) -> [GoldCall]? {
    guard let items = groundTruth.arrayValue else { return nil }
    var calls: [GoldCall] = []
    for item in items {
      guard let object = item.objectValue, object.entries.count == 1,
        let parameters = object.entries[0].value.objectValue
      else { return nil }
      var acceptable: [(String, [JSONValue])] = []
      for entry in parameters.entries {
        guard let values = entry.value.arrayValue else { return nil }
        acceptable.append((entry.key, values))
      }
      calls.append(GoldCall(name: object.entries[0].key, acceptable: acceptable))
    }
    return calls
  }

  /// Nil when the prediction is correct, else the first reason it is not.
  public func check(predicted: [ToolCall], gold: [GoldCall]) -> Failure? {
    guard predicted.count == gold.count else { return .wrongCount(expected: gold.count, found: predicted.count) }
    if gold.count == 1 { return check(predicted[0], against: gold[0]) }
    // Parallel calls: any order. A call may satisfy several gold calls (acceptable values overlap),
    // so find a perfect bipartite matching (augmenting paths) rather than matching greedily.
    let passes = gold.map { goldCall in predicted.map { check($0, against: goldCall) == nil } }
    var goldOfPrediction = Array(repeating: -1, count: predicted.count)
    func augment(_ g: Int, _ visited: inout [Bool]) -> Bool {
      for p in predicted.indices where passes[g][p] && !visited[p] {
        visited[p] = true
        if goldOfPrediction[p] < 0 || augment(goldOfPrediction[p], &visited) {
          goldOfPrediction[p] = g
          return true
        }
      }
      return false
    }
    for g in gold.indices {
      var visited = Array(repeating: false, count: predicted.count)
      if !augment(g, &visited) {
        // Explain with the most similar prediction: one with the same function name, if any.
        let sameName = predicted.first { $0.name == gold[g].name } ?? predicted[0]
        return check(sameName, against: gold[g]) ?? .wrongCount(expected: gold.count, found: predicted.count)
      }
    }
    return nil
  }

  public func check(_ call: ToolCall, against gold: GoldCall) -> Failure? {
    // BFCL accepts `a.b` written as `a_b` (many APIs forbid dots in function names).
    guard call.name == gold.name || call.name == gold.name.replacingOccurrences(of: ".", with: "_") else {
      return .wrongFunction(expected: gold.name, found: call.name)
    }
    for entry in call.arguments.entries where !gold.acceptable.contains(where: { $0.parameter == entry.key }) {
      return .unexpectedParameter(function: gold.name, parameter: entry.key)
    }
    for (parameter, values) in gold.acceptable {
      guard let value = call.arguments[parameter] else {
        if values.contains(.string("")) { continue }
        return .missingParameter(function: gold.name, parameter: parameter)
      }
      guard values.contains(where: { Self.matches(value, $0) }) else {
        return .wrongValue(function: gold.name, parameter: parameter)
      }
    }
    return nil
  }

  /// Type-aware value match, as BFCL's checker does it.
  static func matches(_ value: JSONValue, _ expected: JSONValue) -> Bool {
    switch (value, expected) {
    case (.int(let a), .int(let b)): return a == b
    case (.int(let a), .double(let b)): return Double(a) == b  // an int is a valid float
    case (.double(let a), .double(let b)): return a == b
    case (.string(let a), .string(let b)): return standardize(a) == standardize(b)
    case (.bool(let a), .bool(let b)): return a == b
    case (.array(let a), .array(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { matches($0, $1) }
    case (.object(let a), .object(let b)):
      // Nested dictionaries: each expected key lists acceptable values, like top-level parameters.
      for entry in a.entries where b[entry.key] == nil { return false }
      for entry in b.entries {
        let options = entry.value.arrayValue ?? [entry.value]
        guard let given = a[entry.key] else {
          if options.contains(.string("")) { continue }
          return false
        }
        if !options.contains(where: { matches(given, $0) }) { return false }
      }
      return true
    case (.null, .null): return true
    default: return false
    }
  }

  static func standardize(_ s: String) -> String {
    String(s.lowercased().unicodeScalars.filter { !" ,./-_*^".unicodeScalars.contains($0) }.map(Character.init))
      .replacingOccurrences(of: "'", with: "\"")
  }

  /// The gold calls of a candidate: `metadata["ground_truth"]`, else the reference as JSON.
  public static func goldCalls(of candidate: Candidate) -> [GoldCall]? {
    if let value = candidate.metadata["ground_truth"] { return goldCalls(value) }
    guard let reference = candidate.reference, let parsed = try? JSONParser.parse(reference) else { return nil }
    return goldCalls(parsed)
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    guard let gold = Self.goldCalls(of: candidate) else { return .notApplicable("no BFCL ground_truth") }
    guard let predicted = ToolCallParser.parse(candidate.response) else { return .score(0) }
    return .score(check(predicted: predicted, gold: gold) == nil ? 1 : 0)
  }
}
