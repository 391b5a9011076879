import Dispatch
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
      let scale = 1 / (VectorMath.squaredDeviation(row, width, mean: 0) / Float(width) + epsilon).squareRoot()
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

  /// Runs `body` over `count` items split into one contiguous range per BLAS thread: the
  /// element-wise steps between two products would otherwise leave every core but one idle.
  static func inParallel(count: Int, minimumPerWorker: Int = 16_384, _ body: @Sendable (Range<Int>) -> Void) {
    let workers = max(1, min(BLAS.threadCount, count / minimumPerWorker))
    guard workers > 1 else { return body(0..<count) }
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      body(count * worker / workers..<count * (worker + 1) / workers)
    }
  }

  /// gate ← silu(gate) · up, element by element over `count` values. Branch-free (selects, an
  /// inlined exp) so the loop vectorises.
  static func siluGate(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
      let g = gate[i]
      // σ(g) from e^(−|g|) ≤ 1, so the exponential never overflows.
      let e = VectorMath.exp(g >= 0 ? -g : g)
      let sigmoid = (g >= 0 ? 1 : e) / (1 + e)
      gate[i] = g * sigmoid * up[i]
    }
  }

  /// The largest of `count` ≥ 1 values, over four accumulators so the loop vectorises.
  static func maximum(_ values: UnsafePointer<Float>, count: Int) -> Float {
    var maxima = (values[0], values[0], values[0], values[0])
    var j = 0
    while j + 4 <= count {
      maxima.0 = values[j] > maxima.0 ? values[j] : maxima.0
      maxima.1 = values[j + 1] > maxima.1 ? values[j + 1] : maxima.1
      maxima.2 = values[j + 2] > maxima.2 ? values[j + 2] : maxima.2
      maxima.3 = values[j + 3] > maxima.3 ? values[j + 3] : maxima.3
      j += 4
    }
    while j < count {
      maxima.0 = values[j] > maxima.0 ? values[j] : maxima.0
      j += 1
    }
    return max(max(maxima.0, maxima.1), max(maxima.2, maxima.3))
  }

  /// Softmax of row `i` of a causal score matrix over keys `start...end` (a sliding window starts
  /// later than 0); the other entries up to `count` become 0 so the product with V ignores them.
  static func causalSoftmax(_ row: UnsafeMutablePointer<Float>, count: Int, start: Int, end: Int) {
    let values = row + start
    let width = end - start + 1
    let maximum = Self.maximum(values, count: width)
    for j in 0..<width { values[j] = VectorMath.exp(values[j] - maximum) }
    let inverse = 1 / VectorMath.sum(values, width)
    for j in 0..<width { values[j] *= inverse }
    if start > 0 { row.update(repeating: 0, count: start) }
    if end + 1 < count { (row + end + 1).update(repeating: 0, count: count - end - 1) }
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
