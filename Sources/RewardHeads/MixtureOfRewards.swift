import Foundation
import RewardCore
import RewardFeatures
import RewardTensor

/// A mixture of K Bradley–Terry heads with a context router, for diverse preferences (MiCRo,
/// Shen et al. 2025; PAL, Chen et al. 2024):
///
///   P(c ≻ r | x, a) = Σ_k π_k σ(w_k·(φ_c − φ_r)),  π = softmax(U·φ(prompt) + B[a])
///
/// trained by maximising this mixture likelihood on binary (or soft) preferences. B holds a
/// learned offset of the router per annotator when the data names annotators (per-user
/// adaptation); unknown annotators use the shared router alone.
public struct MixtureObjective: PairwiseObjective {
  public let dimension: Int
  public let heads: Int
  public let annotators: Int

  public init(dimension: Int, heads: Int, annotators: Int = 0) {
    self.dimension = dimension
    self.heads = heads
    self.annotators = annotators
  }

  /// W (K × D), U (K × D), B (A × K), row-major, in that order.
  public var parameterCount: Int { 2 * heads * dimension + annotators * heads }
  var routerOffset: Int { heads * dimension }
  var annotatorOffset: Int { 2 * heads * dimension }

  public func initialParameters(seed: UInt64) -> [Float] {
    gaussianParameters(count: heads * dimension, scale: 0.1, seed: seed)
      + [Float](repeating: 0, count: heads * dimension + annotators * heads)
  }

  /// Mixture weights for a prompt (and annotator).
  func weights(_ p: UnsafeBufferPointer<Float>, prompt: FeatureVector?, annotator: Int?) -> [Double] {
    var logits = [Double](repeating: 0, count: heads)
    if let prompt {
      for k in 0..<heads {
        logits[k] = Double(
          prompt.dot(
            UnsafeBufferPointer(rebasing: p[routerOffset + k * dimension..<routerOffset + (k + 1) * dimension])))
      }
    }
    if let annotator, annotator < annotators {
      for k in 0..<heads { logits[k] += Double(p[annotatorOffset + annotator * heads + k]) }
    }
    return softmax(logits)
  }

  func headMargins(_ p: UnsafeBufferPointer<Float>, _ pair: FeaturePair) -> [Double] {
    (0..<heads).map { k in
      rowDot(p, row: k, columns: dimension, pair.chosen) - rowDot(p, row: k, columns: dimension, pair.rejected)
        - pair.margin
    }
  }

  public func probability(_ parameters: [Float], pair: FeaturePair) -> Double {
    parameters.withUnsafeBufferPointer { p in
      let pi = weights(p, prompt: pair.prompt, annotator: pair.annotator)
      return zip(pi, headMargins(p, pair)).reduce(0) { $0 + $1.0 * sigmoid($1.1) }
    }
  }

  public func lossAndGradient(_ parameters: [Float], batch: ArraySlice<FeaturePair>, gradient: inout [Float]) -> Double
  {
    let scale = 1 / Double(batch.count)
    var total = 0.0
    parameters.withUnsafeBufferPointer { p in
      gradient.withUnsafeMutableBufferPointer { g in
        for pair in batch {
          let pi = weights(p, prompt: pair.prompt, annotator: pair.annotator)
          let sigmas = headMargins(p, pair).map(sigmoid)
          let probability = min(max(zip(pi, sigmas).reduce(0) { $0 + $1.0 * $1.1 }, 1e-12), 1 - 1e-12)
          let t = pair.chosenProbability
          total -= t * Foundation.log(probability) + (1 - t) * Foundation.log(1 - probability)
          let dP = -(t / probability - (1 - t) / (1 - probability)) * scale
          for k in 0..<heads {
            // ∂P/∂d_k = π_k σ_k (1 − σ_k); ∂P/∂z_k = π_k (σ_k − P).
            let dD = dP * pi[k] * sigmas[k] * (1 - sigmas[k])
            addToRow(g, row: k, columns: dimension, pair.chosen, scale: dD)
            addToRow(g, row: k, columns: dimension, pair.rejected, scale: -dD)
            let dZ = dP * pi[k] * (sigmas[k] - probability)
            if let prompt = pair.prompt { addToRow(g, row: heads + k, columns: dimension, prompt, scale: dZ) }
            if let annotator = pair.annotator, annotator < annotators {
              g[annotatorOffset + annotator * heads + k] += Float(dZ)
            }
          }
        }
      }
    }
    return total * scale
  }
}

