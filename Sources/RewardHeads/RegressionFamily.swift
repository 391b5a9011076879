import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// How a regression head scores a rating.
public enum RegressionLoss: Sendable, Equatable {
  /// Mean squared error on the observed ratings.
  case mse
  /// Cumulative-link logistic over grades 0…levels−1 (HelpSteer2: 5).
  case ordinal(levels: Int)

  var ordinalLevels: Int? {
    if case .ordinal(let levels) = self { return levels }
    return nil
  }

  var recordName: String {
    switch self {
    case .mse: "mse"
    case .ordinal(let levels): "ordinal (\(levels) grades)"
    }
  }
}

/// One output per rated attribute (HelpSteer2-style), trained with `loss` on the ratings, missing
/// ones masked; the reward is Σ c_a s_a with c from `rewardWeights`.
public struct RegressionFamily: HeadFamily {
  public static let name = "regression"
  public static let input = TrainingInput.rated
  public var objective: String { "regression" }
  /// c_a by attribute name; attributes not named weigh 0. Empty: the first attribute, weight 1.
  public var rewardWeights: [String: Double]
  public var loss: RegressionLoss

  public init(rewardWeights: [String: Double] = [:], loss: RegressionLoss = .mse) {
    self.rewardWeights = rewardWeights
    self.loss = loss
  }

  public func validate() throws(ConfigurationError) {
    if case .ordinal(let levels) = loss, levels < 2 {
      throw ConfigurationError("the ordinal loss needs at least 2 grades, got \(levels)")
    }
    if let bad = rewardWeights.first(where: { !$0.value.isFinite }) {
      throw ConfigurationError("reward weight of '\(bad.key)' must be a finite number, got \(bad.value)")
    }
  }

  /// c_a in the rated data's attribute order.
  func coefficients(for attributes: [String]) throws(ConfigurationError) -> [Double] {
    guard !rewardWeights.isEmpty else { return attributes.indices.map { $0 == 0 ? 1 : 0 } }
    if let unknown = rewardWeights.keys.sorted().first(where: { !attributes.contains($0) }) {
      throw ConfigurationError(
        "reward weight for '\(unknown)': not a rated attribute (the data has \(attributes.joined(separator: ", ")))")
    }
    return attributes.map { rewardWeights[$0] ?? 0 }
  }

  public func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel {
    try await fitRegression(
      family: self, regression: self, rated: data.requireRated(name), pairs: nil, pairWeight: 1, featurizer: featurizer,
      configuration: configuration, progress: progress)
  }
}

/// Regression on rated responses plus Bradley–Terry on the combined reward for preference pairs
/// (as HelpSteer2-Preference combines both kinds of data).
public struct BradleyTerryRegressionFamily: HeadFamily {
  public static let name = "bt+regression"
  public static let input = TrainingInput.pairsAndRated
  public var objective: String { "bradley-terry+regression" }
  public var regression: RegressionFamily
  /// Weight of the Bradley–Terry term against the regression term.
  public var pairWeight: Double

  public init(regression: RegressionFamily = RegressionFamily(), pairWeight: Double = 1) {
    self.regression = regression
    self.pairWeight = pairWeight
  }

  public func validate() throws(ConfigurationError) {
    try regression.validate()
    guard pairWeight >= 0 && pairWeight.isFinite else {
      throw ConfigurationError("the pair weight must be a finite number ≥ 0, got \(pairWeight)")
    }
  }

  public func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel {
    try await fitRegression(
      family: self, regression: regression, rated: data.requireRated(name), pairs: data.requirePairs(name),
      pairWeight: pairWeight,
      featurizer: featurizer, configuration: configuration, progress: progress)
  }
}

private func fitRegression(
  family: some HeadFamily, regression: RegressionFamily, rated: RatedDataset, pairs: PreferenceDataset?,
  pairWeight: Double, featurizer: any Featurizer,
  configuration: TrainingConfiguration, progress: (@Sendable (TrainingEvent) -> Void)?
) async throws -> TrainedModel {
  let coefficients = try regression.coefficients(for: rated.attributes)
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
  let (train, validation) = configuration.split.split(samples, seed: configuration.seed)

  let objective = RegressionObjective(
    dimension: featurizer.dimension, coefficients: coefficients, pairWeight: pairWeight,
    ordinalLevels: regression.loss.ordinalLevels)
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
  var extra = JSONObject([
    ("attributes", .array(rated.attributes.map(JSONValue.string))), ("loss", .string(regression.loss.recordName)),
    ("rated_samples", .int(Int64(rated.samples.count))),
  ])
  if pairs != nil { extra["pair_weight"] = .double(pairWeight) }
  let head = RegressionHead(objective: objective, attributeNames: rated.attributes, parameters: fit.parameters)
  let checkpoint = Checkpoint(
    head: head, featurizer: featurizer.descriptor,
    training: trainingRecord(family, configuration: configuration, pairs: pairs, extra: extra),
    metrics: .object(metrics))
  return TrainedModel(checkpoint: checkpoint, result: result)
}
