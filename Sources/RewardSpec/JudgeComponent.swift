import Foundation
import RewardCore
import RewardEngine
import RewardJudge
import RewardRules

/// `kind: judge`: an LLM judge (docs/JUDGES.md) as a spec component, either inline (`mode:`,
/// `template:`, `engine:` … as in a judge file) or from a judge file (`file: judge.yaml`).
/// A reply the judge could not give a verdict in (after its retries) is "not applicable", so the
/// spec's `not_applicable` policy decides the total, as it does for rules.
public enum JudgeComponent {
  /// Turns a judge's `engine:` block into RewardEngine's OpenAI-compatible client (behind the
  /// request cache when the block has `cache:`). `location` is `file: field` as the judge loader
  /// writes it; the file also anchors a relative cache path. Loading is synchronous, so the
  /// reachability check runs after it: `JudgeEngines.checkReachable(model)`, which `reward score`,
  /// `eval` and `serve` call at start (the engine is a `ConfiguredEngine` for that).
  public static let engineFactory: JudgeEngineFactory = { block, location in
    let file: String
    let field: String
    if let separator = location.range(of: ": ", options: .backwards) {
      file = String(location[..<separator.lowerBound])
      field = String(location[separator.upperBound...])
    } else {
      file = "judge"
      field = location
    }
    return try EngineConfiguration(json: block, path: file, field: field).makeConfiguredEngine()
  }

  static func make(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    try constructor(engineFactory: engineFactory)(&p)
  }

  /// The `kind: judge` constructor with a given engine factory (tests inject a scripted engine).
  public static func constructor(engineFactory: @escaping JudgeEngineFactory) -> ComponentRegistry.Constructor {
    { p throws(SpecError) in
      do {
        if let file = try p.optionalString("file") {
          let directory = p.file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "."
          let resolved = file.hasPrefix("/") ? file : directory + "/" + file
          return JudgeSpecComponent(judge: try JudgeConfiguration.load(path: resolved, engineFactory: engineFactory))
        }
        var object = JSONObject()
        for key in JudgeConfiguration.keys where key != "name" {
          if let value = p.value(key) { object[key] = value }
        }
        return JudgeSpecComponent(
          judge: try JudgeConfiguration.build(object, file: p.file, prefix: p.path, engineFactory: engineFactory))
      } catch let error as SpecError {
        throw error
      } catch let error as JudgeConfigurationError {
        throw SpecError(file: error.file ?? p.file, path: error.field, error.message)
      } catch {
        throw SpecError(file: p.file, path: p.path, "\(error)")
      }
    }
  }
}

/// A loaded judge as a component: NaN rewards (unparseable or failed items) become "not applicable".
struct JudgeSpecComponent: SpecComponent {
  let judge: LoadedJudge

  var benefitsFromBatching: Bool { true }

  func evaluate(_ candidates: [Candidate]) async throws -> [RuleVerdict] {
    try await judge.model.score(candidates).map { reward in
      guard reward.value.isNaN else { return .score(reward.value) }
      let reason = reward.rationale?.split(separator: "\n").first.map(String.init) ?? "no verdict"
      return .notApplicable("judge: \(reason)")
    }
  }
}

/// A spec's judges (its `kind: judge` components, and judges inside model components), named by
/// their component, for the start-up engine check and `/metrics`.
extension SpecRewardModel: JudgeHolding {
  public var judges: [JudgeEntry] {
    spec.components.flatMap { component -> [JudgeEntry] in
      let held: [JudgeEntry]
      if let judge = component.scorer as? JudgeSpecComponent {
        held = JudgeEngines.judges(in: judge.judge.preferenceModel)
      } else if let model = (component.scorer as? ModelComponent)?.model {
        held = JudgeEngines.judges(in: model)
      } else {
        held = []
      }
      return held.count == 1
        ? held.map { entry in
          var named = entry
          named.name = component.name
          return named
        } : held
    }
  }
}
