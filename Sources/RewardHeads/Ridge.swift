import Foundation
import RewardCore
import RewardFeatures

/// Ridge regression y ≈ w·x + b, solved by conjugate gradients on (XᵀX + λI) w = Xᵀ(y − ȳ): only
/// products with X, so it works on sparse hashed features (2^18 dimensions) and dense embeddings alike.
public enum RidgeRegression {
  public static func fit(
    _ features: [FeatureVector], _ targets: [Double], dimension: Int, lambda: Double, iterations: Int = 200
  ) -> (weights: [Float], bias: Double) {
    precondition(features.count == targets.count && !targets.isEmpty)
    let mean = targets.reduce(0, +) / Double(targets.count)
    let centered = targets.map { $0 - mean }
    func apply(_ v: [Double]) -> [Double] {  // (XᵀX + λI) v
      let vf = v.map(Float.init)
      var out = v.map { lambda * $0 }
      var scratch = [Float](repeating: 0, count: dimension)
      vf.withUnsafeBufferPointer { vp in
        scratch.withUnsafeMutableBufferPointer { sp in
          for x in features { x.add(scaledBy: x.dot(vp), into: sp) }
        }
      }
      for i in 0..<dimension { out[i] += Double(scratch[i]) }
      return out
    }
    var rhsFloat = [Float](repeating: 0, count: dimension)
    rhsFloat.withUnsafeMutableBufferPointer { r in
      for (x, y) in zip(features, centered) { x.add(scaledBy: Float(y), into: r) }
    }
    var w = [Double](repeating: 0, count: dimension)
    var r = rhsFloat.map(Double.init)
    var p = r
    var rr = r.reduce(0) { $0 + $1 * $1 }
    let tolerance = 1e-10 * max(rr, 1e-30)
    for _ in 0..<iterations where rr > tolerance {
      let ap = apply(p)
      let alpha = rr / zip(p, ap).reduce(0) { $0 + $1.0 * $1.1 }
      for i in 0..<dimension {
        w[i] += alpha * p[i]
        r[i] -= alpha * ap[i]
      }
      let next = r.reduce(0) { $0 + $1 * $1 }
      let beta = next / rr
      rr = next
      for i in 0..<dimension { p[i] = r[i] + beta * p[i] }
    }
    let weights = w.map(Float.init)
    // Intercept: the mean residual, so predictions are unbiased on the training data.
    let bias = weights.withUnsafeBufferPointer { wp in
      zip(features, targets).reduce(0.0) { $0 + $1.1 - Double($1.0.dot(wp)) } / Double(targets.count)
    }
    return (weights, bias)
  }

  /// Fits on `train` for each λ and keeps the one with the lowest mean squared error on `validation`.
  public static func fitChoosingLambda(
    train: [(FeatureVector, Double)], validation: [(FeatureVector, Double)], dimension: Int,
    lambdas: [Double] = [1e-2, 1e-1, 1, 10, 100]
  ) -> (weights: [Float], bias: Double, lambda: Double, validationMSE: Double) {
    var best: (weights: [Float], bias: Double, lambda: Double, validationMSE: Double)?
    for lambda in lambdas {
      let (weights, bias) = fit(train.map(\.0), train.map(\.1), dimension: dimension, lambda: lambda)
      let check = validation.isEmpty ? train : validation
      let mse = weights.withUnsafeBufferPointer { wp in
        check.reduce(0.0) { sum, item in
          let error = Double(item.0.dot(wp)) + bias - item.1
          return sum + error * error
        } / Double(check.count)
      }
      if best == nil || mse < best!.validationMSE { best = (weights, bias, lambda, mse) }
    }
    return best!
  }
}

/// Spearman rank correlation (average ranks for ties).
public func spearmanCorrelation(_ a: [Double], _ b: [Double]) -> Double {
  func ranks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var result = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
      let rank = Double(start + end) / 2
      for k in start...end { result[order[k]] = rank }
      start = end + 1
    }
    return result
  }
  let (ra, rb) = (ranks(a), ranks(b))
  let (ma, mb) = (ra.reduce(0, +) / Double(ra.count), rb.reduce(0, +) / Double(rb.count))
  var (num, da, db) = (0.0, 0.0, 0.0)
  for (x, y) in zip(ra, rb) {
    num += (x - ma) * (y - mb)
    da += (x - ma) * (x - ma)
    db += (y - mb) * (y - mb)
  }
  return da > 0 && db > 0 ? num / (da * db).squareRoot() : 0
}
