import RewardCore

/// What a scoring run did: records scored, non-finite rewards kept (`keepNonFinite`), records
/// skipped as invalid.
public struct FileScoringSummary: Sendable {
  public var scored = 0
  public var nonFinite = 0
  public var skipped = SkippedRecords()
}

/// The loop behind `reward score`: read a batch, score it, write it. The next batch is read and
/// parsed on another thread while the current one is scored and written, so on a two-core machine
/// the two halves of the work (parsing; scoring and writing) overlap instead of adding up. Memory
/// stays bounded: at most two batches exist at once.
public enum FileScoring {
  public static func run(
    model: any RewardModel, batches: ScoringBatches, writer: ScoredRecordWriter, keepNonFinite: Bool = false,
    progress: (@Sendable (Int) -> Void)? = nil
  ) async throws -> FileScoringSummary {
    let source = BatchSource(batches)
    var summary = FileScoringSummary()
    var pending = source.readNext()
    defer { pending.cancel() }
    while let batch = try await pending.value {
      pending = source.readNext()  // parse the next batch while this one is scored
      let rewards = try await model.score(batch.map(\.candidate))
      for (record, reward) in zip(batch, rewards) {
        // JSON has no NaN: writing null silently would lose the failure.
        if let problem = reward.nonFiniteError(model: model.name, item: record.location.description) {
          guard keepNonFinite else { throw problem }
          summary.nonFinite += 1
          try writer.writeInvalid(record, reason: "non-finite reward: \(Reward.describe(problem.value))")
          continue
        }
        try writer.write(record, reward)
      }
      summary.scored += batch.count
      progress?(summary.scored)
    }
    try writer.commit()
    summary.skipped = batches.skipped
    return summary
  }
}

/// Hands `ScoringBatches` to one reading task at a time. `run` awaits each read before starting
/// the next, so the batches are never touched by two threads at once — the invariant that makes
/// the unchecked conformance sound.
private final class BatchSource: @unchecked Sendable {
  private let batches: ScoringBatches

  init(_ batches: ScoringBatches) { self.batches = batches }

  func readNext() -> Task<[ScoringRecord]?, any Error> {
    Task.detached { try self.batches.next() }
  }
}
