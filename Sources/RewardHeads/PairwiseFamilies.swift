import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// Bradley–Terry: one linear head, loss −log σ(r_c − r_r − margin) as TRL's RewardTrainer, with
/// soft labels, optional label smoothing and reward centring.
public struct BradleyTerryFamily: HeadFamily {
  public static let name = "bt"
  public static let input = TrainingInput.pairs
  public var objective: String { "bradley-terry" }
  /// Fit a temperature on the validation split and keep it in the checkpoint.
  public var calibrate: Bool

  public init(calibrate: Bool = false) { self.calibrate = calibrate }

  public func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel {
    let dataset = try data.requirePairs(name)
    let prepared = try await PreparedPairs(
      dataset, featurizer: featurizer, configuration: configuration, progress: progress)
    return try LinearHeads(members: 1, aggregation: nil, calibrate: calibrate).fit(
      prepared, family: self, dataset: dataset, featurizer: featurizer, configuration: configuration, progress: progress
    )
  }
}

/// `members` Bradley–Terry heads from different seeds and bootstrap resamples; the reward is
/// aggregated by `aggregation`, the uncertainty is the members' standard deviation.
public struct EnsembleFamily: HeadFamily {
  public static let name = "ensemble"
  public static let input = TrainingInput.pairs
  public var objective: String { "bradley-terry" }
  public var members: Int
  public var aggregation: EnsembleAggregation
  public var calibrate: Bool

  public init(members: Int = 5, aggregation: EnsembleAggregation = .mean, calibrate: Bool = false) {
    self.members = members
    self.aggregation = aggregation
    self.calibrate = calibrate
  }

  public func validate() throws(ConfigurationError) {
    guard members >= 2 else { throw ConfigurationError("an ensemble needs at least 2 members, got \(members)") }
  }

  public func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel {
    let dataset = try data.requirePairs(name)
    let prepared = try await PreparedPairs(
      dataset, featurizer: featurizer, configuration: configuration, progress: progress)
    return try LinearHeads(members: members, aggregation: aggregation, calibrate: calibrate).fit(
      prepared, family: self, dataset: dataset, featurizer: featurizer, configuration: configuration, progress: progress
    )
  }
}

/// General preference model: preference embeddings, P(a ≻ b) = σ(⟨v_a, R v_b⟩/τ) with R
/// skew-symmetric; represents cyclic preferences; pairwise only (no scalar reward).
public struct PreferenceEmbeddingFamily: HeadFamily {
  public static let name = "gpm"
  public static let input = TrainingInput.pairs
  public var objective: String { "general-preference" }
  public var blocks: Int
  public var temperature: Double
  public var gated: Bool

  public init(blocks: Int = 4, temperature: Double = 1, gated: Bool = false) {
    self.blocks = blocks
    self.temperature = temperature
    self.gated = gated
  }

  public func validate() throws(ConfigurationError) {
    guard blocks >= 1 else { throw ConfigurationError("preference-embedding blocks must be ≥ 1, got \(blocks)") }
    guard temperature > 0 && temperature.isFinite else {
      throw ConfigurationError("preference-embedding temperature must be a number > 0, got \(temperature)")
    }
  }

  public func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel {
    let dataset = try data.requirePairs(name)
    let prepared = try await PreparedPairs(
      dataset, featurizer: featurizer, configuration: configuration, promptFeatures: gated, progress: progress)
    let objective = PreferenceEmbeddingObjective(
      dimension: featurizer.dimension, blocks: blocks, temperature: temperature, gated: gated)
    return try fitPairwiseObjective(
      objective, prepared, family: self, dataset: dataset, featurizer: featurizer, configuration: configuration,
      progress: progress
    ) { PreferenceEmbeddingHead(objective: objective, parameters: $0) }
  }
}

/// `heads` reward heads mixed by a router on the prompt (with per-annotator offsets when the data
/// has `annotator`), trained on the mixture's likelihood of the preferences.
public struct MixtureFamily: HeadFamily {
  public static let name = "mixture"
  public static let input = TrainingInput.pairs
  public var objective: String { "mixture-of-bradley-terry" }
  public var heads: Int

  public init(heads: Int = 2) { self.heads = heads }

  public func validate() throws(ConfigurationError) {
    guard heads >= 1 else { throw ConfigurationError("a mixture needs at least 1 head, got \(heads)") }
  }

