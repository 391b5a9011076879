import Foundation
import RewardCore
import RewardFeatures
import RewardTensor

/// A differentiable training objective over a flat parameter vector: what a head family plugs
/// into `ObjectiveTrainer` (mini-batch AdamW, seeded shuffles, early stopping on validation).
public protocol TrainingObjective: Sendable {
  associatedtype Sample: Sendable
  var parameterCount: Int { get }
  /// Starting parameters (small random values where symmetry must be broken).
  func initialParameters(seed: UInt64) -> [Float]
  /// Mean loss over the batch; adds the mean gradient into `gradient`.
  func lossAndGradient(_ parameters: [Float], batch: ArraySlice<Sample>, gradient: inout [Float]) -> Double
  /// Mean loss and an accuracy (what "accuracy" means is the objective's) over samples.
  func evaluate(_ parameters: [Float], _ samples: [Sample]) -> (loss: Double, accuracy: Double)
  /// Mean r_chosen − r_rejected, for objectives that have scalar rewards (0 otherwise).
  func meanMargin(_ parameters: [Float], _ samples: [Sample]) -> Double
}

extension TrainingObjective {
  public func meanMargin(_ parameters: [Float], _ samples: [Sample]) -> Double { 0 }
}

/// An objective on preference pairs.
public protocol PairwiseObjective: TrainingObjective where Sample == FeaturePair {
  /// P(chosen ≻ rejected) for one pair under `parameters`.
  func probability(_ parameters: [Float], pair: FeaturePair) -> Double
}

extension PairwiseObjective {
  /// Cross-entropy against the (soft) label, and strict accuracy over non-tied labels.
  public func evaluate(_ parameters: [Float], _ pairs: [FeaturePair]) -> (loss: Double, accuracy: Double) {
    var loss = 0.0
    var correct = 0
    var counted = 0
    for pair in pairs {
      let p = min(max(probability(parameters, pair: pair), 1e-12), 1 - 1e-12)
      let t = pair.chosenProbability
      loss -= t * Foundation.log(p) + (1 - t) * Foundation.log(1 - p)
      if !pair.isTie {
        counted += 1
        if p > 0.5 { correct += 1 }
      }
    }
    return (loss / Double(max(pairs.count, 1)), counted == 0 ? 0 : Double(correct) / Double(counted))
  }
}

/// Mini-batch AdamW for any `PairwiseObjective`, with the same settings, determinism and early
/// stopping as the Bradley–Terry trainer.
public struct ObjectiveTrainer: Sendable {
  public var configuration: TrainingConfiguration

  public init(configuration: TrainingConfiguration) {
    self.configuration = configuration
  }

