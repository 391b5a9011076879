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
            let mean = VectorMath.sum(row.baseAddress!, width) / Float(width)
            let variance = VectorMath.squaredDeviation(row.baseAddress!, width, mean: mean) / Float(width)
            let scale = 1 / (variance + epsilon).squareRoot()
            for i in 0..<width { row[i] = (row[i] - mean) * scale * g[i] + b[i] }
          }
        }
      }
    }
  }

  /// GELU in its exact form, x · Φ(x) = x/2 · (1 + erf(x/√2)), as BERT's `hidden_act: "gelu"`.
  public static func gelu(_ values: inout [Float]) {
    values.withUnsafeMutableBufferPointer { VectorMath.gelu($0) }
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

  /// Softmax of a row of attention scores where `mask[i]` is 1 for a real key and 0 for padding:
  /// masked keys get probability exactly 0 (as an additive −∞ mask gives).
  public static func maskedSoftmax(_ row: UnsafeMutableBufferPointer<Float>, mask: UnsafePointer<Float>) {
    guard let base = row.baseAddress else { return }
    VectorMath.maskedSoftmax(base, mask: mask, count: row.count)
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
