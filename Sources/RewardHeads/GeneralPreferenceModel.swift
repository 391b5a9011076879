import Foundation
import RewardCore
import RewardFeatures
import RewardTensor

/// General preference model with preference embeddings (Zhang et al. 2024, "General Preference
/// Modeling with Preference Representations"): each response maps to v = P·φ(x) ∈ R^{2k} and
///
///   P(a ≻ b) = σ(⟨v_a, R v_b⟩ / τ),  R = diag(λ_1 J, …, λ_k J),  J = [[0, −1], [1, 0]],
///
/// R skew-symmetric, so P(a ≻ b) + P(b ≻ a) = 1 and P(a ≻ a) = ½, and, unlike any scalar
/// reward, it can represent cyclic preferences (a ≻ b ≻ c ≻ a). With a gate, λ_i = softmax over
/// blocks of G·φ(prompt) (prompt-dependent), else λ_i = 1.
public struct PreferenceEmbeddingObjective: PairwiseObjective {
  public let dimension: Int
  public let blocks: Int
  public let temperature: Double
  public let gated: Bool

  public init(dimension: Int, blocks: Int, temperature: Double = 1, gated: Bool = false) {
    self.dimension = dimension
    self.blocks = blocks
    self.temperature = temperature
    self.gated = gated
  }

  var embeddingSize: Int { 2 * blocks }
  /// P (2k × D) then, when gated, G (k × D).
  public var parameterCount: Int { embeddingSize * dimension + (gated ? blocks * dimension : 0) }

  public func initialParameters(seed: UInt64) -> [Float] {
    var parameters = gaussianParameters(count: embeddingSize * dimension, scale: 0.1, seed: seed)
    if gated { parameters += [Float](repeating: 0, count: blocks * dimension) }
    return parameters
  }

  func embedding(_ p: UnsafeBufferPointer<Float>, _ x: FeatureVector) -> [Double] {
    (0..<embeddingSize).map { rowDot(p, row: $0, columns: dimension, x) }
  }

  /// Block scales λ: softmax of the gate (times k, so an even gate gives λ_i = 1), or all 1.
  func blockScales(_ p: UnsafeBufferPointer<Float>, prompt: FeatureVector?) -> [Double] {
    guard gated, let prompt else { return [Double](repeating: 1, count: blocks) }
    let offset = embeddingSize * dimension
    let logits = (0..<blocks).map { block in
      Double(
        prompt.dot(UnsafeBufferPointer(rebasing: p[offset + block * dimension..<offset + (block + 1) * dimension])))
    }
    return softmax(logits).map { $0 * Double(blocks) }
  }

  /// s = Σ_i λ_i (a_{2i+1} b_{2i} − a_{2i} b_{2i+1}) / τ  (⟨a, R b⟩ with J as above).
  func score(_ a: [Double], _ b: [Double], _ lambda: [Double]) -> Double {
    var s = 0.0
    for i in 0..<blocks { s += lambda[i] * blockTerm(a, b, i) }
    return s / temperature
  }

  /// a_{2i+1} b_{2i} − a_{2i} b_{2i+1}: block i of ⟨a, J b⟩.
  func blockTerm(_ a: [Double], _ b: [Double], _ i: Int) -> Double {
    let cross: Double = a[2 * i + 1] * b[2 * i]
    return cross - a[2 * i] * b[2 * i + 1]
  }

  public func probability(_ parameters: [Float], pair: FeaturePair) -> Double {
    parameters.withUnsafeBufferPointer { p in
      sigmoid(score(embedding(p, pair.chosen), embedding(p, pair.rejected), blockScales(p, prompt: pair.prompt)))
    }
  }