  public func train<Objective: TrainingObjective>(
    _ objective: Objective, train trainPairs: [Objective.Sample], validation: [Objective.Sample],
    progress: (@Sendable (TrainingEvent) -> Void)? = nil
  ) throws -> (parameters: [Float], history: [EpochMetrics], bestEpoch: Int) {
    try configuration.validate()
    guard !trainPairs.isEmpty else { throw ConfigurationError("no training samples") }
    var generator = SeededGenerator(seed: configuration.seed &+ 0x5EED)
    var train = trainPairs
    var parameters = objective.initialParameters(seed: configuration.seed)
    var optimizer = AdamW(
      parameterCount: parameters.count, learningRate: configuration.learningRate,
      weightDecay: configuration.weightDecay)
    var gradient = [Float](repeating: 0, count: parameters.count)
    var history: [EpochMetrics] = []
    var best = (loss: Double.infinity, parameters: parameters, epoch: 0)
    var epochsWithoutImprovement = 0
    let steps = (train.count + configuration.batchSize - 1) / configuration.batchSize
    for epoch in 1...configuration.epochs {
      let started = Date()
      generator.shuffle(&train)
      for step in 0..<steps {
        let batch = train[step * configuration.batchSize..<min(train.count, (step + 1) * configuration.batchSize)]
        for i in gradient.indices { gradient[i] = 0 }
        let loss = objective.lossAndGradient(parameters, batch: batch, gradient: &gradient)
        guard loss.isFinite else {
          throw TrainingDiverged(
            epoch: epoch, step: step + 1, what: "the loss is \(loss)", configuration: configuration)
        }
        optimizer.update(&parameters, gradient: gradient)
        if step % 50 == 0 || step == steps - 1 {
          progress?(.step(epoch: epoch, done: step + 1, total: steps, loss: loss))
        }
      }
      if let bad = parameters.firstIndex(where: { !$0.isFinite }) {
        throw TrainingDiverged(
          epoch: epoch, step: steps, what: "parameter \(bad) is \(parameters[bad])", configuration: configuration)
      }
      let trainEval = objective.evaluate(parameters, train)
      let validationEval = validation.isEmpty ? nil : objective.evaluate(parameters, validation)
      // Early stopping compares losses; a NaN compares false with everything and would leave no best epoch.
      for (name, loss) in [("training", trainEval.loss), ("validation", validationEval?.loss ?? 0)] where !loss.isFinite
      {
        throw TrainingDiverged(
          epoch: epoch, step: steps, what: "the \(name) loss is \(loss)", configuration: configuration)
      }
      let metrics = EpochMetrics(
        epoch: epoch, trainLoss: trainEval.loss, trainAccuracy: trainEval.accuracy,
        validationLoss: validationEval?.loss, validationAccuracy: validationEval?.accuracy,
        meanMargin: objective.meanMargin(parameters, validation.isEmpty ? train : validation),
        seconds: Date().timeIntervalSince(started))
      history.append(metrics)
      progress?(.epochEnded(metrics))
      let monitored = validationEval?.loss ?? trainEval.loss
      if monitored < best.loss - 1e-6 {
        best = (monitored, parameters, epoch)
        epochsWithoutImprovement = 0
      } else {
        epochsWithoutImprovement += 1
        if validationEval != nil && epochsWithoutImprovement >= configuration.patience { break }
      }
    }
    return (best.parameters, history, best.epoch)
  }
}

/// Training stopped because the loss or the weights stopped being finite numbers: almost always a
/// learning rate too large for the data (the updates overshoot and grow without bound).
public struct TrainingDiverged: Error, Sendable, Equatable, CustomStringConvertible {
  public var epoch: Int
  /// Mini-batch within the epoch (1-based) where it was noticed.
  public var step: Int
  /// What was not finite.
  public var what: String
  public var learningRate: Float

  init(epoch: Int, step: Int, what: String, configuration: TrainingConfiguration) {
    self.epoch = epoch
    self.step = step
    self.what = what
    self.learningRate = configuration.learningRate
  }

  public var description: String {
    "training diverged in epoch \(epoch) (mini-batch \(step)): \(what); "
      + "the learning rate \(learningRate) is probably too large, try a smaller one (e.g. \(learningRate / 10))"
  }
}

/// Small Gaussian initial values, seeded.
func gaussianParameters(count: Int, scale: Double, seed: UInt64) -> [Float] {
  var generator = SeededGenerator(seed: seed ^ 0x1A17)
  return (0..<count).map { _ in Float(scale * generator.nextGaussian()) }
}

/// Row `row` of a row-major matrix with `columns` columns, dotted with a feature vector.
@inline(__always)
func rowDot(_ matrix: UnsafeBufferPointer<Float>, row: Int, columns: Int, _ vector: FeatureVector) -> Double {
  Double(vector.dot(UnsafeBufferPointer(rebasing: matrix[row * columns..<(row + 1) * columns])))
}

/// gradient[row] += scale · vector.
@inline(__always)
func addToRow(
  _ gradient: UnsafeMutableBufferPointer<Float>, row: Int, columns: Int, _ vector: FeatureVector, scale: Double
) {
  vector.add(
    scaledBy: Float(scale), into: UnsafeMutableBufferPointer(rebasing: gradient[row * columns..<(row + 1) * columns]))
}
