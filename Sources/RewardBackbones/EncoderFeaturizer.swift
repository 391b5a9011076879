import Foundation
import RewardCore
import RewardFeatures

/// Counts of what an encoder featurizer (BERT or decoder LM) did, for progress lines and tests
/// (thread-safe). Featurizers shared within a process share their counts.
public final class EncoderStatistics: @unchecked Sendable {
  private let lock = NSLock()
  private var counts = (encoded: 0, cached: 0, truncatedResponses: 0)

  public var encoded: Int { read { $0.encoded } }
  public var cacheHits: Int { read { $0.cached } }
  /// Responses longer than the token budget (they keep their head).
  public var truncatedResponses: Int { read { $0.truncatedResponses } }

  public init() {}

  public func add(encoded: Int = 0, cached: Int = 0, truncatedResponses: Int = 0) {
    lock.lock()
    defer { lock.unlock() }
    counts.encoded += encoded
    counts.cached += cached
    counts.truncatedResponses += truncatedResponses
  }

  private func read(_ field: ((encoded: Int, cached: Int, truncatedResponses: Int)) -> Int) -> Int {
    lock.lock()
    defer { lock.unlock() }
    return field(counts)
  }
}

/// Dense features from a frozen transformer encoder: one pooled embedding per candidate.
///
/// The text the model sees is the last user turn and the response, encoded as a BERT text pair,
/// `[CLS] user [SEP] response [SEP]` with token types 0 and 1, so the model can tell the two
/// apart (a candidate with no user turn is `[CLS] response [SEP]`). Within the token budget the
/// response comes first: it keeps up to the whole budget (its head); the last user turn gets what
/// remains and keeps its end, the words nearest the response. A response is never dropped.
///
/// Embeddings are cached on disk by model fingerprint, encoding settings and text, so a second
/// run on the same data does not re-encode.
public struct EncoderFeaturizer: Featurizer {
  public static let kind = "encoder"
  public static let defaultTokenBudget = 256
  /// BERT's position limit; longer budgets are refused rather than silently cut.
  public static let maximumTokenBudget = 512
  /// Names how candidates become text, so cached embeddings of another scheme are never reused.
  public static let textScheme = "last-user-turn+response pair v1"

  /// The backbone as given: a known name ("minilm") or a model directory (made absolute).
  public let backbone: String
  public let encoder: SentenceEncoder
  public let tokenBudget: Int
  public let fingerprint: String
  public let statistics = EncoderStatistics()
  let cache: EmbeddingCache?

  /// - Parameters:
  ///   - backbone: a known name or a local Hugging Face BERT directory.
  ///   - pooling, normalize: default to what the model directory declares (sentence-transformers files).
  ///   - tokenBudget: tokens per candidate, special tokens included (at most 512 and the model's limit).
  ///   - store: where known backbones and the embedding cache live.
  ///   - cacheEmbeddings: false to neither read nor write the disk cache.
  public init(
    backbone: String, pooling: Pooling? = nil, normalize: Bool? = nil, tokenBudget: Int = defaultTokenBudget,
    store: BackboneStore = BackboneStore(), cacheEmbeddings: Bool = true
  ) throws {
    guard tokenBudget >= 4 && tokenBudget <= Self.maximumTokenBudget else {
      throw ConfigurationError("token budget must be between 4 and \(Self.maximumTokenBudget), got \(tokenBudget)")
    }
    let directory = try store.resolve(backbone)
    var encoder = try SentenceEncoder(directory: directory, pooling: pooling, normalize: normalize)
    guard tokenBudget <= encoder.model.config.maxPositions else {
      throw ConfigurationError(
        "token budget \(tokenBudget) exceeds the model's max_position_embeddings \(encoder.model.config.maxPositions)")
    }
    encoder.maxLength = tokenBudget
    self.encoder = encoder
    self.backbone =
      BackboneStore.knownBackbone(named: backbone) != nil
      ? backbone.lowercased() : URL(fileURLWithPath: directory).standardizedFileURL.path
    self.tokenBudget = tokenBudget
    fingerprint = try ModelFingerprint.of(directory: directory)
    if cacheEmbeddings {
      let settings = EmbeddingKey([
        Self.textScheme, encoder.pooling.rawValue, String(encoder.normalize), String(tokenBudget),
      ])
      let name = "\(fingerprint)-\(String(settings.high, radix: 16)).embeddings"
      cache = try EmbeddingCache.shared(
        path: (store.embeddingCacheDirectory as NSString).appendingPathComponent(name), dimension: encoder.dimension)
    } else {
      cache = nil
    }
  }

  public var dimension: Int { encoder.dimension }

  public var descriptor: JSONValue {
    [
      "kind": .string(Self.kind), "backbone": .string(backbone), "pooling": .string(encoder.pooling.rawValue),
      "normalize": .bool(encoder.normalize), "max_length": .int(Int64(tokenBudget)),
      "text": .string(Self.textScheme), "fingerprint": .string(fingerprint),
    ]
  }