  public func lossAndGradient(_ parameters: [Float], batch: ArraySlice<FeaturePair>, gradient: inout [Float]) -> Double
  {
    let scale = 1 / Double(batch.count)
    var total = 0.0
    parameters.withUnsafeBufferPointer { p in
      gradient.withUnsafeMutableBufferPointer { g in
        for pair in batch {
          let a = embedding(p, pair.chosen)
          let b = embedding(p, pair.rejected)
          let lambda = blockScales(p, prompt: pair.prompt)
          let s = score(a, b, lambda)
          let t = pair.chosenProbability
          total += -t * logSigmoid(s) - (1 - t) * logSigmoid(-s)
          let dS = (sigmoid(s) - t) * scale / temperature
          for i in 0..<blocks {
            // ∂s/∂a_{2i} = −λ b_{2i+1}, ∂s/∂a_{2i+1} = λ b_{2i}; ∂s/∂b_{2i} = λ a_{2i+1}, ∂s/∂b_{2i+1} = −λ a_{2i}.
            addToRow(g, row: 2 * i, columns: dimension, pair.chosen, scale: -dS * lambda[i] * b[2 * i + 1])
            addToRow(g, row: 2 * i + 1, columns: dimension, pair.chosen, scale: dS * lambda[i] * b[2 * i])
            addToRow(g, row: 2 * i, columns: dimension, pair.rejected, scale: dS * lambda[i] * a[2 * i + 1])
            addToRow(g, row: 2 * i + 1, columns: dimension, pair.rejected, scale: -dS * lambda[i] * a[2 * i])
          }
          if gated, let prompt = pair.prompt {
            // ∂s/∂λ_i = block term; λ = k·softmax(z) → ∂λ_i/∂z_j = λ_i (δ_ij − λ_j / k).
            let terms = (0..<blocks).map { blockTerm(a, b, $0) }
            let weighted = zip(lambda, terms).reduce(0) { $0 + $1.0 * $1.1 } / Double(blocks)
            let offset = embeddingSize * dimension
            for j in 0..<blocks {
              let dZ = dS * lambda[j] * (terms[j] - weighted)
              prompt.add(
                scaledBy: Float(dZ),
                into: UnsafeMutableBufferPointer(rebasing: g[offset + j * dimension..<offset + (j + 1) * dimension]))
            }
          }
        }
      }
    }
    return total * scale
  }
}

/// Numerically stable softmax.
func softmax(_ logits: [Double]) -> [Double] {
  let top = logits.max() ?? 0
  let exps = logits.map { Foundation.exp($0 - top) }
  let sum = exps.reduce(0, +)
  return exps.map { $0 / sum }
}

/// A trained preference-embedding model in a checkpoint: pairwise only (there is no scalar
/// reward to give, which is the point).
public struct PreferenceEmbeddingHead: PairwiseHead {
  public static let kind = "preference-embedding"
  public let objective: PreferenceEmbeddingObjective
  public let parameters: [Float]

  public init(objective: PreferenceEmbeddingObjective, parameters: [Float]) {
    precondition(parameters.count == objective.parameterCount)
    self.objective = objective
    self.parameters = parameters
  }

  public var dimension: Int { objective.dimension }
  public var usesPromptFeatures: Bool { objective.gated }

  public var settings: JSONObject {
    JSONObject([
      ("blocks", .int(Int64(objective.blocks))), ("temperature", .double(objective.temperature)),
      ("gated", .bool(objective.gated)),
    ])
  }

  public var tensors: [NamedTensor] {
    let projection = objective.embeddingSize * objective.dimension
    var tensors = [
      NamedTensor(
        name: "gpm.projection", shape: [objective.embeddingSize, objective.dimension],
        values: Array(parameters[..<projection]))
    ]
    if objective.gated {
      tensors.append(
        NamedTensor(
          name: "gpm.gate", shape: [objective.blocks, objective.dimension], values: Array(parameters[projection...])))
    }
    return tensors
  }

  public static func load(settings: RecordFields, dimension: Int, weights: SafeTensorsFile) throws
    -> PreferenceEmbeddingHead
  {
    let blocks = try settings.integer("blocks")
    guard blocks >= 1 else { throw settings.invalid("blocks", "expected an integer ≥ 1, found \(blocks)") }
    let temperature = try settings.number("temperature")
    guard temperature > 0 else { throw settings.invalid("temperature", "expected a number > 0, found \(temperature)") }
    let gated = try settings.bool("gated")
    let objective = PreferenceEmbeddingObjective(
      dimension: dimension, blocks: Int(blocks), temperature: temperature, gated: gated)
    var parameters = try weights.floats("gpm.projection")
    if gated { parameters += try weights.floats("gpm.gate") }
    guard parameters.count == objective.parameterCount else {
      throw ConfigurationError(
        "\(weights.path): preference-embedding weights have \(parameters.count) values, expected \(objective.parameterCount)"
      )
    }
    return PreferenceEmbeddingHead(objective: objective, parameters: parameters)
  }

  public func probabilities(_ pairs: [FeaturePair]) -> [Double] {
    pairs.map { objective.probability(parameters, pair: $0) }
  }
}
