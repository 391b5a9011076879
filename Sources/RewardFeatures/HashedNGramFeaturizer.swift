import Dispatch
import Foundation
import RewardCore

/// The built-in featurizer (no download): hashed word n-grams, the hashing trick of Weinberger
/// et al. as in scikit-learn's `HashingVectorizer` (signed hashing, sublinear term frequency).
///
/// The text the model sees is the response plus the last user turn (see `ModelText`). Each
/// part is hashed in its own namespace and L2-normalised on its own, so a long prompt never
/// dilutes the response's features; the context part is scaled by `contextWeight`.
public struct HashedNGramFeaturizer: Featurizer {
  public struct Configuration: Sendable, Equatable {
    /// Largest n-gram length (1 = unigrams only).
    public var maxN: Int = 2
    /// Number of hash buckets: the feature dimension.
    public var buckets: Int = 1 << 18
    public var seed: UInt64 = 0
    /// Weight of the last-user-turn features relative to the response's (0 drops them).
    public var contextWeight: Float = 0.5
    /// Adds an indicator of the response's length (log2 bins of words): length is a strong,
    /// well-known signal in preference data, and a linear model cannot derive it from n-grams.
    public var lengthFeatures: Bool = true
    /// Word budget of the text the model sees; see `ModelText`.
    public var maxWords: Int = 1024

    public init() {}
  }

  public let configuration: Configuration

  public init(_ configuration: Configuration = Configuration()) throws(ConfigurationError) {
    guard configuration.maxN >= 1 && configuration.maxN <= 5 else {
      throw ConfigurationError("n-gram length must be between 1 and 5, got \(configuration.maxN)")
    }
    guard configuration.buckets >= 16 && configuration.buckets <= 1 << 26 else {
      throw ConfigurationError("buckets must be between 16 and 2^26, got \(configuration.buckets)")
    }
    guard configuration.contextWeight >= 0 else { throw ConfigurationError("context weight must be ≥ 0") }
    guard configuration.maxWords >= 1 else { throw ConfigurationError("max words must be ≥ 1") }
    self.configuration = configuration
  }

  public var dimension: Int { configuration.buckets }

  public static let kind = "hashed-ngrams"

  public var descriptor: JSONValue {
    [
      "kind": .string(Self.kind), "max_n": .int(Int64(configuration.maxN)),
      "buckets": .int(Int64(configuration.buckets)), "seed": .int(Int64(bitPattern: configuration.seed)),
      "context_weight": .double(Double(configuration.contextWeight)),
      "length_features": .bool(configuration.lengthFeatures), "max_words": .int(Int64(configuration.maxWords)),
    ]
  }

  /// Rebuilds the featurizer a checkpoint describes.
  public static func make(descriptor: JSONValue) throws(ConfigurationError) -> HashedNGramFeaturizer {
    guard let object = descriptor.objectValue, object["kind"]?.stringValue == kind else {
      throw ConfigurationError("featurizer descriptor is not of kind '\(kind)'")
    }
    func int(_ key: String) throws(ConfigurationError) -> Int64 {
      guard case .int(let value) = object[key] else {
        throw ConfigurationError("featurizer.\(key): expected an integer")
      }
      return value
    }
    var configuration = Configuration()
    configuration.maxN = Int(try int("max_n"))
    configuration.buckets = Int(try int("buckets"))
    configuration.seed = UInt64(bitPattern: try int("seed"))
    configuration.maxWords = Int(try int("max_words"))
    guard let weight = object["context_weight"]?.doubleValue, case .bool(let length) = object["length_features"] else {
      throw ConfigurationError("featurizer: expected 'context_weight' (number) and 'length_features' (boolean)")
    }
    configuration.contextWeight = Float(weight)
    configuration.lengthFeatures = length
    return try HashedNGramFeaturizer(configuration)
  }

  public func features(for candidates: [Candidate]) async throws -> [FeatureVector] {
    featuresSync(candidates)
  }

