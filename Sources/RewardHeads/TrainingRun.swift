import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// Trains a Bradley–Terry head on a data set end to end and packages the checkpoint: the
/// library call behind `reward train`.
/// The head families `reward train --head` fits.
public enum HeadFamily: Sendable, Equatable {
  case bradleyTerry
  case ensemble(members: Int, aggregation: EnsembleAggregation)
  case preferenceEmbedding(blocks: Int, temperature: Double, gated: Bool)
  case mixture(heads: Int)
}

public struct TrainingRun: Sendable {
  public var featurizer: any Featurizer
  public var configuration: TrainingConfiguration
  public var family: HeadFamily
  /// Fit a temperature on the validation split and keep it in the checkpoint.
  public var calibrate: Bool

  public init(
    featurizer: any Featurizer, configuration: TrainingConfiguration, family: HeadFamily = .bradleyTerry,
    calibrate: Bool = false
  ) {
    self.featurizer = featurizer
    self.configuration = configuration
    self.family = family
    self.calibrate = calibrate
  }

  var members: Int {
    if case .ensemble(let members, _) = family { return members }
    return 1
  }

  public func run(
    _ dataset: PreferenceDataset, progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) async throws -> (checkpoint: Checkpoint, result: TrainingResult) {
    guard members >= 1 else { throw ConfigurationError("an ensemble needs at least 1 member, got \(members)") }
    let trainer = BradleyTerryTrainer(configuration: configuration)
    let featurizeStart = Date()
    var pairs = try await trainer.featurePairs(dataset.allPairs, featurizer: featurizer, progress: progress)
    var annotatorNames: [String] = []
    if case .preferenceEmbedding(_, _, true) = family {
      try await addPromptFeatures(&pairs, dataset)
    } else if case .mixture = family {
      try await addPromptFeatures(&pairs, dataset)
      annotatorNames = addAnnotators(&pairs, dataset)
    }
    let featurizeSeconds = Date().timeIntervalSince(featurizeStart)
    // One split for every member, so the validation pairs are unseen by all of them.
    let (train, validation) = BradleyTerryTrainer.split(
      pairs, validationFraction: configuration.validationFraction, seed: configuration.seed)
    switch family {
    case .preferenceEmbedding(let blocks, let temperature, let gated):
      let objective = PreferenceEmbeddingObjective(
        dimension: featurizer.dimension, blocks: blocks, temperature: temperature, gated: gated)
      return try fitObjective(
        objective, train: train, validation: validation, dataset: dataset, featurizeSeconds: featurizeSeconds,
        progress: progress
      ) { PreferenceEmbeddingHead(objective: objective, parameters: $0) }
    case .mixture(let heads):
      let objective = MixtureObjective(dimension: featurizer.dimension, heads: heads, annotators: annotatorNames.count)
      return try fitObjective(
        objective, train: train, validation: validation, dataset: dataset, featurizeSeconds: featurizeSeconds,
        progress: progress
      ) { MixtureHead(objective: objective, parameters: $0, annotatorNames: annotatorNames) }
    case .bradleyTerry, .ensemble: break
    }
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

    let head: any RewardHead
    if case .ensemble(_, let aggregation) = family {
      head = EnsembleHead(members: results.map(\.weights), aggregation: aggregation)
    } else {
      head = LinearHead(weights: result.weights)
    }
    var metrics = metricsJSON(results)
    let (temperature, calibrationMetrics) = calibration(
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
    let checkpoint = Checkpoint(
      head: head, featurizer: featurizer.descriptor, training: .object(trainingJSON(dataset)),
      metrics: .object(metrics),
      temperature: temperature)
    return (checkpoint, result)
  }

  /// Validation accuracy and ECE of σ(margin), and with `calibrate` the fitted temperature.
  private func calibration(
    validation: [FeaturePair], fitTemperature: Bool, margins computeMargins: () -> [Double]
  ) -> (temperature: Double, metrics: JSONObject) {
    var metrics = JSONObject()
    guard !validation.isEmpty else { return (1, metrics) }
    let margins = computeMargins()
    var temperature = 1.0
    let targets = validation.map(\.chosenProbability)
    let strict = validation.indices.filter { validation[$0].chosenProbability != 0.5 }
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

  /// Trains a `PairwiseObjective` family and packages its head.
  private func fitObjective<Objective: PairwiseObjective>(
    _ objective: Objective, train: [FeaturePair], validation: [FeaturePair], dataset: PreferenceDataset,
    featurizeSeconds: Double, progress: (@Sendable (TrainingEvent) -> Void)?,
    makeHead: ([Float]) -> any CheckpointHead
  ) throws -> (checkpoint: Checkpoint, result: TrainingResult) {
    let started = Date()
    let fit = try ObjectiveTrainer(configuration: configuration).train(
      objective, train: train, validation: validation, progress: progress)
    var result = TrainingResult(
      weights: [], history: fit.history, bestEpoch: fit.bestEpoch, trainPairs: train.count,
      validationPairs: validation.count, trainSeconds: Date().timeIntervalSince(started), validation: validation)
    result.featurizeSeconds = featurizeSeconds
    result.featurizedTexts = 2 * (train.count + validation.count)
    var metrics = metricsJSON([result])
    if !validation.isEmpty {
      let probabilities = validation.map { objective.probability(fit.parameters, pair: $0) }
      // As margins: logit(p), so accuracy and ECE are computed the same way as for rewards.
      let margins = probabilities.map { Foundation.log(max($0, 1e-12) / max(1 - $0, 1e-12)) }
      // Temperature scaling applies to reward differences; these heads report ECE only.
      let (_, calibrationMetrics) = calibration(validation: validation, fitTemperature: false, margins: { margins })
      for (key, value) in calibrationMetrics.entries { metrics[key] = value }
    }
    let checkpoint = Checkpoint(
      head: makeHead(fit.parameters), featurizer: featurizer.descriptor, training: .object(trainingJSON(dataset)),
      metrics: .object(metrics))
    return (checkpoint, result)
  }

  private func addPromptFeatures(_ pairs: inout [FeaturePair], _ dataset: PreferenceDataset) async throws {
    let usable = configuration.softLabels ? dataset.allPairs : dataset.allPairs.filter { !$0.isTie }
    let prompts = try await featurizer.promptFeatures(for: usable.map(\.prompt))
    for i in pairs.indices { pairs[i].prompt = prompts[i] }
  }

  /// Gives each pair its annotator's index; returns the names in index order.
  private func addAnnotators(_ pairs: inout [FeaturePair], _ dataset: PreferenceDataset) -> [String] {
    let usable = configuration.softLabels ? dataset.allPairs : dataset.allPairs.filter { !$0.isTie }
    var names: [String] = []
    var index: [String: Int] = [:]
    for (i, pair) in usable.enumerated() {
      guard let name = pair.annotator else { continue }
      if index[name] == nil {
        index[name] = names.count
        names.append(name)
      }
      pairs[i].annotator = index[name]
    }
    return names
  }

  private func trainingJSON(_ dataset: PreferenceDataset) -> JSONObject {
    let files: [JSONValue] = dataset.files.map { ["path": .string($0.path), "format": .string($0.format.rawValue)] }
    var training = JSONObject([
      ("objective", "bradley-terry"), ("configuration", configuration.json), ("data", .array(files)),
      ("data_pairs", .int(Int64(dataset.allPairs.count))), ("skipped_records", .int(Int64(dataset.skipped.count))),
      ("data_hash", .string(Self.contentHash(dataset.allPairs))),
    ])
    if members > 1 { training["ensemble_members"] = .int(Int64(members)) }
    training["head_family"] = .string(familyName)
    return training
  }

  var familyName: String {
    switch family {
    case .bradleyTerry: "bt"
    case .ensemble: "ensemble"
    case .preferenceEmbedding: "gpm"
    case .mixture: "mixture"
    }
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
      pair.combineTexts(into: &hasher)
      hasher.combine(String(pair.chosenProbability))
      hasher.combine(pair.margin.map { String($0) } ?? "-")
    }
    return hasher.hexDigest
  }
}
