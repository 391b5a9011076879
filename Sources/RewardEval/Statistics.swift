import Foundation
import RewardCore

/// A point estimate with a two-sided confidence interval.
public struct Interval: Sendable, Equatable {
  public var estimate: Double
  public var lower: Double
  public var upper: Double

  public init(estimate: Double, lower: Double, upper: Double) {
    self.estimate = estimate
    self.lower = lower
    self.upper = upper
  }
}

/// Small, dependency-free statistics used by the metrics. Each function documents its convention,
/// because a metric that silently differs from the field's is worse than none.
public enum Statistics {
  public static func mean(_ values: [Double]) -> Double? {
    values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
  }

  /// Percentile bootstrap interval of the mean of `values` (resampling items with replacement).
  /// Seeded, so the same data and seed give the same interval.
  public static func bootstrapMean(
    _ values: [Double], resamples: Int = 1_000, confidence: Double = 0.95, seed: UInt64 = 0
  ) -> Interval? {
    guard let estimate = mean(values) else { return nil }
    guard resamples > 0, values.count > 1 else { return Interval(estimate: estimate, lower: estimate, upper: estimate) }
    var generator = SeededGenerator(seed: seed)
    var means: [Double] = []
    means.reserveCapacity(resamples)
    let n = values.count
    if values.allSatisfy({ $0 == 0 || $0 == 1 }) {
      // 0/1 outcomes (accuracy): drawing a random item is a Bernoulli(k/n) trial, so compare a
      // uniform 53-bit integer with k/n·2⁵³ instead of indexing (the same distribution, faster).
      let threshold = UInt64((estimate * 0x1.0p53).rounded())
      for _ in 0..<resamples {
        var ones = 0
        for _ in 0..<n where generator.next() >> 11 < threshold { ones += 1 }
        means.append(Double(ones) / Double(n))
      }
    } else {
      for _ in 0..<resamples {
        var sum = 0.0
        for _ in 0..<n { sum += values[generator.nextIndex(below: n)] }
        means.append(sum / Double(n))
      }
    }
    means.sort()
    let tail = (1 - confidence) / 2
    return Interval(
      estimate: estimate, lower: quantile(sortedValues: means, tail), upper: quantile(sortedValues: means, 1 - tail))
  }

  /// Linear-interpolation quantile (numpy's default, "linear") of already sorted values.
  public static func quantile(sortedValues: [Double], _ q: Double) -> Double {
    precondition(!sortedValues.isEmpty)
    let position = q * Double(sortedValues.count - 1)
    let below = Int(position.rounded(.down))
    let above = min(below + 1, sortedValues.count - 1)
    let fraction = position - Double(below)
    return sortedValues[below] + fraction * (sortedValues[above] - sortedValues[below])
  }

  /// Pearson correlation; nil when either side is constant or there are fewer than two points.
  public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
    guard x.count == y.count, x.count > 1, let mx = mean(x), let my = mean(y) else { return nil }
    var sxy = 0.0
    var sxx = 0.0
    var syy = 0.0
    for i in x.indices {
      sxy += (x[i] - mx) * (y[i] - my)
      sxx += (x[i] - mx) * (x[i] - mx)
      syy += (y[i] - my) * (y[i] - my)
    }
    guard sxx > 0, syy > 0 else { return nil }
    return sxy / (sxx * syy).squareRoot()
  }

  /// Spearman rank correlation: Pearson on average ranks (ties share their mean rank).
  public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
    guard x.count == y.count else { return nil }
    return pearson(averageRanks(x), averageRanks(y))
  }

  /// 1-based ranks, tied values sharing the mean of their ranks.
  public static func averageRanks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
      let rank = Double(start + end) / 2 + 1
      for k in start...end { ranks[order[k]] = rank }
      start = end + 1
    }
    return ranks
  }

  /// Area under the ROC curve: the probability that a random positive outscores a random
  /// negative, ties counting one half (the Mann–Whitney statistic, as scikit-learn's
  /// `roc_auc_score`). Nil when one class is empty.
  public static func auroc(scores: [Double], labels: [Bool]) -> Double? {
    let positives = labels.count(where: { $0 })
    let negatives = labels.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    let ranks = averageRanks(scores)
    let positiveRankSum = zip(ranks, labels).filter(\.1).map(\.0).reduce(0, +)
    let u = positiveRankSum - Double(positives * (positives + 1)) / 2
    return u / Double(positives * negatives)
  }
}
