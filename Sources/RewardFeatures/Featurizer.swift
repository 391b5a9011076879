import RewardCore

/// A feature vector: sparse (sorted `indices` with `values`) from hashed n-grams, or dense
/// (`indices` empty, one value per dimension) from an encoder.
public struct FeatureVector: Sendable, Equatable {
  public var indices: [Int32]
  public var values: [Float]

  public init(sparseIndices indices: [Int32], values: [Float]) {
    precondition(indices.count == values.count)
    self.indices = indices
    self.values = values
  }

  public init(dense values: [Float]) {
    self.indices = []
    self.values = values
  }

  public var isDense: Bool { indices.isEmpty }

  /// ⟨self, w⟩ for a weight vector of the featurizer's dimension.
  @inlinable
  public func dot(_ weights: UnsafeBufferPointer<Float>) -> Float {
    var sum: Float = 0
    if indices.isEmpty {
      for i in 0..<values.count { sum += values[i] * weights[i] }
    } else {
      for i in 0..<indices.count { sum += values[i] * weights[Int(indices[i])] }
    }
    return sum
  }

  /// out += scale · self.
  @inlinable
  public func add(scaledBy scale: Float, into out: UnsafeMutableBufferPointer<Float>) {
    if indices.isEmpty {
      for i in 0..<values.count { out[i] += scale * values[i] }
    } else {
      for i in 0..<indices.count { out[Int(indices[i])] += scale * values[i] }
    }
  }
}

/// Turns candidates into feature vectors. Heads train on any featurizer: hashed n-grams (built
/// in, no download), a native transformer encoder, or a remote embedding endpoint.
public protocol Featurizer: Sendable {
  /// Length of the vectors this featurizer makes.
  var dimension: Int { get }
  /// Everything needed to rebuild this featurizer, with a `"kind"` key; stored in checkpoints.
  var descriptor: JSONValue { get }
  /// One vector per candidate, in order.
  func features(for candidates: [Candidate]) async throws -> [FeatureVector]
}
