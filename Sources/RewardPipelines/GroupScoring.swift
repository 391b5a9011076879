import RewardCore

/// How rewards within a group are normalised after scoring (GRPO-style advantages).
public enum GroupNormalization: String, Sendable, CaseIterable {
  case none
  /// r − mean(group)
  case center
  /// (r − mean) / std (population std; a group with no spread gets zeros)
  case zscore

  public func apply(_ rewards: [Double]) -> [Double] {
    guard self != .none, !rewards.isEmpty else { return rewards }
    let mean = rewards.reduce(0, +) / Double(rewards.count)
    let centered = rewards.map { $0 - mean }
    guard self == .zscore else { return centered }
    let std = (centered.reduce(0) { $0 + $1 * $1 } / Double(rewards.count)).squareRoot()
    return std > 0 ? centered.map { $0 / std } : centered.map { _ in 0 }
  }
}

/// Scores groups with any `RewardModel` in bounded batches: groups are gathered until about
/// `batchSize` candidates are pending, then scored in one call. A group is never split across
/// calls (group-aware scorers see all of it), so a batch may exceed `batchSize` by one group.
public struct GroupScorer: Sendable {
  public var model: any RewardModel
  public var batchSize: Int
  public var normalization: GroupNormalization

  public init(model: any RewardModel, batchSize: Int = 256, normalization: GroupNormalization = .none) {
    self.model = model
    self.batchSize = max(1, batchSize)
    self.normalization = normalization
  }

  /// Scores one batch of groups; each comes back with `rewards` set (normalised when asked, the
  /// raw scores then kept in `raw_rewards`).
  public func score(_ groups: [ScoredGroup]) async throws -> [ScoredGroup] {
    let candidates = groups.flatMap(\.candidates)
    guard !candidates.isEmpty else { return groups }
    let rewards = try await model.score(candidates)
    guard rewards.count == candidates.count else {
      throw ConfigurationError(
        "\(model.name) returned \(rewards.count) rewards for \(candidates.count) responses")
    }
    var scored = groups
    var offset = 0
    for index in scored.indices {
      let count = scored[index].responses.count
      let raw = rewards[offset..<offset + count].map(\.value)
      offset += count
      if let bad = raw.firstIndex(where: { !$0.isFinite }) {
        throw InputError(
          .invalidValue, at: scored[index].location.field("responses[\(bad)]"),
          "\(model.name) gave a non-finite reward (\(raw[bad]))")
      }
      scored[index].rewards = normalization.apply(raw)
      if normalization != .none { scored[index].extra["raw_rewards"] = .array(raw.map { .double($0) }) }
    }
    return scored
  }

  /// Streams every group from `reader` through the model, calling `emit` in input order.
  public func run(_ reader: GroupReader, emit: (ScoredGroup) throws -> Void) async throws {
    var pending: [ScoredGroup] = []
    var pendingCount = 0
    while let group = try reader.next() {
      pending.append(group)
      pendingCount += group.responses.count
      if pendingCount >= batchSize {
        for scored in try await score(pending) { try emit(scored) }
        pending.removeAll(keepingCapacity: true)
        pendingCount = 0
      }
    }
    for scored in try await score(pending) { try emit(scored) }
  }
}