  public func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel {
    let dataset = try data.requirePairs(name)
    let prepared = try await PreparedPairs(
      dataset, featurizer: featurizer, configuration: configuration, promptFeatures: true, annotators: true,
      progress: progress)
    let names = prepared.annotatorNames
    let objective = MixtureObjective(dimension: featurizer.dimension, heads: heads, annotators: names.count)
    return try fitPairwiseObjective(
      objective, prepared, family: self, dataset: dataset, featurizer: featurizer, configuration: configuration,
      progress: progress
    ) { MixtureHead(objective: objective, parameters: $0, annotatorNames: names) }
  }
}

/// A data set's usable pairs as features, split once into training and validation pairs (one
/// split for every ensemble member, so the validation pairs are unseen by all of them).
struct PreparedPairs {
  var train: [FeaturePair]
  var validation: [FeaturePair]
  var count: Int
  /// Annotator names in the index order `FeaturePair.annotator` uses.
  var annotatorNames: [String] = []
  var featurizeSeconds: Double

  init(
    _ dataset: PreferenceDataset, featurizer: any Featurizer, configuration: TrainingConfiguration,
    promptFeatures: Bool = false, annotators: Bool = false, progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws {
    let started = Date()
    let usable = configuration.usablePairs(dataset.allPairs)
    var pairs = try await BradleyTerryTrainer(configuration: configuration).featurePairs(
      usable, featurizer: featurizer, progress: progress)
    if promptFeatures {
      let prompts = try await featurizer.promptFeatures(for: usable.map(\.prompt))
      for i in pairs.indices { pairs[i].prompt = prompts[i] }
    }
    if annotators {
      var index: [String: Int] = [:]
      for (i, pair) in usable.enumerated() {
        guard let name = pair.annotator else { continue }
        if index[name] == nil {
          index[name] = annotatorNames.count
          annotatorNames.append(name)
        }
        pairs[i].annotator = index[name]
      }
    }
    featurizeSeconds = Date().timeIntervalSince(started)
    count = pairs.count
    (train, validation) = configuration.split.split(pairs, seed: configuration.seed)
  }
}

/// Linear Bradley–Terry heads: one for `bt`, several members for `ensemble`.
struct LinearHeads {
  var members: Int
  var aggregation: EnsembleAggregation?
  var calibrate: Bool

