import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// Trains a Bradley–Terry head on a data set end to end and packages the checkpoint: the
/// library call behind `reward train`.
public struct TrainingRun: Sendable {
  public var featurizer: any Featurizer
  public var configuration: TrainingConfiguration

  public init(featurizer: any Featurizer, configuration: TrainingConfiguration) {
    self.featurizer = featurizer
    self.configuration = configuration
  }

  public func run(
    _ dataset: PreferenceDataset, progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) async throws -> (checkpoint: Checkpoint, result: TrainingResult) {
    let trainer = BradleyTerryTrainer(configuration: configuration)
    let featurizeStart = Date()
    let pairs = try await trainer.featurePairs(dataset.allPairs, featurizer: featurizer, progress: progress)
    let featurizeSeconds = Date().timeIntervalSince(featurizeStart)
    var result = try trainer.train(pairs, dimension: featurizer.dimension, progress: progress)
    result.featurizeSeconds = featurizeSeconds
    result.featurizedTexts = 2 * pairs.count
    let best = result.history[result.bestEpoch - 1]
    var metrics = JSONObject([
      ("best_epoch", .int(Int64(result.bestEpoch))), ("train_pairs", .int(Int64(result.trainPairs))),
      ("validation_pairs", .int(Int64(result.validationPairs))), ("train_loss", .double(best.trainLoss)),
      ("train_accuracy", .double(best.trainAccuracy)),
    ])
    if let loss = best.validationLoss { metrics["validation_loss"] = .double(loss) }
    if let accuracy = best.validationAccuracy { metrics["validation_accuracy"] = .double(accuracy) }
    metrics["epochs"] = .array(result.history.map(\.json))
    let training: JSONValue = [
      "objective": "bradley-terry", "configuration": configuration.json,
      "data": .array(
        dataset.files.map { ["path": .string($0.path), "format": .string($0.format.rawValue)] }),
      "data_pairs": .int(Int64(dataset.allPairs.count)), "skipped_records": .int(Int64(dataset.skipped.count)),
      "data_hash": .string(Self.contentHash(dataset.allPairs)),
    ]
    let checkpoint = Checkpoint(
      headKind: BradleyTerryHead.kind, featurizer: featurizer.descriptor, training: training, metrics: .object(metrics),
      weights: result.weights)
    return (checkpoint, result)
  }

  /// A stable hash of the training pairs' content (not file names), to tell data sets apart.
  public static func contentHash(_ pairs: [PreferencePair]) -> String {
    var hasher = StableHasher()
    for pair in pairs {
      for message in pair.prompt {
        hasher.combine(message.role.rawValue)
        hasher.combine(message.content)
      }
      hasher.combine(pair.chosen)
      hasher.combine(pair.rejected)
      hasher.combine(String(pair.chosenProbability))
      hasher.combine(pair.margin.map { String($0) } ?? "-")
    }
    return hasher.hexDigest
  }
}
