import Foundation
import RewardCore
import RewardFeatures
import RewardTensor

/// A training sample for multi-attribute regression: a response with (possibly missing) ratings,
/// or a preference pair when the objective is combined with Bradley–Terry.
public enum RatingSample: Sendable {
  case rated(FeatureVector, [Double?])
  case pair(FeaturePair)
}

/// Multi-attribute regression (HelpSteer2-style): one linear output per attribute,
/// s_a = w_a·φ(x) + b_a, trained with MSE over the observed ratings (missing ones are masked).
/// With preference pairs too, the objective adds Bradley–Terry on the combined reward
/// r = Σ_a c_a s_a (as HelpSteer2-Preference combines both kinds of data):
///
///   loss = mean over samples of { MSE on rated samples;  pairWeight · BT loss on pairs }
public struct RegressionObjective: TrainingObjective {
  public let dimension: Int
  public let attributes: Int
  /// c_a: how the attributes combine into the reward.
  public let coefficients: [Double]
  public let pairWeight: Double

  public init(dimension: Int, coefficients: [Double], pairWeight: Double = 1) {
    self.dimension = dimension
    self.attributes = coefficients.count
    self.coefficients = coefficients
    self.pairWeight = pairWeight
  }

  /// W (A × D) then b (A).
  public var parameterCount: Int { attributes * dimension + attributes }

  public func initialParameters(seed: UInt64) -> [Float] { [Float](repeating: 0, count: parameterCount) }

  func outputs(_ p: UnsafeBufferPointer<Float>, _ x: FeatureVector) -> [Double] {
    (0..<attributes).map { rowDot(p, row: $0, columns: dimension, x) + Double(p[attributes * dimension + $0]) }
  }

  func reward(_ outputs: [Double]) -> Double { zip(coefficients, outputs).reduce(0) { $0 + $1.0 * $1.1 } }

  public func lossAndGradient(_ parameters: [Float], batch: ArraySlice<RatingSample>, gradient: inout [Float]) -> Double
  {
    let scale = 1 / Double(batch.count)
    var total = 0.0
    parameters.withUnsafeBufferPointer { p in
      gradient.withUnsafeMutableBufferPointer { g in
        for sample in batch {
          switch sample {
          case .rated(let x, let targets):
            let s = outputs(p, x)
            let observed = targets.indices.filter { targets[$0] != nil }
            guard !observed.isEmpty else { continue }
            let share = scale / Double(observed.count)
            for a in observed {
              let error = s[a] - targets[a]!
              total += error * error / Double(observed.count)
              addToRow(g, row: a, columns: dimension, x, scale: 2 * error * share)
              g[attributes * dimension + a] += Float(2 * error * share)
            }
          case .pair(let pair):
            let z = reward(outputs(p, pair.chosen)) - reward(outputs(p, pair.rejected)) - pair.margin
            let t = pair.chosenProbability
            total += pairWeight * (-t * logSigmoid(z) - (1 - t) * logSigmoid(-z))
            let dZ = pairWeight * (sigmoid(z) - t) * scale
            for a in 0..<attributes where coefficients[a] != 0 {
              addToRow(g, row: a, columns: dimension, pair.chosen, scale: dZ * coefficients[a])
              addToRow(g, row: a, columns: dimension, pair.rejected, scale: -dZ * coefficients[a])
            }
          }
        }
      }
    }
    return total * scale
  }

  /// Mean loss; accuracy = share of observed ratings predicted within 0.5 (rounds to the right
  /// grade) and of pairs ranked the right way.
  public func evaluate(_ parameters: [Float], _ samples: [RatingSample]) -> (loss: Double, accuracy: Double) {
    var scratch = [Float](repeating: 0, count: parameterCount)
    let loss = samples.isEmpty ? 0 : lossAndGradient(parameters, batch: samples[...], gradient: &scratch)
    var right = 0
    var counted = 0
    parameters.withUnsafeBufferPointer { p in
      for sample in samples {
        switch sample {
        case .rated(let x, let targets):
          let s = outputs(p, x)
          for a in targets.indices {
            guard let target = targets[a] else { continue }
            counted += 1
            if abs(s[a] - target) < 0.5 { right += 1 }
          }
        case .pair(let pair) where pair.chosenProbability != 0.5:
          counted += 1
          if reward(outputs(p, pair.chosen)) > reward(outputs(p, pair.rejected)) { right += 1 }
        case .pair: break
        }
      }
    }
    return (loss, counted == 0 ? 0 : Double(right) / Double(counted))
  }
}

/// A trained regression head: the reward is Σ_a c_a s_a, and each attribute's score is a component.
public struct RegressionHead: RewardHead {
  public static let kind = "regression"
  public let objective: RegressionObjective
  public let attributeNames: [String]
  public let parameters: [Float]

  public init(objective: RegressionObjective, attributeNames: [String], parameters: [Float]) {
    precondition(attributeNames.count == objective.attributes && parameters.count == objective.parameterCount)
    self.objective = objective
    self.attributeNames = attributeNames
    self.parameters = parameters
  }

  public var dimension: Int { objective.dimension }

  public var settings: JSONObject {
    JSONObject([
      ("attributes", .array(attributeNames.map(JSONValue.string))),
      ("coefficients", .array(objective.coefficients.map(JSONValue.double))),
    ])
  }

  public var tensors: [NamedTensor] {
    let (a, d) = (objective.attributes, objective.dimension)
    return [
      NamedTensor(name: "regression.weight", shape: [a, d], values: Array(parameters[..<(a * d)])),
      NamedTensor(name: "regression.bias", shape: [a], values: Array(parameters[(a * d)...])),
    ]
  }

  public static func load(settings: JSONObject, dimension: Int, weights: SafeTensorsFile) throws -> RegressionHead {
    guard let names = settings["attributes"]?.arrayValue?.compactMap(\.stringValue),
      let coefficients = settings["coefficients"]?.arrayValue?.compactMap(\.doubleValue), !names.isEmpty,
      names.count == coefficients.count
    else {
      throw ConfigurationError("head: a regression head needs 'attributes' and 'coefficients' lists of equal length")
    }
    let objective = RegressionObjective(dimension: dimension, coefficients: coefficients)
    let parameters = try weights.floats("regression.weight") + weights.floats("regression.bias")
    guard parameters.count == objective.parameterCount else {
      throw ConfigurationError(
        "\(weights.path): regression weights have \(parameters.count) values, expected \(objective.parameterCount)")
    }
    return RegressionHead(objective: objective, attributeNames: names, parameters: parameters)
  }

  public func rewards(_ features: [FeatureVector], prompts: [FeatureVector]) -> [Reward] {
    parameters.withUnsafeBufferPointer { p in
      features.map { x in
        let s = objective.outputs(p, x)
        return Reward(objective.reward(s), components: Array(zip(attributeNames, s)))
      }
    }
  }
}
