import Foundation

/// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient, as in
/// PyTorch's `torch.optim.AdamW` (decay applied as θ ← θ − lr·λ·θ before the Adam step).
public struct AdamW: Sendable {
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  public var weightDecay: Float
  private var firstMoment: [Float]
  private var secondMoment: [Float]
  public private(set) var step = 0

  public init(
    parameterCount: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, weightDecay: Float = 0.01
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    firstMoment = [Float](repeating: 0, count: parameterCount)
    secondMoment = [Float](repeating: 0, count: parameterCount)
  }

  /// One update of `parameters` with `gradient` (same length).
  public mutating func update(_ parameters: inout [Float], gradient: [Float]) {
    precondition(parameters.count == gradient.count && parameters.count == firstMoment.count)
    step += 1
    let correction1 = 1 - pow(beta1, Float(step))
    let correction2 = 1 - pow(beta2, Float(step))
    let stepSize = learningRate / correction1
    let decay = 1 - learningRate * weightDecay
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    let sqrtCorrection2 = correction2.squareRoot()
    parameters.withUnsafeMutableBufferPointer { p in
      firstMoment.withUnsafeMutableBufferPointer { m in
        secondMoment.withUnsafeMutableBufferPointer { v in
          gradient.withUnsafeBufferPointer { g in
            for i in 0..<p.count {
              let gi = g[i]
              m[i] = b1 * m[i] + (1 - b1) * gi
              v[i] = b2 * v[i] + (1 - b2) * gi * gi
              p[i] = p[i] * decay - stepSize * m[i] / (v[i].squareRoot() / sqrtCorrection2 + eps)
            }
          }
        }
      }
    }
  }
}
