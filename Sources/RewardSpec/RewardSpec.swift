import RewardCore

/// A parsed reward spec: named, weighted components; gates; clipping; optional GRPO-style group
/// normalisation. See docs/REWARD_SPEC.md for the file format and the exact semantics.
public struct RewardSpec: Sendable {
  public struct Component: Sendable {
    public var name: String
    public var kind: String
    public var weight: Double
    public var scorer: any SpecComponent
  }

  /// The total is replaced by `otherwise` unless `component` scores at least `minimum`.
  public struct Gate: Sendable, Equatable {
    public var component: String
    public var minimum: Double
    public var otherwise: Double
  }

  /// How a component that answers "not applicable" enters the weighted sum.
  public enum NotApplicablePolicy: String, Sendable, CaseIterable {
    /// Left out, and the remaining weights scaled up to the full weight (Σ|w| over all / Σ|w| over
    /// the applicable ones), so items with and without, say, a reference stay on the same scale.
    case renormalize
    /// Counted as a score of 0.
    case zero
  }

  /// GRPO advantage-style normalisation within each `Candidate.group`: (r − mean) / (std + ε), with
  /// the sample standard deviation (n − 1, as `torch.std` in TRL and verl). `scale: false` gives
  /// r − mean (Dr. GRPO). Candidates without a group, and groups of one, keep their value (verl).
  public struct GroupNormalization: Sendable, Equatable {
    public var epsilon: Double
    public var scale: Bool
  }

  public var name: String
  public var components: [Component]
  public var gates: [Gate]
  public var notApplicable: NotApplicablePolicy
  public var clip: ClosedRange<Double>?
  public var groupNormalization: GroupNormalization?
}
