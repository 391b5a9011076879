import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// Trains a Bradley–Terry head on a data set end to end and packages the checkpoint: the
/// library call behind `reward train`.
public struct TrainingRun: Sendable {
  public var featurizer: any Featurizer
  public var configuration: TrainingConfiguration
  /// Ensemble size; 1 trains a single Bradley–Terry head.
  public var members: Int
  public var aggregation: EnsembleAggregation
  /// Fit a temperature on the validation split and keep it in the checkpoint.
  public var calibrate: Bool

  public init(
    featurizer: any Featurizer, configuration: TrainingConfiguration, members: Int = 1,
    aggregation: EnsembleAggregation = .mean, calibrate: Bool = false
  ) {
    self.featurizer = featurizer
    self.configuration = configuration
    self.members = members
    self.aggregation = aggregation
    self.calibrate = calibrate
  }

  public func run(
    _ dataset: PreferenceDataset, progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) async throws -> (checkpoint: Checkpoint, result: TrainingResult) {
    guard members >= 1 else { throw ConfigurationError("an ensemble needs at least 1 member, got \(members)") }
    let trainer = BradleyTerryTrainer(configuration: configuration)
    let featurizeStart = Date()
    let pairs = try await trainer.featurePairs(dataset.allPairs, featurizer: featurizer, progress: progress)
    let featurizeSeconds = Date().timeIntervalSince(featurizeStart)
    // One split for every member, so the validation pairs are unseen by all of them.
    let (train, validation) = BradleyTerryTrainer.split(
      pairs, validationFraction: configuration.validationFraction, seed: configuration.seed)
    var results: [TrainingResult] = []
    for member in 0..<members {
      var memberConfiguration = configuration
      memberConfiguration.seed = configuration.seed &+ UInt64(member)
      // Members differ by seed and, for ensembles, by a bootstrap resample of the training pairs.
      memberConfiguration.bootstrap = configuration.bootstrap || members > 1
      let memberTrainer = BradleyTerryTrainer(configuration: memberConfiguration)
      results.append(
        try memberTrainer.train(
          train: train, validation: validation, dimension: featurizer.dimension, progress: progress))
    }
    var result = results[0]
    result.featurizeSeconds = featurizeSeconds
    result.featurizedTexts = 2 * pairs.count
    result.trainSeconds = results.reduce(0) { $0 + $1.trainSeconds }

    let head: any RewardHead =
      members == 1
      ? LinearHead(weights: result.weights)
      : EnsembleHead(members: results.map(\.weights), aggregation: aggregation)
    var metrics = metricsJSON(results)
    var temperature = 1.0
    if !validation.isEmpty {
      let rewards = head.rewards(validation.flatMap { [$0.chosen, $0.rejected] })
      let margins = validation.indices.map { rewards[2 * $0].value - rewards[2 * $0 + 1].value }
      let targets = validation.map(\.chosenProbability)
      let strict = validation.indices.filter { validation[$0].chosenProbability != 0.5 }
      metrics["validation_accuracy"] = .double(
        Double(strict.count(where: { margins[$0] > 0 })) / Double(max(strict.count, 1)))
      metrics["validation_ece"] = .double(
        TemperatureCalibration.expectedCalibrationError(margins: margins, targets: targets))
      if calibrate {
        temperature = TemperatureCalibration.fit(margins: margins, targets: targets)
        metrics["calibration_temperature"] = .double(temperature)
        metrics["validation_ece_calibrated"] = .double(
          TemperatureCalibration.expectedCalibrationError(margins: margins, targets: targets, temperature: temperature))
      }
    }
    let files: [JSONValue] = dataset.files.map { ["path": .string($0.path), "format": .string($0.format.rawValue)] }
    var training = JSONObject([
      ("objective", "bradley-terry"), ("configuration", configuration.json), ("data", .array(files)),
      ("data_pairs", .int(Int64(dataset.allPairs.count))), ("skipped_records", .int(Int64(dataset.skipped.count))),
      ("data_hash", .string(Self.contentHash(dataset.allPairs))),
    ])
    if members > 1 { training["ensemble_members"] = .int(Int64(members)) }
    let checkpoint = Checkpoint(
      head: head, featurizer: featurizer.descriptor, training: .object(training), metrics: .object(metrics),
      temperature: temperature)
    return (checkpoint, result)
  }

  private func metricsJSON(_ results: [TrainingResult]) -> JSONObject {
    let first = results[0]
    let best = first.history[first.bestEpoch - 1]
    var metrics = JSONObject([
      ("best_epoch", .int(Int64(first.bestEpoch))), ("train_pairs", .int(Int64(first.trainPairs))),
      ("validation_pairs", .int(Int64(first.validationPairs))), ("train_loss", .double(best.trainLoss)),
      ("train_accuracy", .double(best.trainAccuracy)),
    ])
    if let loss = best.validationLoss { metrics["validation_loss"] = .double(loss) }
    metrics["epochs"] = .array(first.history.map(\.json))
    if results.count > 1 {
      metrics["members"] = .array(
        results.map { result in
          let best = result.history[result.bestEpoch - 1]
          return [
            "best_epoch": .int(Int64(result.bestEpoch)),
            "validation_accuracy": best.validationAccuracy.map(JSONValue.double) ?? .null,
          ]
        })
    }
    return metrics
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
