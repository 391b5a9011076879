/// A model gave NaN or ±∞ as a reward. Such a value is not a score (it is not JSON either, and
/// comparisons with it are always false), so every consumer — `reward score`, `reward eval`, the
/// server — stops with this error, naming the model and the item, unless the user opted to mark
/// such items invalid and count them.
public struct NonFiniteRewardError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The model's name, as reports show it.
  public var model: String
  /// Which item: a file location (`data.jsonl:12`), a request item (`item 3`), or a position.
  public var item: String
  /// The value the model gave (NaN, +∞ or −∞), or in `component` the component's value.
  public var value: Double
  /// Set when the total is finite but a named component is not.
  public var component: String?

  public init(model: String, item: String, value: Double, component: String? = nil) {
    self.model = model
    self.item = item
    self.value = value
    self.component = component
  }

  public var description: String {
    let what = component.map { "component '\($0)' of the reward" } ?? "reward"
    return "model '\(model)' gave a non-finite \(what) (\(Reward.describe(value))) for \(item)"
  }
}

extension Reward {
  /// Whether the reward and every component are finite numbers (the uncertainty may be anything).
  public var isFinite: Bool { value.isFinite && components.allSatisfy { $0.value.isFinite } }

  /// The first non-finite part of this reward, as an error for `item`; nil when it is finite.
  public func nonFiniteError(model: String, item: String) -> NonFiniteRewardError? {
    if !value.isFinite { return NonFiniteRewardError(model: model, item: item, value: value) }
    if let part = components.first(where: { !$0.value.isFinite }) {
      return NonFiniteRewardError(model: model, item: item, value: part.value, component: part.name)
    }
    return nil
  }

  /// `rewards` unchanged when every one is finite; otherwise throws `NonFiniteRewardError` for the
  /// first one that is not. `item(i)` names the i-th reward's item (default: `item i+1`, 1-based).
  /// This is the one check every consumer of a `RewardModel`'s output uses before writing,
  /// serving or measuring rewards.
  @discardableResult
  public static func validatedFinite(
    _ rewards: [Reward], model: String, item: (Int) -> String = { "item \($0 + 1)" }
  ) throws(NonFiniteRewardError) -> [Reward] {
    for (index, reward) in rewards.enumerated() {
      if let error = reward.nonFiniteError(model: model, item: item(index)) { throw error }
    }
    return rewards
  }

  /// "NaN", "+inf" or "-inf" (or the number), as messages and JSON markers spell it.
  public static func describe(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+inf" : "-inf" }
    return "\(value)"
  }
}
