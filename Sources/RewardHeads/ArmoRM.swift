import Foundation
import RewardCore
import RewardData
import RewardFeatures
import RewardTensor

/// A pair for the ArmoRM gate: the prompt's features and the (frozen, decorrelated) objective
/// scores of both responses.
public struct GatedPair: Sendable {
  public var prompt: FeatureVector
  public var chosenScores: [Double]
  public var rejectedScores: [Double]
  public var chosenProbability: Double

  public var isTie: Bool { PreferencePair.isTie(chosenProbability) }
}

/// Stage 2 of ArmoRM (Wang et al. 2024, "Interpretable Preferences via Multi-Objective Reward
/// Modeling and Mixture-of-Experts"): a gating MLP on the prompt's features gives softmax weights
/// over the objectives, and the reward is β · Σ_k g_k(prompt) · s_k(response), trained with the
/// Bradley–Terry loss on pairs. β (a learned scale) is kept positive as exp(log β).
///
///   h = ReLU(W₁ φ(prompt) + b₁),  g = softmax((W₂ h + b₂) / T)
public struct GatingObjective: TrainingObjective {
  public let dimension: Int
  public let hidden: Int
  public let objectives: Int
  public let temperature: Double

  public init(dimension: Int, hidden: Int, objectives: Int, temperature: Double = 1) {
    self.dimension = dimension
    self.hidden = hidden
    self.objectives = objectives
    self.temperature = temperature
  }

  // Layout: W₁ (H × D), b₁ (H), W₂ (K × H), b₂ (K), log β.
  var b1Offset: Int { hidden * dimension }
  var w2Offset: Int { b1Offset + hidden }
  var b2Offset: Int { w2Offset + objectives * hidden }
  var scaleOffset: Int { b2Offset + objectives }
  public var parameterCount: Int { scaleOffset + 1 }

  public func initialParameters(seed: UInt64) -> [Float] {
    var parameters = gaussianParameters(count: parameterCount, scale: 0.1, seed: seed)
    for m in 0..<hidden { parameters[b1Offset + m] = 0.1 }  // start with live ReLUs
    for k in 0..<objectives { parameters[b2Offset + k] = 0 }
    parameters[scaleOffset] = 0  // β = 1
    return parameters
  }

  /// Hidden pre-activations and gate weights for a prompt.
  func gate(_ p: UnsafeBufferPointer<Float>, _ prompt: FeatureVector) -> (pre: [Double], weights: [Double]) {
    let pre = (0..<hidden).map { rowDot(p, row: $0, columns: dimension, prompt) + Double(p[b1Offset + $0]) }
    let h = pre.map { max($0, 0) }
    let logits = (0..<objectives).map { k in
      (0..<hidden).reduce(Double(p[b2Offset + k])) { $0 + Double(p[w2Offset + k * hidden + $1]) * h[$1] } / temperature
    }
    return (pre, softmax(logits))
  }

  public func weights(_ parameters: [Float], prompt: FeatureVector) -> [Double] {
    parameters.withUnsafeBufferPointer { gate($0, prompt).weights }
  }

  public func scale(_ parameters: [Float]) -> Double { Foundation.exp(Double(parameters[scaleOffset])) }

  func margin(_ p: UnsafeBufferPointer<Float>, _ pair: GatedPair) -> Double {
    let g = gate(p, pair.prompt).weights
    let delta = zip(pair.chosenScores, pair.rejectedScores).map { $0 - $1 }
    return Foundation.exp(Double(p[scaleOffset])) * zip(g, delta).reduce(0) { $0 + $1.0 * $1.1 }
  }