  /// Rebuilds the featurizer a checkpoint describes, refusing a backbone whose files changed
  /// since (a head trained on one encoder means nothing on another).
  public static func make(descriptor: JSONValue, store: BackboneStore = BackboneStore()) throws -> EncoderFeaturizer {
    guard let object = descriptor.objectValue, object["kind"]?.stringValue == kind else {
      throw ConfigurationError("featurizer descriptor is not of kind '\(kind)'")
    }
    guard let backbone = object["backbone"]?.stringValue else {
      throw ConfigurationError("encoder featurizer descriptor: missing 'backbone'")
    }
    var pooling: Pooling? = nil
    if let name = object["pooling"]?.stringValue {
      guard let value = Pooling(rawValue: name) else {
        throw ConfigurationError("encoder featurizer descriptor: unknown pooling '\(name)' (mean, cls, last)")
      }
      pooling = value
    }
    var normalize: Bool? = nil
    if case .bool(let b)? = object["normalize"] { normalize = b }
    var budget = defaultTokenBudget
    if case .int(let n)? = object["max_length"] { budget = Int(n) }
    if let scheme = object["text"]?.stringValue, scheme != textScheme {
      throw ConfigurationError(
        "encoder featurizer descriptor: text scheme '\(scheme)' is not supported (\(textScheme))")
    }
    let featurizer = try shared(
      backbone: backbone, pooling: pooling, normalize: normalize, tokenBudget: budget, store: store)
    if let recorded = object["fingerprint"]?.stringValue, recorded != featurizer.fingerprint {
      throw ConfigurationError(
        "backbone '\(backbone)' has changed since this checkpoint was trained (fingerprint \(featurizer.fingerprint), "
          + "checkpoint has \(recorded)): use the model files it was trained with")
    }
    return featurizer
  }

  /// The featurizer for these settings, made once per process for the same model files: heads
  /// rebuilt from checkpoints on one backbone (`reward eval --model A --model B`, a spec's
  /// components, the server's models) share its weights, in-memory cache and counts, so each
  /// distinct text is encoded once.
  public static func shared(
    backbone: String, pooling: Pooling? = nil, normalize: Bool? = nil, tokenBudget: Int = defaultTokenBudget,
    store: BackboneStore = BackboneStore()
  ) throws -> EncoderFeaturizer {
    let directory = URL(fileURLWithPath: try store.resolve(backbone)).standardizedFileURL.path
    let key = SharedKey(
      backbone: backbone, directory: directory, fingerprint: try ModelFingerprint.of(directory: directory),
      pooling: pooling, normalize: normalize, tokenBudget: tokenBudget, cacheDirectory: store.embeddingCacheDirectory)
    return try sharedFeaturizers.instance(for: key) {
      try EncoderFeaturizer(
        backbone: backbone, pooling: pooling, normalize: normalize, tokenBudget: tokenBudget, store: store)
    }
  }

  private struct SharedKey: Hashable, Sendable {
    var backbone: String
    var directory: String
    var fingerprint: String
    var pooling: Pooling?
    var normalize: Bool?
    var tokenBudget: Int
    var cacheDirectory: String
  }
  private static let sharedFeaturizers = SharedInstances<SharedKey, EncoderFeaturizer>()

  /// The token ids the model sees for a candidate; see the type's documentation.
  public func encoding(for candidate: Candidate) -> Encoding {
    encodingAndTruncation(for: candidate).encoding
  }

  func encodingAndTruncation(for candidate: Candidate) -> (encoding: Encoding, responseTruncated: Bool) {
    let tokenizer = encoder.tokenizer
    let response = tokenizer.wordPieceIDs(candidate.response)
    let user = candidate.prompt.lastUserTurn.map { tokenizer.wordPieceIDs($0) } ?? []
    let pairRoom = tokenBudget - 3
    let responseKept = min(response.count, pairRoom)
    let userKept = min(user.count, pairRoom - responseKept)
    if userKept > 0 {
      return (tokenizer.pair(Array(user.suffix(userKept)), Array(response.prefix(responseKept))), false)
    }
    let singleRoom = tokenBudget - 2
    return (tokenizer.single(Array(response.prefix(singleRoom))), response.count > singleRoom)
  }

  func cacheKey(for candidate: Candidate) -> EmbeddingKey {
    EmbeddingKey([candidate.prompt.lastUserTurn ?? "\u{0}none", candidate.response])
  }

  public func features(for candidates: [Candidate]) async throws -> [FeatureVector] {
    try embeddings(for: candidates).map { FeatureVector(dense: $0) }
  }

  /// One embedding per candidate: cached ones from disk, the rest encoded (each distinct text
  /// once) and added to the cache. `progress` gets (texts encoded so far, texts to encode), from
  /// worker threads, so a command can show items/s and an ETA while a large set is encoded.
  public func embeddings(
    for candidates: [Candidate], progress: (@Sendable (_ encoded: Int, _ total: Int) -> Void)? = nil
  ) throws -> [[Float]] {
    var results = [[Float]](repeating: [], count: candidates.count)
    var pending: [EmbeddingKey: [Int]] = [:]
    var pendingOrder: [(key: EmbeddingKey, candidate: Int)] = []
    var hits = 0
    for (index, candidate) in candidates.enumerated() {
      let key = cacheKey(for: candidate)
      if let vector = cache?.lookup(key) {
        results[index] = vector
        hits += 1
      } else if pending[key] != nil {
        pending[key]!.append(index)
      } else {
        pending[key] = [index]
        pendingOrder.append((key, index))
      }
    }
    var truncated = 0
    let encodings = pendingOrder.map { item in
      let (encoding, wasTruncated) = encodingAndTruncation(for: candidates[item.candidate])
      if wasTruncated { truncated += 1 }
      return encoding
    }
    let total = encodings.count
    var perBatch: (@Sendable (Int) -> Void)? = nil
    if let progress { perBatch = { done in progress(done, total) } }
    let vectors = encoder.embed(encodings: encodings, progress: perBatch)
    for (item, vector) in zip(pendingOrder, vectors) {
      for index in pending[item.key]! { results[index] = vector }
    }
    try cache?.store(zip(pendingOrder, vectors).map { ($0.key, $1) })
    statistics.add(encoded: encodings.count, cached: hits, truncatedResponses: truncated)
    return results
  }
}
