/// Kernels for the element-wise parts of a transformer layer, written as plain loops the
/// compiler can vectorise even for baseline x86-64 (SSE2): no float→int conversions that trap,
/// no libm calls, and reductions split over independent accumulators. (Explicit `SIMD8` types
/// were as fast in release but hundreds of times slower in debug builds, where tests run.)
public enum VectorMath {
  /// eˣ for x ≤ 0 (larger values are clamped to 0, smaller to −87): relative error about 2·10⁻⁷.
  /// Rounding to the nearest integer uses the 1.5·2²³ trick (no SSE4.1 instruction needed) and
  /// 2ⁿ is built in the exponent bits directly.
  @inlinable @inline(__always)
  public static func exp(_ x: Float) -> Float {
    // Plain comparisons rather than the generic min/max, which debug builds do not specialise.
    let clamped: Float = x < -87 ? -87 : (x > 0 ? 0 : x)
    let shifted = clamped * 1.442695041 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693145752 - n * 1.42860677e-06
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent: UInt32 = (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< (23 as UInt32)
    return p * Float(bitPattern: exponent)
  }

  /// erf (Abramowitz & Stegun 7.1.26, absolute error below 1.5·10⁻⁷, far under what float32
  /// activations resolve after GELU's x/2 scaling).
  @inlinable @inline(__always)
  public static func erf(_ x: Float) -> Float {
    let a: Float = x < 0 ? -x : x
    let t = 1 / (1 + 0.3275911 * a)
    var p: Float = 1.061405429
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let y = 1 - p * t * exp(-a * a)
    return x < 0 ? -y : y
  }

  /// GELU, x·Φ(x) = x/2 · (1 + erf(x/√2)), in place.
  public static func gelu(_ values: UnsafeMutableBufferPointer<Float>) {
    guard let x = values.baseAddress else { return }
    for i in 0..<values.count { x[i] = 0.5 * x[i] * (1 + erf(x[i] * 0.70710678118654752)) }
  }

  /// Σ values, over eight interleaved accumulators so the adds vectorise.
  public static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var a = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
    var i = 0
    while i + 8 <= count {
      a.0 += p[i]
      a.1 += p[i + 1]
      a.2 += p[i + 2]
      a.3 += p[i + 3]
      a.4 += p[i + 4]
      a.5 += p[i + 5]
      a.6 += p[i + 6]
      a.7 += p[i + 7]
      i += 8
    }
    var total = ((a.0 + a.1) + (a.2 + a.3)) + ((a.4 + a.5) + (a.6 + a.7))
    while i < count {
      total += p[i]
      i += 1
    }
    return total
  }

  /// Σ (values − mean)².
  public static func squaredDeviation(_ p: UnsafePointer<Float>, _ count: Int, mean: Float) -> Float {
    var a = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
    var i = 0
    while i + 8 <= count {
      let d = (p[i] - mean, p[i + 1] - mean, p[i + 2] - mean, p[i + 3] - mean)
      let e = (p[i + 4] - mean, p[i + 5] - mean, p[i + 6] - mean, p[i + 7] - mean)
      a.0 += d.0 * d.0
      a.1 += d.1 * d.1
      a.2 += d.2 * d.2
      a.3 += d.3 * d.3
      a.4 += e.0 * e.0
      a.5 += e.1 * e.1
      a.6 += e.2 * e.2
      a.7 += e.3 * e.3
      i += 8
    }
    var total = ((a.0 + a.1) + (a.2 + a.3)) + ((a.4 + a.5) + (a.6 + a.7))
    while i < count {
      total += (p[i] - mean) * (p[i] - mean)
      i += 1
    }
    return total
  }

  /// Softmax of a row in place where `mask[i]` is 1 for keys that count and 0 for padding
  /// (which gets probability exactly 0, as an additive −∞ mask gives).
  public static func maskedSoftmax(_ row: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
    var maximum = -Float.greatestFiniteMagnitude
    for i in 0..<count where mask[i] != 0 { maximum = Swift.max(maximum, row[i]) }
    // Masked keys may score above the maximum: exp clamps their argument, then × 0.
    for i in 0..<count { row[i] = exp(row[i] - maximum) * mask[i] }
    let total = sum(row, count)
    let inverse = total > 0 ? 1 / total : 0
    for i in 0..<count { row[i] *= inverse }
  }

  /// y += x.
  public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
  }
}