  public func lossAndGradient(_ parameters: [Float], batch: ArraySlice<GatedPair>, gradient: inout [Float]) -> Double {
    let scale = 1 / Double(batch.count)
    var total = 0.0
    parameters.withUnsafeBufferPointer { p in
      gradient.withUnsafeMutableBufferPointer { g in
        let beta = Foundation.exp(Double(p[scaleOffset]))
        for pair in batch {
          let (pre, weights) = gate(p, pair.prompt)
          let delta = zip(pair.chosenScores, pair.rejectedScores).map { $0 - $1 }
          let mixed = zip(weights, delta).reduce(0) { $0 + $1.0 * $1.1 }
          let z = beta * mixed
          let t = pair.chosenProbability
          total += -t * logSigmoid(z) - (1 - t) * logSigmoid(-z)
          let dZ = (sigmoid(z) - t) * scale
          g[scaleOffset] += Float(dZ * z)  // ∂z/∂log β = z
          // ∂z/∂u_j = (β/T) g_j (Δ_j − g·Δ), u the logits before the temperature.
          let dU = (0..<objectives).map { dZ * beta / temperature * weights[$0] * (delta[$0] - mixed) }
          var dH = [Double](repeating: 0, count: hidden)
          for j in 0..<objectives {
            g[b2Offset + j] += Float(dU[j])
            for m in 0..<hidden {
              g[w2Offset + j * hidden + m] += Float(dU[j] * max(pre[m], 0))
              dH[m] += dU[j] * Double(p[w2Offset + j * hidden + m])
            }
          }
          for m in 0..<hidden where pre[m] > 0 {
            g[b1Offset + m] += Float(dH[m])
            addToRow(g, row: m, columns: dimension, pair.prompt, scale: dH[m])
          }
        }
      }
    }
    return total * scale
  }

  public func evaluate(_ parameters: [Float], _ samples: [GatedPair]) -> (loss: Double, accuracy: Double) {
    var scratch = [Float](repeating: 0, count: parameterCount)
    let loss = samples.isEmpty ? 0 : lossAndGradient(parameters, batch: samples[...], gradient: &scratch)
    let strict = samples.filter { !$0.isTie }
    let correct = parameters.withUnsafeBufferPointer { p in strict.count(where: { margin(p, $0) > 0 }) }
    return (loss, strict.isEmpty ? 0 : Double(correct) / Double(strict.count))
  }
}

/// Chooses λ so that the Spearman correlation of s − λ·v with the verbosity score v falls below
/// `threshold` (the smallest such λ on a grid of step 0.01 up to `maximum`; the least correlated
/// one when none does), as ArmoRM decorrelates its objectives from verbosity.
public enum VerbosityDecorrelation {
  public static func coefficient(
    scores: [Double], verbosity: [Double], threshold: Double, maximum: Double = 3
  ) -> (lambda: Double, correlation: Double) {
    var best = (lambda: 0.0, correlation: spearmanCorrelation(scores, verbosity))
    var lambda = 0.0
    while lambda <= maximum + 1e-9 {
      let adjusted = zip(scores, verbosity).map { $0 - lambda * $1 }
      let rho = spearmanCorrelation(adjusted, verbosity)
      if abs(rho) < threshold { return (lambda, rho) }
      if abs(rho) < abs(best.correlation) { best = (lambda, rho) }
      lambda += 0.01
    }
    return best
  }
}

/// A trained ArmoRM in a checkpoint: ridge probes per objective, verbosity decorrelation and the
/// gate. Its reward's components are each objective's (decorrelated) score and each gate weight —
/// the interpretability is the point.
public struct ArmoHead: RewardHead {
  public static let kind = "armo"
  public let objectiveNames: [String]
  /// Probe weights (K × D) and biases (K).
  public let probes: [Float]
  public let probeBiases: [Float]
  /// s'_k = s_k − λ_k · s_verbosity; λ is 0 for the verbosity objective itself.
  public let decorrelation: [Double]
  public let verbosityIndex: Int?
  public let gate: GatingObjective
  public let gateParameters: [Float]

  public init(
    objectiveNames: [String], probes: [Float], probeBiases: [Float], decorrelation: [Double], verbosityIndex: Int?,
    gate: GatingObjective, gateParameters: [Float]
  ) {
    self.objectiveNames = objectiveNames
    self.probes = probes
    self.probeBiases = probeBiases
    self.decorrelation = decorrelation
    self.verbosityIndex = verbosityIndex
    self.gate = gate
    self.gateParameters = gateParameters
  }

