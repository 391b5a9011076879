import Foundation
import RewardCore
import RewardEngine

/// One judge inside a served or evaluated model: its name, run ledger and engine, so a front-end
/// can check engines at start and export per-judge counts (`/metrics`) without knowing the model's
/// structure (a judge file, a spec with judge components, a meta judge inside SPCT).
public struct JudgeEntry: Sendable {
  public var name: String
  public var ledger: JudgeLedger
  public var engine: any ChatEngine

  /// The engine's model name (what the engine serves), for labels.
  public var engineModel: String { engine.modelName }
  /// The client's counters (HTTP requests incl. retries, tokens), when the engine came from an
  /// `engine:` block.
  public var engineUsage: EngineUsage? { (engine as? ConfiguredEngine)?.usage }
}

/// A model that holds judges, directly or in its parts.
public protocol JudgeHolding: Sendable {
  var judges: [JudgeEntry] { get }
}

extension PointwiseJudge: JudgeHolding {
  public var judges: [JudgeEntry] { [JudgeEntry(name: name, ledger: ledger, engine: engine)] }
}
extension PairwiseJudge: JudgeHolding {
  public var judges: [JudgeEntry] { [JudgeEntry(name: name, ledger: ledger, engine: engine)] }
}
extension BaselinePairwiseJudge: JudgeHolding {
  public var judges: [JudgeEntry] { judge.judges }
}
extension ListwiseJudge: JudgeHolding {
  public var judges: [JudgeEntry] { [JudgeEntry(name: name, ledger: ledger, engine: engine)] }
}
extension SPCTJudge: JudgeHolding {
  public var judges: [JudgeEntry] {
    [JudgeEntry(name: name, ledger: ledger, engine: engine)] + ((metaModel as? any JudgeHolding)?.judges ?? [])
  }
}

public enum JudgeEngines {
  /// Every judge `model` holds (none for a model without judges).
  public static func judges(in model: any PreferenceModel) -> [JudgeEntry] {
    (model as? any JudgeHolding)?.judges ?? []
  }

  /// Checks, once per distinct engine configuration, that each judge's engine answers; the error
  /// names the file, field and base URL (and how to skip the check). Engines not built from an
  /// `engine:` block (tests' scripted engines) are not checked.
  public static func checkReachable(_ model: any PreferenceModel) async throws {
    var checked: [EngineConfiguration] = []
    for judge in judges(in: model) {
      guard let configured = judge.engine as? ConfiguredEngine, !checked.contains(configured.configuration) else {
        continue
      }
      checked.append(configured.configuration)
      try await configured.checkReachable()
    }
  }
}
