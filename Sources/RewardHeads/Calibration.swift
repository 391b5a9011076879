import Foundation
import RewardCore

/// Temperature scaling (Guo et al. 2017) for pairwise preferences: find T > 0 so that
/// σ((r_c − r_r)/T) matches the labels on held-out pairs.
///
/// Only a temperature: a bias term σ((r_a − r_b)/T + b) would favour whichever response is
/// listed first, which means nothing for a reward model that scores responses one at a time.
public enum TemperatureCalibration {
  /// Minimises the mean cross-entropy of σ(β·d) against the targets over β = 1/T by Newton's
  /// method (the objective is convex in β). Returns T; 1 when there is nothing to fit.
  public static func fit(margins: [Double], targets: [Double]) -> Double {
    precondition(margins.count == targets.count)
    guard margins.contains(where: { $0 != 0 }) else { return 1 }
    var beta = 1.0
    for _ in 0..<100 {
      var gradient = 0.0
      var curvature = 0.0
      for (d, t) in zip(margins, targets) {
        let p = sigmoid(beta * d)
        gradient += (p - t) * d
        curvature += p * (1 - p) * d * d
      }
      guard curvature > 1e-12 else { break }
      // Stay positive: a model whose margins point the wrong way gets a large T, not a flip.
      let next = max(beta - gradient / curvature, beta / 10)
      if abs(next - beta) < 1e-10 * max(1, beta) {
        beta = next
        break
      }
      beta = next
    }
    return 1 / beta
  }

  /// Expected calibration error of the predicted winner: confidence max(p, 1 − p) in equal-width
  /// bins over [0.5, 1], against the share of pairs where the predicted winner is the label's.
  public static func expectedCalibrationError(
    margins: [Double], targets: [Double], temperature: Double = 1, bins: Int = 10
  ) -> Double {
    guard !margins.isEmpty else { return 0 }
    var confidenceSum = [Double](repeating: 0, count: bins)
    var correctSum = [Double](repeating: 0, count: bins)
    var counts = [Int](repeating: 0, count: bins)
    for (d, t) in zip(margins, targets) {
      let p = sigmoid(d / temperature)
      let confidence = max(p, 1 - p)
      let bin = min(bins - 1, Int((confidence - 0.5) * 2 * Double(bins)))
      confidenceSum[bin] += confidence
      // With a soft target, the predicted winner is right with probability t (or 1 − t).
      correctSum[bin] += p >= 0.5 ? t : 1 - t
      counts[bin] += 1
    }
    let total = Double(margins.count)
    return (0..<bins).reduce(0) { sum, bin in
      counts[bin] == 0 ? sum : sum + abs(confidenceSum[bin] - correctSum[bin]) / total
    }
  }
}