  func fit(
    _ prepared: PreparedPairs, family: some HeadFamily, dataset: PreferenceDataset, featurizer: any Featurizer,
    configuration: TrainingConfiguration, progress: (@Sendable (TrainingEvent) -> Void)?
  ) throws -> TrainedModel {
    let (train, validation) = (prepared.train, prepared.validation)
    var results: [TrainingResult] = []
    for member in 0..<members {
      var memberConfiguration = configuration
      memberConfiguration.seed = configuration.seed &+ UInt64(member)
      // Members differ by seed and, for ensembles, by a bootstrap resample of the training pairs.
      memberConfiguration.bootstrap = configuration.bootstrap || members > 1
      results.append(
        try BradleyTerryTrainer(configuration: memberConfiguration).train(
          train: train, validation: validation, dimension: featurizer.dimension, progress: progress))
    }
    var result = results[0]
    result.featurizeSeconds = prepared.featurizeSeconds
    result.featurizedTexts = 2 * prepared.count
    result.trainSeconds = results.reduce(0) { $0 + $1.trainSeconds }

    let head: any RewardHead
    if let aggregation {
      head = EnsembleHead(members: results.map(\.weights), aggregation: aggregation)
    } else {
      head = LinearHead(weights: result.weights)
    }
    var metrics = metricsJSON(results)
    let (temperature, calibrationMetrics) = validationCalibration(
      validation: validation, fitTemperature: calibrate,
      margins: {
        let rewards = head.rewards(validation.flatMap { [$0.chosen, $0.rejected] })
        return validation.indices.map { rewards[2 * $0].value - rewards[2 * $0 + 1].value }
      })
    for (key, value) in calibrationMetrics.entries { metrics[key] = value }
    if let ensemble = head as? EnsembleHead, !validation.isEmpty {
      // Whether the members' confidence (|mean|/std of their margins) is informative on pairs
      // none of them trained on.
      let strengths = PairStrength.pairs(
        memberRewards: ensemble.memberRewards(validation.flatMap { [$0.chosen, $0.rejected] }))
      let thirds = ConfidenceThirds(
        measure: .signalToNoise, strengths: strengths, labels: validation.map(\.chosenProbability))
      metrics["validation_confident_third_accuracy"] = .double(thirds.mostConfidentAccuracy)
      metrics["validation_uncertain_third_accuracy"] = .double(thirds.leastConfidentAccuracy)
    }
    var extra = JSONObject()
    if members > 1 { extra["ensemble_members"] = .int(Int64(members)) }
    let checkpoint = Checkpoint(
      head: head, featurizer: featurizer.descriptor,
      training: trainingRecord(family, configuration: configuration, pairs: dataset, extra: extra),
      metrics: .object(metrics), temperature: temperature)
    return TrainedModel(checkpoint: checkpoint, result: result)
  }
}

/// Trains a `PairwiseObjective` family (gpm, mixture) and packages its head.
func fitPairwiseObjective<Objective: PairwiseObjective>(
  _ objective: Objective, _ prepared: PreparedPairs, family: some HeadFamily, dataset: PreferenceDataset,
  featurizer: any Featurizer, configuration: TrainingConfiguration, progress: (@Sendable (TrainingEvent) -> Void)?,
  makeHead: ([Float]) -> any CheckpointHead
) throws -> TrainedModel {
  let (train, validation) = (prepared.train, prepared.validation)
  let started = Date()
  let fit = try ObjectiveTrainer(configuration: configuration).train(
    objective, train: train, validation: validation, progress: progress)
  var result = TrainingResult(
    weights: [], history: fit.history, bestEpoch: fit.bestEpoch, trainPairs: train.count,
    validationPairs: validation.count, trainSeconds: Date().timeIntervalSince(started), validation: validation)
  result.featurizeSeconds = prepared.featurizeSeconds
  result.featurizedTexts = 2 * (train.count + validation.count)
  var metrics = metricsJSON([result])
  if !validation.isEmpty {
    let probabilities = validation.map { objective.probability(fit.parameters, pair: $0) }
    // As margins: logit(p), so accuracy and ECE are computed the same way as for rewards.
    let margins = probabilities.map { Foundation.log(max($0, 1e-12) / max(1 - $0, 1e-12)) }
    // Temperature scaling applies to reward differences; these heads report ECE only.
    let (_, calibrationMetrics) = validationCalibration(
      validation: validation, fitTemperature: false, margins: { margins })
    for (key, value) in calibrationMetrics.entries { metrics[key] = value }
  }
  let checkpoint = Checkpoint(
    head: makeHead(fit.parameters), featurizer: featurizer.descriptor,
    training: trainingRecord(family, configuration: configuration, pairs: dataset), metrics: .object(metrics))
  return TrainedModel(checkpoint: checkpoint, result: result)
}

/// Validation accuracy and ECE of σ(margin), and with `fitTemperature` the fitted temperature.
func validationCalibration(
  validation: [FeaturePair], fitTemperature: Bool, margins computeMargins: () -> [Double]
) -> (temperature: Double, metrics: JSONObject) {
  var metrics = JSONObject()
  guard !validation.isEmpty else { return (1, metrics) }
  let margins = computeMargins()
  var temperature = 1.0
  let targets = validation.map(\.chosenProbability)
  let strict = validation.indices.filter { !validation[$0].isTie }
  metrics["validation_accuracy"] = .double(
    Double(strict.count(where: { margins[$0] > 0 })) / Double(max(strict.count, 1)))
  metrics["validation_ece"] = .double(
    TemperatureCalibration.expectedCalibrationError(margins: margins, targets: targets))
  if fitTemperature {
    temperature = TemperatureCalibration.fit(margins: margins, targets: targets)
    metrics["calibration_temperature"] = .double(temperature)
    metrics["validation_ece_calibrated"] = .double(
      TemperatureCalibration.expectedCalibrationError(margins: margins, targets: targets, temperature: temperature))
  }
  return (temperature, metrics)
}

/// The best epoch's figures, the history, and each member's best epoch for ensembles.
func metricsJSON(_ results: [TrainingResult]) -> JSONObject {
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
