import Foundation
import RewardCore
import RewardData
import RewardFeatures
import RewardTensor

/// What one epoch did, for progress output and the checkpoint's metrics.
public struct EpochMetrics: Sendable, Equatable {
  public var epoch: Int
  public var trainLoss: Double
  public var trainAccuracy: Double
  public var validationLoss: Double?
  public var validationAccuracy: Double?
  /// Mean of r_c − r_r on the validation pairs (or training pairs without validation).
  public var meanMargin: Double
  public var seconds: Double

  public var json: JSONValue {
    var object = JSONObject([
      ("epoch", .int(Int64(epoch))), ("train_loss", .double(trainLoss)), ("train_accuracy", .double(trainAccuracy)),
      ("mean_margin", .double(meanMargin)), ("seconds", .double(seconds)),
    ])
    if let validationLoss { object["validation_loss"] = .double(validationLoss) }
    if let validationAccuracy { object["validation_accuracy"] = .double(validationAccuracy) }
    return .object(object)
  }
}

/// Progress events while training, so a CLI can draw a bar without the trainer knowing terminals.
public enum TrainingEvent: Sendable {
  case featurized(done: Int, total: Int)
  case step(epoch: Int, done: Int, total: Int, loss: Double)
  case epochEnded(EpochMetrics)
}

/// The outcome of training: the weights with the best validation loss and the history.
public struct TrainingResult: Sendable {
  public var weights: [Float]
  public var history: [EpochMetrics]
  public var bestEpoch: Int
  public var trainPairs: Int
  public var validationPairs: Int
  /// Wall-clock seconds of the optimisation (all epochs, including per-epoch evaluation).
  public var trainSeconds: Double
  /// Set by the head family: time spent turning texts into features, and how many texts.
  public var featurizeSeconds = 0.0
  public var featurizedTexts = 0

  /// The held-out pairs (for calibration and strength estimates).
  public var validation: [FeaturePair] = []

  /// Pair-updates per second: training pairs × epochs run / training time.
  public var pairsPerSecond: Double { trainSeconds > 0 ? Double(trainPairs * history.count) / trainSeconds : 0 }
}

/// Mini-batch AdamW training of a linear Bradley–Terry head, seeded and deterministic (single
/// threaded updates, a seeded shuffle per epoch), with early stopping on a validation split.
public struct BradleyTerryTrainer: Sendable {
  public var configuration: TrainingConfiguration

  public init(configuration: TrainingConfiguration) {
    self.configuration = configuration
  }

  /// Turns preference pairs into training pairs per the label settings (ties are left out of
  /// hard-label training because they carry no direction).
  public func featurePairs(
    _ pairs: [PreferencePair], featurizer: any Featurizer, progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) async throws -> [FeaturePair] {
    let usable = configuration.usablePairs(pairs)
    var result: [FeaturePair] = []
    result.reserveCapacity(usable.count)
    let chunk = 2048
    for start in stride(from: 0, to: usable.count, by: chunk) {
      let slice = usable[start..<min(usable.count, start + chunk)]
      let vectors = try await featurizer.features(for: slice.flatMap { [$0.chosenCandidate, $0.rejectedCandidate] })
      for (offset, pair) in slice.enumerated() {
        result.append(
          FeaturePair(
            chosen: vectors[2 * offset], rejected: vectors[2 * offset + 1],
            chosenProbability: configuration.label(of: pair),
            margin: configuration.useMargins ? (pair.margin ?? 0) : 0))
      }
      progress?(.featurized(done: min(usable.count, start + chunk), total: usable.count))
    }
    return result
  }

  /// Splits `data` into train and validation parts (seeded), then trains.
  public func train(
    _ data: [FeaturePair], dimension: Int, progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) throws -> TrainingResult {
    let (train, validation) = configuration.split.split(data, seed: configuration.seed)
    return try self.train(train: train, validation: validation, dimension: dimension, progress: progress)
  }

  /// Trains on `train`, stopping early on `validation` (when given). With `bootstrap`, the
  /// training pairs are first resampled with replacement (ensemble members).
  public func train(
    train trainPairs: [FeaturePair], validation: [FeaturePair], dimension: Int,
    progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) throws -> TrainingResult {
    var train = trainPairs
    if configuration.bootstrap && !trainPairs.isEmpty {
      var generator = SeededGenerator(seed: configuration.seed &+ 0xB007)
      train = trainPairs.indices.map { _ in trainPairs[generator.nextIndex(below: trainPairs.count)] }
    }
    let objective = BradleyTerryObjective(
      dimension: dimension,
      loss: BradleyTerryLoss(
        labelSmoothing: configuration.labelSmoothing, centerRewardsCoefficient: configuration.centerRewardsCoefficient))
    let started = Date()
    let fit = try ObjectiveTrainer(configuration: configuration).train(
      objective, train: train, validation: validation, progress: progress)
    return TrainingResult(
      weights: fit.parameters, history: fit.history, bestEpoch: fit.bestEpoch, trainPairs: train.count,
      validationPairs: validation.count, trainSeconds: Date().timeIntervalSince(started), validation: validation)
  }

  /// Loss, strict accuracy (ties in the label are not counted; a tied score counts as wrong)
  /// and mean margin of a linear head on pairs.
  public static func evaluate(
    _ weights: [Float], _ pairs: [FeaturePair], loss: BradleyTerryLoss
  ) -> (loss: Double, accuracy: Double, meanMargin: Double) {
    var lossSum = 0.0
    var correct = 0
    var counted = 0
    var marginSum = 0.0
    weights.withUnsafeBufferPointer { w in
      for pair in pairs {
        let chosen = Double(pair.chosen.dot(w))
        let rejected = Double(pair.rejected.dot(w))
        lossSum += loss.terms(chosenReward: chosen, rejectedReward: rejected, pair: pair).loss
        marginSum += chosen - rejected
        if !pair.isTie {
          counted += 1
          if chosen > rejected { correct += 1 }
        }
      }
    }
    let n = Double(max(pairs.count, 1))
    return (lossSum / n, counted == 0 ? 0 : Double(correct) / Double(counted), marginSum / n)
  }
}

/// The Bradley–Terry loss of a linear head as a `PairwiseObjective`, so it trains with the same
/// `ObjectiveTrainer` as every other family.
public struct BradleyTerryObjective: PairwiseObjective {
  public let dimension: Int
  public let loss: BradleyTerryLoss

  public var parameterCount: Int { dimension }

  /// Zeros: the objective is convex, there is no symmetry to break.
  public func initialParameters(seed: UInt64) -> [Float] { [Float](repeating: 0, count: dimension) }

  public func lossAndGradient(_ parameters: [Float], batch: ArraySlice<FeaturePair>, gradient: inout [Float]) -> Double
  {
    loss.lossAndGradient(weights: parameters, batch: batch, gradient: &gradient)
  }

  public func probability(_ parameters: [Float], pair: FeaturePair) -> Double {
    parameters.withUnsafeBufferPointer { w in
      sigmoid(Double(pair.chosen.dot(w)) - Double(pair.rejected.dot(w)) - pair.margin)
    }
  }

  /// Loss as trained (with centring and smoothing) and strict accuracy (a tied score is wrong).
  public func evaluate(_ parameters: [Float], _ samples: [FeaturePair]) -> (loss: Double, accuracy: Double) {
    let result = BradleyTerryTrainer.evaluate(parameters, samples, loss: loss)
    return (result.loss, result.accuracy)
  }

  public func meanMargin(_ parameters: [Float], _ samples: [FeaturePair]) -> Double {
    BradleyTerryTrainer.evaluate(parameters, samples, loss: loss).meanMargin
  }
}
