import Foundation
import RewardCore
import RewardData
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
  /// nil: mean squared error. A count L: ordinal (cumulative-link logistic) loss over grades
  /// 0…L−1, P(y ≤ k) = σ(θ_k − s) with ordered thresholds θ per attribute.
  public let ordinalLevels: Int?

  public init(dimension: Int, coefficients: [Double], pairWeight: Double = 1, ordinalLevels: Int? = nil) {
    self.dimension = dimension
    self.attributes = coefficients.count
    self.coefficients = coefficients
    self.pairWeight = pairWeight
    self.ordinalLevels = ordinalLevels
  }

  /// W (A × D), b (A), then for the ordinal loss the threshold parameters c (A × (L − 1)):
  /// θ_0 = c_0, θ_j = θ_{j−1} + exp(c_j), so thresholds stay ordered. (Under the ordinal loss b
  /// and the thresholds overlap; weight decay keeps b small.)
  public var parameterCount: Int { attributes * dimension + attributes + attributes * thresholdCount }
  var thresholdCount: Int { max((ordinalLevels ?? 1) - 1, 0) }
  var thresholdOffset: Int { attributes * dimension + attributes }

  public func initialParameters(seed: UInt64) -> [Float] {
    var parameters = [Float](repeating: 0, count: parameterCount)
    // Thresholds start evenly spaced around 0: θ = −(L−2)/2, …, (L−2)/2.
    for a in 0..<attributes where thresholdCount > 0 {
      parameters[thresholdOffset + a * thresholdCount] = Float(-Double(thresholdCount - 1) / 2)
    }
    return parameters
  }

  /// Ordered thresholds of attribute a.
  func thresholds(_ p: UnsafeBufferPointer<Float>, _ a: Int) -> [Double] {
    var theta: [Double] = []
    for j in 0..<thresholdCount {
      let c = Double(p[thresholdOffset + a * thresholdCount + j])
      theta.append(j == 0 ? c : theta[j - 1] + Foundation.exp(c))
    }
    return theta
  }

  /// −log P(y = k) under the cumulative-link model, and its derivatives by s and by each c_j.
  func ordinalTerms(_ p: UnsafeBufferPointer<Float>, attribute a: Int, score s: Double, grade k: Int)
    -> (loss: Double, dS: Double, dC: [Double])
  {
    let theta = thresholds(p, a)
    let upper = k < thresholdCount ? sigmoid(theta[k] - s) : 1
    let lower = k > 0 ? sigmoid(theta[k - 1] - s) : 0
    let probability = max(upper - lower, 1e-12)
    let dUpper = k < thresholdCount ? upper * (1 - upper) : 0  // ∂upper/∂θ_k
    let dLower = k > 0 ? lower * (1 - lower) : 0  // ∂lower/∂θ_{k−1}
    let dS = (dUpper - dLower) / probability  // −∂log P/∂s
    // ∂(−log P)/∂θ_j, then through θ_j = c_0 + Σ_{i≤j, i≥1} exp(c_i).
    var dTheta = [Double](repeating: 0, count: thresholdCount)
    if k < thresholdCount { dTheta[k] -= dUpper / probability }
    if k > 0 { dTheta[k - 1] += dLower / probability }
    var dC = [Double](repeating: 0, count: thresholdCount)
    for j in 0..<thresholdCount {
      let tail = dTheta[j...].reduce(0, +)
      dC[j] = j == 0 ? tail : tail * Foundation.exp(Double(p[thresholdOffset + a * thresholdCount + j]))
    }
    return (-Foundation.log(probability), dS, dC)
  }

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
            if ordinalLevels != nil {
              for a in observed {
                let grade = min(max(Int(targets[a]!.rounded()), 0), thresholdCount)
                let terms = ordinalTerms(p, attribute: a, score: s[a], grade: grade)
                total += terms.loss / Double(observed.count)
                addToRow(g, row: a, columns: dimension, x, scale: terms.dS * share)
                g[attributes * dimension + a] += Float(terms.dS * share)
                for j in 0..<thresholdCount {
                  g[thresholdOffset + a * thresholdCount + j] += Float(terms.dC[j] * share)
                }
              }
              continue
            }
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
            if ordinalLevels != nil {
              // The predicted grade: how many thresholds the score has passed.
              if thresholds(p, a).count(where: { $0 < s[a] }) == Int(target.rounded()) { right += 1 }
            } else if abs(s[a] - target) < 0.5 {
              right += 1
            }
          }
        case .pair(let pair) where !pair.isTie:
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
    var settings = JSONObject([
      ("attributes", .array(attributeNames.map(JSONValue.string))),
      ("coefficients", .array(objective.coefficients.map(JSONValue.double))),
    ])
    if let levels = objective.ordinalLevels { settings["ordinal_levels"] = .int(Int64(levels)) }
    return settings
  }

  public var tensors: [NamedTensor] {
    let (a, d) = (objective.attributes, objective.dimension)
    var tensors = [
      NamedTensor(name: "regression.weight", shape: [a, d], values: Array(parameters[..<(a * d)])),
      NamedTensor(name: "regression.bias", shape: [a], values: Array(parameters[(a * d)..<(a * d + a)])),
    ]
    if objective.thresholdCount > 0 {
      tensors.append(
        NamedTensor(
          name: "regression.thresholds", shape: [a, objective.thresholdCount],
          values: Array(parameters[objective.thresholdOffset...])))
    }
    return tensors
  }

  public static func load(settings: RecordFields, dimension: Int, weights: SafeTensorsFile) throws -> RegressionHead {
    let names = try settings.strings("attributes")
    let coefficients = try settings.numbers("coefficients")
    guard !names.isEmpty else { throw settings.invalid("attributes", "expected at least one attribute") }
    guard names.count == coefficients.count else {
      throw settings.invalid(
        "coefficients", "expected one per attribute (\(names.count)), found \(coefficients.count)")
    }
    let levels = settings.has("ordinal_levels") ? try settings.integer("ordinal_levels") : nil
    let objective = RegressionObjective(dimension: dimension, coefficients: coefficients, ordinalLevels: levels)
    var parameters = try weights.floats("regression.weight") + weights.floats("regression.bias")
    if objective.thresholdCount > 0 { parameters += try weights.floats("regression.thresholds") }
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