  /// Featurizes in parallel across cores; the result does not depend on the thread count.
  public func featuresSync(_ candidates: [Candidate]) -> [FeatureVector] {
    var results = [FeatureVector](repeating: FeatureVector(dense: []), count: candidates.count)
    let chunk = 256
    let chunks = (candidates.count + chunk - 1) / chunk
    results.withUnsafeMutableBufferPointer { output in
      nonisolated(unsafe) let output = output
      DispatchQueue.concurrentPerform(iterations: chunks) { c in
        for i in c * chunk..<min(candidates.count, (c + 1) * chunk) {
          output[i] = vector(for: candidates[i])
        }
      }
    }
    return results
  }

  /// Every step works on sorted arrays (not dictionaries, whose order varies between
  /// instances), so sums happen in a fixed order and the same text always gives bit-identical
  /// features, in any process.
  public func vector(for candidate: Candidate) -> FeatureVector {
    let text = ModelText(candidate: candidate, maxWords: configuration.maxWords)
    var responseIndices = signedIndices(text.responseTokens, namespace: 1)
    if configuration.lengthFeatures {
      let bin = UInt64(Int.bitWidth - max(1, text.responseWordCount + 1).leadingZeroBitCount)
      responseIndices.append(hashIndex(0xC0FF_EE00 &+ bin, namespace: 3))
    }
    var entries = normalized(responseIndices, weight: 1)
    if configuration.contextWeight > 0 && !text.contextTokens.isEmpty {
      entries += normalized(signedIndices(text.contextTokens, namespace: 2), weight: configuration.contextWeight)
    }
    // Stable order for equal buckets (response before context) keeps collision sums fixed.
    let order = entries.indices.sorted { (entries[$0].index, $0) < (entries[$1].index, $1) }
    var indices: [Int32] = []
    var values: [Float] = []
    indices.reserveCapacity(entries.count)
    values.reserveCapacity(entries.count)
    for position in order {
      let entry = entries[position]
      if indices.last == entry.index {
        values[values.count - 1] += entry.value
      } else {
        indices.append(entry.index)
        values.append(entry.value)
      }
    }
    return FeatureVector(sparseIndices: indices, values: values)
  }

  /// Signed bucket of every 1…maxN-gram; a negative sign (stored as ~bucket) for half the hashes
  /// keeps collisions unbiased, as `alternate_sign` in scikit-learn.
  private func signedIndices(_ tokens: [UInt64], namespace: UInt64) -> [Int32] {
    var indices: [Int32] = []
    indices.reserveCapacity(tokens.count * configuration.maxN)
    for start in tokens.indices {
      var gram: UInt64 = 0
      for n in 0..<configuration.maxN where start + n < tokens.count {
        gram = (gram &* 0x100_0000_01B3) ^ tokens[start + n] ^ UInt64(n)
        indices.append(hashIndex(gram, namespace: namespace))
      }
    }
    return indices
  }

  private func hashIndex(_ value: UInt64, namespace: UInt64) -> Int32 {
    var z = value ^ (configuration.seed &* 0x9E37_79B9_7F4A_7C15) ^ (namespace &* 0xD6E8_FEB8_6659_FD93)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    // The top bit picks the sign, the rest the bucket.
    let bucket = Int32(truncatingIfNeeded: (z & 0x7FFF_FFFF) % UInt64(configuration.buckets))
    return (z >> 63) == 1 ? ~bucket : bucket
  }

  /// Counts of each signed bucket → sublinear tf (1 + log count), signed, L2-normalised, scaled
  /// by `weight`; as (bucket, value) entries.
  private func normalized(_ signedIndices: [Int32], weight: Float) -> [(index: Int32, value: Float)] {
    guard !signedIndices.isEmpty else { return [] }
    let sorted = signedIndices.sorted()
    var runs: [(index: Int32, tf: Float)] = []
    var start = 0
    while start < sorted.count {
      var end = start + 1
      while end < sorted.count && sorted[end] == sorted[start] { end += 1 }
      runs.append((sorted[start], 1 + log(Float(end - start))))
      start = end
    }
    let squaredNorm = runs.reduce(Float(0)) { $0 + $1.tf * $1.tf }
    let scale = weight / squaredNorm.squareRoot()
    return runs.map { run in
      run.index < 0 ? (~run.index, -run.tf * scale) : (run.index, run.tf * scale)
    }
  }
}
