import Foundation
import RewardCore
import RewardFeatures

/// A learned process reward head: logistic regression giving P(step k is correct) from the
/// features of the prefix (problem, steps 1…k) and, optionally, of step k on its own (so the step
/// being judged is not drowned out by a long prefix). The vector it reads is [prefix ; step],
/// twice the featurizer's dimension, when `includeStepFeatures`.
public struct PRMHead: Sendable, Equatable {
  public static let kind = "prm"
  /// The featurizer's dimension.
  public let featurizerDimension: Int
  public let includeStepFeatures: Bool
  public var weights: [Float]
  public var bias: Float

  public init(featurizerDimension: Int, includeStepFeatures: Bool, weights: [Float]? = nil, bias: Float = 0) {
    self.featurizerDimension = featurizerDimension
    self.includeStepFeatures = includeStepFeatures
    let inputDimension = featurizerDimension * (includeStepFeatures ? 2 : 1)
    self.weights = weights ?? [Float](repeating: 0, count: inputDimension)
    self.bias = bias
  }

  /// The length of the vectors `logit` reads.
  public var inputDimension: Int { weights.count }

  public func logit(_ x: FeatureVector) -> Double {
    weights.withUnsafeBufferPointer { Double(x.dot($0) + bias) }
  }

  /// P(step is correct).
  public func probability(_ x: FeatureVector) -> Double { sigmoid(logit(x)) }
}

/// How a PRM sees a step: the features of its prefix and of the step itself.
public enum PRMFeatures {
  /// One candidate per step prefix: the conversation, and steps 1…k joined by blank lines.
  public static func prefixCandidates(prompt: Conversation, steps: [String]) -> [Candidate] {
    var prefix = ""
    return steps.enumerated().map { k, step in
      prefix += (k == 0 ? "" : "\n\n") + step
      return Candidate(prompt: prompt, response: prefix)
    }
  }

  /// The head's input vectors for each step of each solution, featurized in one batch.
  public static func vectors(
    for solutions: [(prompt: Conversation, steps: [String])], featurizer: any Featurizer, includeStepFeatures: Bool
  ) async throws -> [[FeatureVector]] {
    var candidates: [Candidate] = []
    for solution in solutions {
      candidates += prefixCandidates(prompt: solution.prompt, steps: solution.steps)
      if includeStepFeatures { candidates += solution.steps.map { Candidate(prompt: [], response: $0) } }
    }
    let features = try await featurizer.features(for: candidates)
    var result: [[FeatureVector]] = []
    var cursor = 0
    for solution in solutions {
      let n = solution.steps.count
      let prefixes = features[cursor..<(cursor + n)]
      cursor += n
      if includeStepFeatures {
        let alone = features[cursor..<(cursor + n)]
        cursor += n
        result.append(
          zip(prefixes, alone).map { concatenate($0, $1, dimension: featurizer.dimension) })
      } else {
        result.append(Array(prefixes))
      }
    }
    return result
  }

  /// [a ; b]: b's coordinates shifted past a's `dimension`.
  static func concatenate(_ a: FeatureVector, _ b: FeatureVector, dimension: Int) -> FeatureVector {
    if a.isDense && b.isDense && !a.values.isEmpty { return FeatureVector(dense: a.values + b.values) }
    return FeatureVector(
      sparseIndices: a.indices + b.indices.map { $0 + Int32(dimension) }, values: a.values + b.values)
  }
}

/// A trained PRM as a `RewardModel`: step scores P(step correct) with offsets, and their
/// aggregate as the scalar.
public struct PRMRewardModel: RewardModel {
  public let name: String
  public let featurizer: any Featurizer
  public let head: PRMHead
  public var splitter: StepSplitter
  public var aggregation: StepAggregation

  public init(
    name: String, featurizer: any Featurizer, head: PRMHead, splitter: StepSplitter = .blankLines,
    aggregation: StepAggregation = .min
  ) {
    self.name = name
    self.featurizer = featurizer
    self.head = head
    self.splitter = splitter
    self.aggregation = aggregation
  }

  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    let steps = candidates.map { $0.steps(splitter: splitter) }
    let vectors = try await PRMFeatures.vectors(
      for: zip(candidates, steps).map { ($0.prompt, $1.map(\.text)) }, featurizer: featurizer,
      includeStepFeatures: head.includeStepFeatures)
    return zip(steps, vectors).map { steps, vectors in
      let scored = zip(steps, vectors).enumerated().map { k, pair in
        StepScore(index: k, start: pair.0.start, end: pair.0.end, score: head.probability(pair.1))
      }
      // A response with no steps has nothing to doubt: 1, the score of a clean solution.
      return Reward(aggregation.aggregate(scored.map(\.score)) ?? 1, steps: scored)
    }
  }
}