/// A trained mixture in a checkpoint. As a reward model it scores r = Σ_k π_k(prompt) · r_k, with
/// each head's reward and weight as components; per-annotator offsets apply when a candidate's
/// metadata names a known `annotator`.
public struct MixtureHead: RewardHead {
  public static let kind = "mixture"
  public let objective: MixtureObjective
  public let parameters: [Float]
  /// Annotator names, in the order of the router's offsets.
  public let annotatorNames: [String]

  public init(objective: MixtureObjective, parameters: [Float], annotatorNames: [String]) {
    precondition(parameters.count == objective.parameterCount && annotatorNames.count == objective.annotators)
    self.objective = objective
    self.parameters = parameters
    self.annotatorNames = annotatorNames
  }

  public var dimension: Int { objective.dimension }
  public var usesPromptFeatures: Bool { true }

  public var settings: JSONObject {
    JSONObject([
      ("heads", .int(Int64(objective.heads))), ("annotators", .array(annotatorNames.map(JSONValue.string))),
    ])
  }

  public var tensors: [NamedTensor] {
    let (k, d) = (objective.heads, objective.dimension)
    var tensors = [
      NamedTensor(name: "mixture.heads", shape: [k, d], values: Array(parameters[..<(k * d)])),
      NamedTensor(name: "mixture.router", shape: [k, d], values: Array(parameters[(k * d)..<(2 * k * d)])),
    ]
    if objective.annotators > 0 {
      tensors.append(
        NamedTensor(
          name: "mixture.annotators", shape: [objective.annotators, k], values: Array(parameters[(2 * k * d)...])))
    }
    return tensors
  }

  public static func load(settings: RecordFields, dimension: Int, weights: SafeTensorsFile) throws -> MixtureHead {
    let heads = try settings.integer("heads")
    guard heads >= 1 else { throw settings.invalid("heads", "expected an integer ≥ 1, found \(heads)") }
    let annotatorNames = try settings.strings("annotators")
    let objective = MixtureObjective(dimension: dimension, heads: Int(heads), annotators: annotatorNames.count)
    var parameters = try weights.floats("mixture.heads") + weights.floats("mixture.router")
    if !annotatorNames.isEmpty { parameters += try weights.floats("mixture.annotators") }
    guard parameters.count == objective.parameterCount else {
      throw ConfigurationError(
        "\(weights.path): mixture weights have \(parameters.count) values, expected \(objective.parameterCount)")
    }
    return MixtureHead(objective: objective, parameters: parameters, annotatorNames: annotatorNames)
  }

  public func rewards(_ features: [FeatureVector], prompts: [FeatureVector]) -> [Reward] {
    parameters.withUnsafeBufferPointer { p in
      features.indices.map { i in
        let pi = objective.weights(p, prompt: prompts.isEmpty ? nil : prompts[i], annotator: nil)
        let headRewards = (0..<objective.heads).map { rowDot(p, row: $0, columns: objective.dimension, features[i]) }
        let value = zip(pi, headRewards).reduce(0) { $0 + $1.0 * $1.1 }
        let components =
          headRewards.enumerated().map { ("head_\($0.offset)", $0.element) }
          + pi.enumerated().map { ("weight_\($0.offset)", $0.element) }
        return Reward(value, components: components)
      }
    }
  }
}
