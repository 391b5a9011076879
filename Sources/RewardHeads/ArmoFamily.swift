import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// ArmoRM, trained end to end: stage 1, one ridge probe per rated objective on the frozen
/// features (λ chosen on a validation split); optional decorrelation from a verbosity objective;
/// stage 2, the gate on preference pairs with the Bradley–Terry loss.
public struct ArmoFamily: HeadFamily {
  public static let name = "armo"
  public static let input = TrainingInput.pairsAndRated
  public var objective: String { "armo" }
  /// The rated attribute that measures verbosity; the others are decorrelated from it.
  public var verbosityAttribute: String?
  public var correlationThreshold: Double
  public var gateHidden: Int
  public var gateTemperature: Double

  public init(
    verbosityAttribute: String? = nil, correlationThreshold: Double = 0.03, gateHidden: Int = 16,
    gateTemperature: Double = 1
  ) {
    self.verbosityAttribute = verbosityAttribute
    self.correlationThreshold = correlationThreshold
    self.gateHidden = gateHidden
    self.gateTemperature = gateTemperature
  }

  public func validate() throws(ConfigurationError) {
    guard correlationThreshold > 0 && correlationThreshold < 1 else {
      throw ConfigurationError("the correlation threshold must be in (0, 1), got \(correlationThreshold)")
    }
    guard gateHidden >= 1 else { throw ConfigurationError("the gate needs at least 1 hidden unit, got \(gateHidden)") }
    guard gateTemperature > 0 && gateTemperature.isFinite else {
      throw ConfigurationError("the gate temperature must be a number > 0, got \(gateTemperature)")
    }
  }

