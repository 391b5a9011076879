import Foundation

/// Row-wise and element-wise operations of transformer layers, written over contiguous buffers
/// so the compiler vectorises them (they are the non-BLAS part of the encoder's hot path).
public enum Activations {
  /// Layer normalisation of each row of `matrix` in place: (x − mean) / sqrt(var + ε) · γ + β,
  /// with the biased variance, as PyTorch's `LayerNorm`.
  public static func layerNormalize(_ matrix: inout Matrix, gamma: [Float], beta: [Float], epsilon: Float) {
    let width = matrix.columns
    precondition(gamma.count == width && beta.count == width, "layer norm parameters must have \(width) values")
    guard width > 0 else { return }
    matrix.values.withUnsafeMutableBufferPointer { x in
      gamma.withUnsafeBufferPointer { g in
        beta.withUnsafeBufferPointer { b in
          for r in 0..<matrix.rows {
            let row = UnsafeMutableBufferPointer(rebasing: x[r * width..<(r + 1) * width])
            var sum: Float = 0
            for v in row { sum += v }
            let mean = sum / Float(width)
            var squares: Float = 0
            for v in row {
              let d = v - mean
              squares += d * d
            }
            let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
            for i in 0..<width { row[i] = (row[i] - mean) * scale * g[i] + b[i] }
          }
        }
      }
    }
  }

  /// GELU in its exact form, x · Φ(x) = x/2 · (1 + erf(x/√2)), as BERT's `hidden_act: "gelu"`.
  public static func gelu(_ values: inout [Float]) {
    values.withUnsafeMutableBufferPointer { x in
      for i in 0..<x.count { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
    }
  }

  /// The tanh approximation of GELU (`gelu_new`, `gelu_pytorch_tanh`).
  public static func geluTanh(_ values: inout [Float]) {
    values.withUnsafeMutableBufferPointer { x in
      for i in 0..<x.count {
        let v = x[i]
        x[i] = 0.5 * v * (1 + tanhf(0.7978845608028654 * (v + 0.044715 * v * v * v)))
      }
    }
  }

  /// Numerically stable softmax of the first `count` values of a row, in place; the rest of the
  /// row (masked keys) becomes 0.
  @inlinable
  public static func softmax(_ row: UnsafeMutableBufferPointer<Float>, count: Int) {
    guard count > 0 else {
      for i in 0..<row.count { row[i] = 0 }
      return
    }
    var maximum = -Float.infinity
    for i in 0..<count { maximum = max(maximum, row[i]) }
    var sum: Float = 0
    for i in 0..<count {
      let e = fastExp(row[i] - maximum)
      row[i] = e
      sum += e
    }
    let inverse = 1 / sum
    for i in 0..<count { row[i] *= inverse }
    for i in count..<row.count { row[i] = 0 }
  }

  /// Softmax of a row of attention scores where `mask[i]` is 1 for a real key and 0 for padding:
  /// masked keys get probability exactly 0 (as an additive −∞ mask gives).
  @inlinable
  public static func maskedSoftmax(_ row: UnsafeMutableBufferPointer<Float>, mask: UnsafePointer<Float>) {
    var maximum = -Float.greatestFiniteMagnitude
    for i in 0..<row.count where mask[i] != 0 { maximum = max(maximum, row[i]) }
    var sum: Float = 0
    for i in 0..<row.count {
      // Masked keys may score above the maximum; clamping keeps their exp finite before × 0.
      let e = fastExp(min(row[i] - maximum, 0)) * mask[i]
      row[i] = e
      sum += e
    }
    let inverse = sum > 0 ? 1 / sum : 0
    for i in 0..<row.count { row[i] *= inverse }
  }

  /// eˣ for x ≤ 0 (softmax arguments) to about 2 ulp: a range reduction to 2ⁿ · e^r with
  /// |r| ≤ ln2/2 and a degree-6 polynomial, branch-free so loops over it vectorise.
  @inlinable
  public static func fastExp(_ x: Float) -> Float {
    let clamped = max(x, -87.3)
    let n = (clamped * 1.442695041).rounded(.toNearestOrEven)
    let r = clamped - n * 0.693145752 - n * 1.42860677e-06
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    return p * Float(bitPattern: UInt32(bitPattern: Int32(n) + 127) << 23)
  }

  /// Scales each row to unit Euclidean length (rows of zeros stay zero).
  public static func l2Normalize(_ values: inout [Float]) {
    var squares: Float = 0
    for v in values { squares += v * v }
    let norm = squares.squareRoot()
    guard norm > 0 else { return }
    let inverse = 1 / max(norm, 1e-12)
    for i in values.indices { values[i] *= inverse }
  }
}
