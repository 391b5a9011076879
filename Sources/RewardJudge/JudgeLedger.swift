import Foundation
import RewardCore
import RewardEngine

/// What a judge run cost and how often it could not give a verdict: the numbers the CLI, eval
/// reports and the server print.
public struct JudgeRunSummary: Sendable, Equatable {
  public var items = 0
  public var unparseable = 0
  public var engineErrors = 0
  /// Of the engine errors, items whose prompt did not fit the engine's context (skipped, not scored).
  public var overContext = 0
  /// Reminder turns sent after unparseable replies.
  public var retries = 0
  public var calls = 0
  public var promptTokens = 0
  public var completionTokens = 0
  public var seconds = 0.0
  /// Pairs judged in both orders, and those whose two verdicts agreed.
  public var bothOrderPairs = 0
  public var consistentPairs = 0
  /// Decisive trials (not a tie, parsed) and those won by the response shown first.
  public var decisiveTrials = 0
  public var firstPositionWins = 0
  /// The first failures, one line each (item, reason), for the report.
  public var failures: [String] = []

  public var parseFailureRate: Double { items == 0 ? 0 : Double(unparseable) / Double(items) }
  public var consistencyRate: Double? {
    bothOrderPairs == 0 ? nil : Double(consistentPairs) / Double(bothOrderPairs)
  }
  public var firstPositionWinRate: Double? {
    decisiveTrials == 0 ? nil : Double(firstPositionWins) / Double(decisiveTrials)
  }

  /// A few lines for a terminal.
  public var text: String {
    var lines = [
      "judge: \(items) items, \(unparseable) unparseable (\(percent(parseFailureRate))), \(engineErrors) engine errors"
        + (overContext > 0 ? " (\(overContext) over the engine's context)" : "") + ", \(retries) reminder retries",
      "judge: \(calls) calls, \(promptTokens) prompt + \(completionTokens) completion tokens, "
        + String(format: "%.3f s per item", items == 0 ? 0 : seconds / Double(items)),
    ]
    if let rate = consistencyRate {
      lines.append("judge: order consistency \(percent(rate)) of \(bothOrderPairs) pairs judged both ways")
    }
    if let rate = firstPositionWinRate {
      lines.append("judge: first-position win rate \(percent(rate)) of \(decisiveTrials) decisive trials")
    }
    lines += failures.map { "judge: \($0)" }
    return lines.joined(separator: "\n")
  }

  private func percent(_ value: Double) -> String { String(format: "%.1f%%", 100 * value) }
}

/// Thread-safe accumulator behind `JudgeRunSummary` (items are judged concurrently).
public final class JudgeLedger: @unchecked Sendable {
  private let lock = NSLock()
  private var state = JudgeRunSummary()
  public static let keptFailures = 20

  public init() {}

  public var summary: JudgeRunSummary { lock.withLock { state } }

  public func reset() { lock.withLock { state = JudgeRunSummary() } }

  func recordCalls(_ calls: Int, usage: TokenUsage, seconds: Double) {
    lock.withLock {
      state.calls += calls
      state.promptTokens += usage.promptTokens
      state.completionTokens += usage.completionTokens
      state.seconds += seconds
    }
  }

  func recordItem(retries: Int, failure: String?, engineError: Bool = false, overContext: Bool = false) {
    lock.withLock {
      state.items += 1
      state.retries += retries
      guard let failure else { return }
      if engineError { state.engineErrors += 1 } else { state.unparseable += 1 }
      if overContext { state.overContext += 1 }
      if state.failures.count < Self.keptFailures { state.failures.append(failure) }
    }
  }

  func recordOrder(consistent: Bool?, firstShownWon: [Bool]) {
    lock.withLock {
      if let consistent {
        state.bothOrderPairs += 1
        if consistent { state.consistentPairs += 1 }
      }
      state.decisiveTrials += firstShownWon.count
      state.firstPositionWins += firstShownWon.filter { $0 }.count
    }
  }
}

/// Any judge: its run ledger, so a command that loaded it as a plain `RewardModel` can print the
/// summary (`(model as? any JudgeModel)?.ledger.summary.text`).
public protocol JudgeModel: PreferenceModel {
  var ledger: JudgeLedger { get }
}

extension PointwiseJudge: JudgeModel {}
extension PairwiseJudge: JudgeModel {}
extension ListwiseJudge: JudgeModel {}
extension SPCTJudge: JudgeModel {}
extension BaselinePairwiseJudge: JudgeModel {
  public var ledger: JudgeLedger { judge.ledger }
}