  public var dimension: Int { gate.dimension }
  public var usesPromptFeatures: Bool { true }

  /// Decorrelated objective scores of one response.
  public func objectiveScores(_ x: FeatureVector) -> [Double] {
    let raw = probes.withUnsafeBufferPointer { p in
      (0..<objectiveNames.count).map { rowDot(p, row: $0, columns: dimension, x) + Double(probeBiases[$0]) }
    }
    guard let v = verbosityIndex else { return raw }
    return raw.indices.map { raw[$0] - decorrelation[$0] * raw[v] }
  }

  public var settings: JSONObject {
    var settings = JSONObject([
      ("objectives", .array(objectiveNames.map(JSONValue.string))),
      ("decorrelation", .array(decorrelation.map(JSONValue.double))), ("gate_hidden", .int(Int64(gate.hidden))),
      ("gate_temperature", .double(gate.temperature)),
    ])
    if let verbosityIndex { settings["verbosity_objective"] = .string(objectiveNames[verbosityIndex]) }
    return settings
  }

  public var tensors: [NamedTensor] {
    [
      NamedTensor(name: "armo.probes", shape: [objectiveNames.count, dimension], values: probes),
      NamedTensor(name: "armo.probe_bias", shape: [objectiveNames.count], values: probeBiases),
      NamedTensor(name: "armo.gate", shape: [gateParameters.count], values: gateParameters),
    ]
  }

  public static func load(settings: RecordFields, dimension: Int, weights: SafeTensorsFile) throws -> ArmoHead {
    let names = try settings.strings("objectives")
    guard !names.isEmpty else { throw settings.invalid("objectives", "expected at least one objective") }
    let decorrelation = try settings.numbers("decorrelation")
    guard decorrelation.count == names.count else {
      throw settings.invalid(
        "decorrelation", "expected one per objective (\(names.count)), found \(decorrelation.count)")
    }
    let hidden = try settings.integer("gate_hidden")
    guard hidden >= 1 else { throw settings.invalid("gate_hidden", "expected an integer ≥ 1, found \(hidden)") }
    let temperature = try settings.number("gate_temperature")
    guard temperature > 0 else {
      throw settings.invalid("gate_temperature", "expected a number > 0, found \(temperature)")
    }
    var verbosityIndex: Int?
    if let verbosity = try settings.optionalString("verbosity_objective") {
      guard let index = names.firstIndex(of: verbosity) else {
        throw settings.invalid("verbosity_objective", "'\(verbosity)' is not one of the objectives")
      }
      verbosityIndex = index
    }
    let gate = GatingObjective(
      dimension: dimension, hidden: Int(hidden), objectives: names.count, temperature: temperature)
    let probes = try weights.floats("armo.probes")
    let biases = try weights.floats("armo.probe_bias")
    let gateParameters = try weights.floats("armo.gate")
    guard probes.count == names.count * dimension, biases.count == names.count,
      gateParameters.count == gate.parameterCount
    else {
      throw ConfigurationError("\(weights.path): armo weights do not match \(names.count) objectives × \(dimension)")
    }
    return ArmoHead(
      objectiveNames: names, probes: probes, probeBiases: biases, decorrelation: decorrelation,
      verbosityIndex: verbosityIndex, gate: gate, gateParameters: gateParameters)
  }

  public func rewards(_ features: [FeatureVector], prompts: [FeatureVector]) -> [Reward] {
    let beta = gate.scale(gateParameters)
    return features.indices.map { i in
      let scores = objectiveScores(features[i])
      let weights =
        prompts.isEmpty
        ? [Double](repeating: 1 / Double(scores.count), count: scores.count)
        : gate.weights(gateParameters, prompt: prompts[i])
      let value = beta * zip(weights, scores).reduce(0) { $0 + $1.0 * $1.1 }
      return Reward(
        value,
        components: Array(zip(objectiveNames, scores)) + zip(objectiveNames, weights).map { ("gate_\($0)", $1) })
    }
  }
}
