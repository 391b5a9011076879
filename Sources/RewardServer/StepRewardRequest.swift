import RewardCore

/// What a request asks for about step rewards (process reward models): whether to return them
/// (`step_rewards`: true/false) and how to shape them (`step_shaping`: none, clip[:η], delta,
/// min-form — the transforms of `reward prm score --shaping`). Models that give no steps ignore
/// both; the scalar `reward` is never shaped.
struct StepRewardRequest: Sendable {
  var include: Bool
  var shaping: StepShapingKind

  /// Reads the two top-level keys; `includeByDefault` is the endpoint's default (`/v1/rewards`
  /// returns step rewards unless told not to, OpenRLHF's `/get_reward` only when asked).
  init(_ body: FieldReader, includeByDefault: Bool) throws(APIError) {
    switch body.value("step_rewards") {
    case nil: include = includeByDefault
    case .bool(let flag): include = flag
    case let other?: throw APIError.badRequest("step_rewards", "expected true or false, found \(other.typeName)")
    }
    shaping = .none
    if let name = try body.optionalString("step_shaping") {
      do {
        shaping = try StepShapingKind.parse(name)
      } catch {
        throw APIError.badRequest("step_shaping", error.message)
      }
    }
  }

  /// The step rewards to write for `reward` (offsets moved by `offset`), or nil when none are
  /// asked for or the model gave none.
  func json(_ reward: Reward, offset: Int = 0) -> JSONValue? {
    guard include, let steps = StepRewardOutput.shaped(reward, shaping: shaping) else { return nil }
    return StepRewardOutput.json(steps, offset: offset)
  }
}