  public func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel {
    let rated = try data.requireRated(name)
    let pairs = try data.requirePairs(name)
    let started = Date()
    let dimension = featurizer.dimension
    let objectives = rated.attributes.count
    let verbosityIndex = try verbosityAttribute.map { name throws(ConfigurationError) in
      guard let index = rated.attributes.firstIndex(of: name) else {
        throw ConfigurationError(
          "verbosity attribute '\(name)' is not among \(rated.attributes.joined(separator: ", "))")
      }
      return index
    }

    // Stage 1: ridge probes.
    let ratedFeatures = try await featurizer.features(for: rated.samples.map(\.candidate))
    // Ridge needs a validation part to choose λ, so at least a tenth is held out however small the data.
    var generator = SeededGenerator(seed: configuration.seed)
    let probeSplit = ValidationSplit(fraction: max(configuration.validationFraction, 0.1), minimumCount: 0)
    let validationSet = Set(probeSplit.indices(count: rated.samples.count, using: &generator).validation)
    var probes: [Float] = []
    var biases: [Float] = []
    var probeMetrics: [JSONValue] = []
    for k in 0..<objectives {
      var train: [(FeatureVector, Double)] = []
      var validation: [(FeatureVector, Double)] = []
      for i in rated.samples.indices {
        guard let y = rated.samples[i].ratings[k] else { continue }
        if validationSet.contains(i) {
          validation.append((ratedFeatures[i], y))
        } else {
          train.append((ratedFeatures[i], y))
        }
      }
      guard !train.isEmpty else { throw ConfigurationError("objective '\(rated.attributes[k])' has no ratings") }
      let fit = RidgeRegression.fitChoosingLambda(train: train, validation: validation, dimension: dimension)
      probes += fit.weights
      biases.append(Float(fit.bias))
      probeMetrics.append([
        "objective": .string(rated.attributes[k]), "lambda": .double(fit.lambda),
        "validation_mse": .double(fit.validationMSE), "ratings": .int(Int64(train.count + validation.count)),
      ])
    }

    // Decorrelation from verbosity, measured on the rated responses.
    var decorrelation = [Double](repeating: 0, count: objectives)
    var head = ArmoHead(
      objectiveNames: rated.attributes, probes: probes, probeBiases: biases, decorrelation: decorrelation,
      verbosityIndex: nil, gate: GatingObjective(dimension: dimension, hidden: gateHidden, objectives: objectives),
      gateParameters: [])
    var decorrelationMetrics: [JSONValue] = []
    if let v = verbosityIndex {
      let raw = ratedFeatures.map(head.objectiveScores)
      let verbosity = raw.map { $0[v] }
      for k in 0..<objectives where k != v {
        let (lambda, rho) = VerbosityDecorrelation.coefficient(
          scores: raw.map { $0[k] }, verbosity: verbosity, threshold: correlationThreshold)
        decorrelation[k] = lambda
        decorrelationMetrics.append([
          "objective": .string(rated.attributes[k]), "lambda": .double(lambda),
          "spearman_before": .double(spearmanCorrelation(raw.map { $0[k] }, verbosity)), "spearman_after": .double(rho),
        ])
      }
    }

    // Stage 2: the gate on pairs.
    let gate = GatingObjective(
      dimension: dimension, hidden: gateHidden, objectives: objectives, temperature: gateTemperature)
    head = ArmoHead(
      objectiveNames: rated.attributes, probes: probes, probeBiases: biases, decorrelation: decorrelation,
      verbosityIndex: verbosityIndex, gate: gate, gateParameters: [])
    let usable = configuration.usablePairs(pairs.allPairs)
    let responses = try await featurizer.features(for: usable.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] })
    let prompts = try await featurizer.promptFeatures(for: usable.map(\.prompt))
    let gated = usable.indices.map { i in
      GatedPair(
        prompt: prompts[i], chosenScores: head.objectiveScores(responses[2 * i]),
        rejectedScores: head.objectiveScores(responses[2 * i + 1]),
        chosenProbability: configuration.label(of: usable[i]))
    }
    let featurizeSeconds = Date().timeIntervalSince(started)
    // The pairs' split continues the probes' generator.
    let (trainPairs, validationPairs) = configuration.split.split(gated, using: &generator)
    let fitStarted = Date()
    let fit = try ObjectiveTrainer(configuration: configuration).train(
      gate, train: trainPairs, validation: validationPairs, progress: progress)
    head = ArmoHead(
      objectiveNames: rated.attributes, probes: probes, probeBiases: biases, decorrelation: decorrelation,
      verbosityIndex: verbosityIndex, gate: gate, gateParameters: fit.parameters)

    var result = TrainingResult(
      weights: [], history: fit.history, bestEpoch: fit.bestEpoch, trainPairs: trainPairs.count,
      validationPairs: validationPairs.count, trainSeconds: Date().timeIntervalSince(fitStarted))
    result.featurizeSeconds = featurizeSeconds
    result.featurizedTexts = ratedFeatures.count + responses.count + prompts.count
    let best = fit.history[fit.bestEpoch - 1]
    var metrics = JSONObject([
      ("probes", .array(probeMetrics)), ("decorrelation", .array(decorrelationMetrics)),
      ("best_epoch", .int(Int64(fit.bestEpoch))), ("train_loss", .double(best.trainLoss)),
      ("train_accuracy", .double(best.trainAccuracy)), ("reward_scale", .double(gate.scale(fit.parameters))),
      ("epochs", .array(fit.history.map(\.json))),
    ])
    if let accuracy = best.validationAccuracy { metrics["validation_accuracy"] = .double(accuracy) }
    if let loss = best.validationLoss { metrics["validation_loss"] = .double(loss) }
    let extra = JSONObject([
      ("rated_samples", .int(Int64(rated.samples.count))), ("pairs", .int(Int64(usable.count))),
      ("correlation_threshold", .double(correlationThreshold)),
    ])
    let checkpoint = Checkpoint(
      head: head, featurizer: featurizer.descriptor,
      training: trainingRecord(self, configuration: configuration, pairs: pairs, extra: extra),
      metrics: .object(metrics))
    return TrainedModel(checkpoint: checkpoint, result: result)
  }
}
