import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// Trains a `PRMHead` by binary cross-entropy per labelled step. Targets are the traces' step
/// labels: ProcessBench first-error labels give 1 before the error, 0 at it and nothing after;
/// +/- data gives 1/0 per step; soft labels (PRM800K's neutral as 0.5, Math-Shepherd's
/// completion rates) enter the loss as they are. Self-contained (its own Adam), so it does not
/// depend on how the other heads' training is organised.
public enum PRMTrainer {
  public struct Configuration: Sendable, Equatable {
    public var epochs: Int = 10
    public var learningRate: Double = 0.02
    public var batchSize: Int = 64
    /// L2 penalty per example on the weights (not the bias).
    public var l2: Double = 1e-6
    /// Weigh right and wrong steps so each class contributes half the loss: wrong steps are rare
    /// (at most one per ProcessBench solution) and would otherwise be ignored.
    public var balanceClasses: Bool = true
    public var includeStepFeatures: Bool = true
    public var seed: UInt64 = 0x5EED_0012
    public init() {}

    public var json: JSONValue {
      [
        "epochs": .int(Int64(epochs)), "learning_rate": .double(learningRate), "batch_size": .int(Int64(batchSize)),
        "l2": .double(l2), "balance_classes": .bool(balanceClasses),
        "include_step_features": .bool(includeStepFeatures), "seed": .int(Int64(bitPattern: seed)),
      ]
    }
  }

  /// What training saw and how the loss ended.
  public struct Summary: Sendable, Equatable {
    public var traces: Int
    public var labelledSteps: Int
    public var positiveSteps: Int
    public var finalLoss: Double
  }

  /// A labelled step: the head's input and its target in [0, 1].
  struct Example {
    var x: FeatureVector
    var target: Float
    var weight: Float
  }

  public static func train(traces: [StepTrace], featurizer: any Featurizer, configuration: Configuration) async throws
    -> (head: PRMHead, summary: Summary)
  {
    guard configuration.epochs >= 1, configuration.batchSize >= 1, configuration.learningRate > 0 else {
      throw ConfigurationError("PRM training: epochs and batch size must be ≥ 1 and the learning rate > 0")
    }
    let vectors = try await PRMFeatures.vectors(
      for: traces.map { ([.user($0.problem)], $0.steps) }, featurizer: featurizer,
      includeStepFeatures: configuration.includeStepFeatures)
    var examples: [Example] = []
    for (trace, traceVectors) in zip(traces, vectors) {
      for (label, x) in zip(trace.labels, traceVectors) {
        guard let label else { continue }
        examples.append(Example(x: x, target: Float(label), weight: 1))
      }
    }
    let positives = examples.count(where: { $0.target >= 0.5 })
    let negatives = examples.count - positives
    guard positives > 0, negatives > 0 else {
      throw ConfigurationError(
        "PRM training needs both right and wrong labelled steps; found \(positives) right and \(negatives) wrong")
    }
    if configuration.balanceClasses {
      let positiveWeight = Float(examples.count) / Float(2 * positives)
      let negativeWeight = Float(examples.count) / Float(2 * negatives)
      for i in examples.indices { examples[i].weight = examples[i].target >= 0.5 ? positiveWeight : negativeWeight }
    }
    var head = PRMHead(
      featurizerDimension: featurizer.dimension, includeStepFeatures: configuration.includeStepFeatures)
    let loss = fit(&head, examples: examples, configuration: configuration)
    return (
      head, Summary(traces: traces.count, labelledSteps: examples.count, positiveSteps: positives, finalLoss: loss)
    )
  }

  /// Mini-batch Adam on the weighted BCE; returns the last epoch's mean loss.
  static func fit(_ head: inout PRMHead, examples: [Example], configuration: Configuration) -> Double {
    let n = head.inputDimension
    var gradient = [Float](repeating: 0, count: n)
    var m = [Float](repeating: 0, count: n + 1)
    var v = [Float](repeating: 0, count: n + 1)
    let beta1: Float = 0.9
    let beta2: Float = 0.999
    let lr = Float(configuration.learningRate)
    let l2 = Float(configuration.l2)
    var random = SeededGenerator(seed: configuration.seed)
    var order = Array(examples.indices)
    var t: Float = 0
    var epochLoss = 0.0
    for _ in 0..<configuration.epochs {
      random.shuffle(&order)
      epochLoss = 0
      for start in stride(from: 0, to: order.count, by: configuration.batchSize) {
        let batch = order[start..<min(order.count, start + configuration.batchSize)]
        for i in gradient.indices { gradient[i] = 0 }
        var biasGradient: Float = 0
        let scale = 1 / Float(batch.count)
        for index in batch {
          let example = examples[index]
          let z = head.logit(example.x)
          // softplus(z) − y·z, the BCE of a logit, written to stay finite.
          epochLoss += Double(example.weight) * (max(z, 0) + log1p(exp(-abs(z))) - Double(example.target) * z)
          let g = example.weight * (Float(sigmoid(z)) - example.target) * scale
          gradient.withUnsafeMutableBufferPointer { example.x.add(scaledBy: g, into: $0) }
          biasGradient += g
        }
        t += 1
        let correction1 = 1 - Foundation.pow(beta1, t)
        let correction2 = 1 - Foundation.pow(beta2, t)
        for i in 0..<n {
          let g = gradient[i] + l2 * head.weights[i]
          m[i] = beta1 * m[i] + (1 - beta1) * g
          v[i] = beta2 * v[i] + (1 - beta2) * g * g
          head.weights[i] -= lr * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + 1e-8)
        }
        m[n] = beta1 * m[n] + (1 - beta1) * biasGradient
        v[n] = beta2 * v[n] + (1 - beta2) * biasGradient * biasGradient
        head.bias -= lr * (m[n] / correction1) / ((v[n] / correction2).squareRoot() + 1e-8)
      }
    }
    return epochLoss / Double(max(examples.count, 1))
  }
}
