import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// Trains a regression head on rated responses, optionally together with preference pairs
/// (`--head bt+regression`): the library call behind `reward train --head regression`.
public struct RegressionRun: Sendable {
  public var featurizer: any Featurizer
  public var configuration: TrainingConfiguration
  /// c_a per attribute; defaults to 1 for the first attribute and 0 for the others.
  public var coefficients: [Double]
  public var pairWeight: Double
  /// nil for MSE; the number of grades for the ordinal loss.
  public var ordinalLevels: Int?

  public init(
    featurizer: any Featurizer, configuration: TrainingConfiguration, coefficients: [Double], pairWeight: Double = 1,
    ordinalLevels: Int? = nil
  ) {
    self.featurizer = featurizer
    self.configuration = configuration
    self.coefficients = coefficients
    self.pairWeight = pairWeight
    self.ordinalLevels = ordinalLevels
  }

  public func run(
    rated: RatedDataset, pairs: PreferenceDataset? = nil, progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) async throws -> (checkpoint: Checkpoint, result: TrainingResult) {
    guard coefficients.count == rated.attributes.count else {
      throw ConfigurationError("\(coefficients.count) reward coefficients for \(rated.attributes.count) attributes")
    }
    let started = Date()
    var samples: [RatingSample] = []
    let features = try await featurizer.features(for: rated.samples.map(\.candidate))
    samples += zip(features, rated.samples).map { RatingSample.rated($0, $1.ratings) }
    if let pairs {
      let trainer = BradleyTerryTrainer(configuration: configuration)
      samples += try await trainer.featurePairs(pairs.allPairs, featurizer: featurizer, progress: progress).map {
        RatingSample.pair($0)
      }
    }
    let featurizeSeconds = Date().timeIntervalSince(started)
    var generator = SeededGenerator(seed: configuration.seed)
    var order = Array(samples.indices)
    generator.shuffle(&order)
    let validationCount =
      samples.count > 10 ? Int((Double(samples.count) * configuration.validationFraction).rounded()) : 0
    let validation = order.prefix(validationCount).map { samples[$0] }
    let train = order.dropFirst(validationCount).map { samples[$0] }

    let objective = RegressionObjective(
      dimension: featurizer.dimension, coefficients: coefficients, pairWeight: pairWeight, ordinalLevels: ordinalLevels)
    let fitStarted = Date()
    let fit = try ObjectiveTrainer(configuration: configuration).train(
      objective, train: train, validation: validation, progress: progress)
    var result = TrainingResult(
      weights: [], history: fit.history, bestEpoch: fit.bestEpoch, trainPairs: train.count,
      validationPairs: validation.count, trainSeconds: Date().timeIntervalSince(fitStarted))
    result.featurizeSeconds = featurizeSeconds
    result.featurizedTexts = features.count + 2 * (pairs?.allPairs.count ?? 0)

    let best = fit.history[fit.bestEpoch - 1]
    var metrics = JSONObject([
      ("best_epoch", .int(Int64(fit.bestEpoch))), ("train_samples", .int(Int64(train.count))),
      ("validation_samples", .int(Int64(validation.count))), ("train_loss", .double(best.trainLoss)),
      ("train_accuracy", .double(best.trainAccuracy)), ("epochs", .array(fit.history.map(\.json))),
    ])
    if let loss = best.validationLoss { metrics["validation_loss"] = .double(loss) }
    if let accuracy = best.validationAccuracy { metrics["validation_accuracy"] = .double(accuracy) }
    var data: [JSONValue] = [["rated_samples": .int(Int64(rated.samples.count))]]
    if let pairs { data += pairs.files.map { ["path": .string($0.path), "format": .string($0.format.rawValue)] } }
    let training: JSONValue = [
      "objective": .string(pairs == nil ? "regression" : "bradley-terry+regression"),
      "configuration": configuration.json, "attributes": .array(rated.attributes.map(JSONValue.string)),
      "pair_weight": .double(pairWeight), "data": .array(data),
      "loss": .string(ordinalLevels.map { "ordinal (\($0) grades)" } ?? "mse"),
    ]
    let head = RegressionHead(objective: objective, attributeNames: rated.attributes, parameters: fit.parameters)
    return (
      Checkpoint(head: head, featurizer: featurizer.descriptor, training: training, metrics: .object(metrics)), result
    )
  }
}
