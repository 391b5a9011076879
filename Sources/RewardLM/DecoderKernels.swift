import Foundation
import RewardTensor

// The element-wise pieces of a decoder layer (RMSNorm, RoPE, SiLU-gated MLP, causal softmax),
// shared by every family. Plain loops over pointers: the matrix products go to BLAS.

enum DecoderKernels {
  /// x ← x / √(mean(x²) + ε) · weight, per row of `width` values (rows `stride` apart).
  static func rmsNormalize(
    _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int, weight: UnsafePointer<Float>,
    epsilon: Float
  ) {
    for r in 0..<rows {
      let row = x + r * stride
      var sum: Float = 0
      var sum2: Float = 0
      var i = 0
      while i + 1 < width {
        sum += row[i] * row[i]
        sum2 += row[i + 1] * row[i + 1]
        i += 2
      }
      if i < width { sum += row[i] * row[i] }
      let scale = 1 / ((sum + sum2) / Float(width) + epsilon).squareRoot()
      for i in 0..<width { row[i] = weight[i] * (row[i] * scale) }
    }
  }

  /// A copy of `input` normalised (the residual stream stays unnormalised).
  static func rmsNormalized(_ input: [Float], rows: Int, width: Int, weight: [Float], epsilon: Float) -> [Float] {
    var out = input
    out.withUnsafeMutableBufferPointer { o in
      weight.withUnsafeBufferPointer { w in
        rmsNormalize(o.baseAddress!, rows: rows, width: width, stride: width, weight: w.baseAddress!, epsilon: epsilon)
      }
    }
    return out
  }

  /// Adds `bias` to `columns` columns starting at `column` of each row.
  static func addBias(
    _ bias: [Float], to x: UnsafeMutablePointer<Float>, rows: Int, stride: Int, column: Int
  ) {
    bias.withUnsafeBufferPointer { b in
      for r in 0..<rows {
        let row = x + r * stride + column
        for i in 0..<b.count { row[i] += b[i] }
      }
    }
  }

  /// silu(gate) · up, where each row holds `width` gate values then `width` up values; the result
  /// overwrites the gate half.
  static func siluGate(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for r in 0..<rows {
      let gate = x + r * 2 * width
      let up = gate + width
      for i in 0..<width {
        let g = gate[i]
        // σ(g) from e^(−|g|) ≤ 1, so the exponential never overflows.
        let e = VectorMath.exp(g >= 0 ? -g : g)
        let sigmoid = g >= 0 ? 1 / (1 + e) : e / (1 + e)
        gate[i] = g * sigmoid * up[i]
      }
    }
  }

  /// Softmax of row `i` of a causal score matrix over keys `start...i` (a sliding window starts
  /// later than 0); the other entries become 0 so the product with V ignores them.
  static func causalSoftmax(_ row: UnsafeMutablePointer<Float>, count: Int, start: Int, end: Int) {
    var maximum = -Float.infinity
    for j in start...end where row[j] > maximum { maximum = row[j] }
    var total: Float = 0
    for j in start...end {
      let e = VectorMath.exp(row[j] - maximum)
      row[j] = e
      total += e
    }
    let inverse = 1 / total
    for j in 0..<start { row[j] = 0 }
    for j in start...end { row[j] *= inverse }
    for j in (end + 1)..<count { row[j] = 0 }
  }
}

/// RoPE's cos/sin per (position, frequency), computed as transformers does in float32: inverse
/// frequencies 1/θ^(2i/d), Llama 3's long-context scaling when configured, angle = position·freq.
struct RotaryTable {
  let half: Int
  let layout: RoPELayout
  let inverseFrequencies: [Float]
  let positionScale: Float

  init(config: DecoderConfig, frequencyFactors: [Float]? = nil) {
    let d = config.headSize
    half = d / 2
    layout = config.ropeLayout
    var frequencies = (0..<d / 2).map { i -> Float in
      let exponent = Float(2 * i) / Float(d)
      return 1 / Float(pow(config.ropeTheta, Double(exponent)))
    }
    if let scaling = config.llama3Scaling { frequencies = scaling.scale(frequencies) }
    if let factors = frequencyFactors {
      for i in frequencies.indices where i < factors.count { frequencies[i] /= factors[i] }
    }
    inverseFrequencies = frequencies
    positionScale = config.linearScalingFactor.map { 1 / Float($0) } ?? 1
  }

  /// cos and sin for positions 0..<count, `half` values each per position.
  func table(count: Int) -> (cos: [Float], sin: [Float]) {
    var cosines = [Float](repeating: 0, count: count * half)
    var sines = [Float](repeating: 0, count: count * half)
    for p in 0..<count {
      let position = Float(p) * positionScale
      for i in 0..<half {
        let angle = Double(position * inverseFrequencies[i])
        cosines[p * half + i] = Float(Foundation.cos(angle))
        sines[p * half + i] = Float(Foundation.sin(angle))
      }
    }
    return (cosines, sines)
  }

  /// Rotates `heads` heads of `2·half` values at `x` (a token's row) by position `p`.
  func apply(
    _ x: UnsafeMutablePointer<Float>, heads: Int, position p: Int, cos: UnsafePointer<Float>,
    sin: UnsafePointer<Float>
  ) {
    let c = cos + p * half
    let s = sin + p * half
    for head in 0..<heads {
      let v = x + head * 2 * half
      switch layout {
      case .halves:
        for i in 0..<half {
          let (a, b) = (v[i], v[i + half])
          v[i] = a * c[i] - b * s[i]
          v[i + half] = b * c[i] + a * s[i]
        }
      case .interleaved:
        for i in 0..<half {
          let (a, b) = (v[2 * i], v[2 * i + 1])
          v[2 * i] = a * c[i] - b * s[i]
          v[2 * i + 1] = b * c[i] + a * s[i]
        }
      }
    }
  }
}
