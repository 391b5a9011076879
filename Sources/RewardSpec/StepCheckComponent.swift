import RewardCore
import RewardRules

/// `kind: step_check`: the arithmetic step checker as a spec component (1 when every checkable
/// claim in the response's steps holds, 0 when one is false, not applicable when none could be
/// checked). Parameters: `splitter` (blank-lines, lines, step-markers, tag:TAG, regex:PATTERN),
/// `relative_tolerance`.
enum StepCheckComponent {
  static func make(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let splitterName = try p.string("splitter", default: "blank-lines")
    let splitter: StepSplitter
    do {
      splitter = try StepSplitter.parse(splitterName)
    } catch {
      throw p.error("splitter", error.message)
    }
    let tolerance = try p.double("relative_tolerance", default: 1e-6)
    guard tolerance >= 0, tolerance < 1 else { throw p.error("relative_tolerance", "expected a number in [0, 1)") }
    return RuleComponent(StepCheckRule(checker: StepChecker(relativeTolerance: tolerance), splitter: splitter))
  }
}
