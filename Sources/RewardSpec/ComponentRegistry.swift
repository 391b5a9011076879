import Foundation
import RewardCore
import RewardRules

/// Maps a spec component's `kind` to a constructor. Adding a reward family is one new file (the
/// rule) plus one line in `standard`. Constructors read their parameters through `Parameters`, which
/// reports problems with the key path; the loader rejects parameters a constructor did not read.
public struct ComponentRegistry: Sendable {
  public typealias Constructor = @Sendable (inout Parameters) throws(SpecError) -> any SpecComponent

  public private(set) var constructors: [String: Constructor]

  public init(constructors: [String: Constructor] = [:]) {
    self.constructors = constructors
  }

  /// A copy with one more kind (or a kind replaced).
  public func registering(_ kind: String, _ constructor: @escaping Constructor) -> ComponentRegistry {
    var copy = self
    copy.constructors[kind] = constructor
    return copy
  }

  public var kinds: [String] { constructors.keys.sorted() }

  /// Every kind this package provides: the rules, trained checkpoints and remote models.
  public static let standard = ComponentRegistry(constructors: [
    "math": StandardComponents.math,
    "multiple_choice": StandardComponents.multipleChoice,
    "exact_match": StandardComponents.exactMatch,
    "bleu": { p throws(SpecError) in try StandardComponents.overlap(.bleu, &p) },
    "chrf": { p throws(SpecError) in try StandardComponents.overlap(.chrf, &p) },
    "rouge_l": { p throws(SpecError) in try StandardComponents.overlap(.rougeL, &p) },
    "format": StandardComponents.format,
    "tags": StandardComponents.tags,
    "json": StandardComponents.json,
    "overlong_penalty": StandardComponents.overlongPenalty,
    "length": StandardComponents.length,
    "toolrl": StandardComponents.toolRL,
    "bfcl": StandardComponents.bfcl,
    "remote": RemoteComponent.make,
    "checkpoint": CheckpointComponent.make,
    "judge": JudgeComponent.make,
    "step_check": StepCheckComponent.make,
    "implicit_reward": ImplicitRewardComponent.make,
  ])
}
