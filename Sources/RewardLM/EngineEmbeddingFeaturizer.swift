import Foundation
import RewardBackbones
import RewardCore
import RewardEngine
import RewardFeatures

/// Dense features from an engine's OpenAI-compatible `/v1/embeddings` (vLLM, TEI, llama-server
/// with `--embeddings`): every head trains on a large model's embeddings computed elsewhere, the
/// way ArmoRM trains probes on a frozen LM's. Texts go in batches; vectors are cached on disk by
/// engine model and text (like the encoder's), so a second run over the same data makes no call.
///
/// The text embedded for a candidate is `User: <last user turn>\n\nAssistant: <response>`, within
/// `maxCharacters`: the response keeps its head, the user turn its end (as the encoder does).
public struct EngineEmbeddingFeaturizer: Featurizer {
  public static let kind = "engine_embeddings"
  /// Names how candidates become text, so cached vectors of another scheme are never reused.
  public static let textScheme = "User/Assistant last-turn text v1"
  public static let defaultMaxCharacters = 8000
  public static let defaultBatchSize = 32

  /// The engine's base URLs and model (the `engine:` block's fields that identify it).
  public let configuration: EngineConfiguration
  public let dimension: Int
  public let maxCharacters: Int
  public let batchSize: Int
  let engine: any EmbeddingEngine
  let cache: EmbeddingCache?

  /// A featurizer whose dimension is already known (a checkpoint recorded it); vectors of
  /// another length are an error when they arrive.
  public init(
    configuration: EngineConfiguration, engine: (any EmbeddingEngine)? = nil, dimension: Int,
    maxCharacters: Int = defaultMaxCharacters, batchSize: Int = defaultBatchSize,
    store: BackboneStore? = BackboneStore()
  ) throws {
    guard dimension > 0 else { throw ConfigurationError("engine embeddings: the dimension must be positive") }
    guard maxCharacters >= 16 else { throw ConfigurationError("engine embeddings: max characters must be ≥ 16") }
    guard batchSize >= 1 else { throw ConfigurationError("engine embeddings: the batch size must be ≥ 1") }
    self.configuration = configuration
    self.engine = try engine ?? configuration.makeClient()
    self.dimension = dimension
    self.maxCharacters = maxCharacters
    self.batchSize = batchSize
    if let store {
      let identity = EmbeddingKey([Self.textScheme, configuration.model, String(maxCharacters)])
      let name = "engine-\(String(identity.high, radix: 16))-\(dimension).embeddings"
      cache = try EmbeddingCache.shared(
        path: (store.embeddingCacheDirectory as NSString).appendingPathComponent(name), dimension: dimension)
    } else {
      cache = nil
    }
  }

  /// Connects to the engine and learns the dimension from one probe embedding.
  public static func probing(
    configuration: EngineConfiguration, engine: (any EmbeddingEngine)? = nil,
    maxCharacters: Int = defaultMaxCharacters, batchSize: Int = defaultBatchSize,
    store: BackboneStore? = BackboneStore()
  ) async throws -> EngineEmbeddingFeaturizer {
    let client = try engine ?? configuration.makeClient()
    let probe = try await embedChecked(client, ["dimension probe"], model: configuration.model)
    guard let vector = probe.first, !vector.isEmpty else {
      throw ConfigurationError("engine embeddings: \(configuration.model) returned an empty vector for a probe text")
    }
    return try EngineEmbeddingFeaturizer(
      configuration: configuration, engine: client, dimension: vector.count, maxCharacters: maxCharacters,
      batchSize: batchSize, store: store)
  }

  /// `engine:URL#MODEL` as `--backbone` takes it; nil for anything else.
  public static func configuration(fromBackbone text: String) throws -> EngineConfiguration? {
    guard text.hasPrefix("engine:") else { return nil }
    let rest = text.dropFirst("engine:".count)
    guard let hash = rest.lastIndex(of: "#"), !rest[rest.index(after: hash)...].isEmpty else {
      throw ConfigurationError(
        "--backbone \(text): expected engine:URL#MODEL, e.g. engine:http://127.0.0.1:8000/v1#BAAI/bge-m3")
    }
    let url = String(rest[..<hash])
    let model = String(rest[rest.index(after: hash)...])
    do {
      return EngineConfiguration(
        baseURLs: [try OpenAIEngineSettings.normalizedBaseURL(url)], model: model, source: nil)
    } catch let error as ConfigurationError {
      throw ConfigurationError("--backbone \(text): \(error.message)")
    }
  }

  public var descriptor: JSONValue {
    var engine = JSONObject()
    engine["base_url"] = .array(configuration.baseURLs.map { .string($0) })
    engine["model"] = .string(configuration.model)
    if let key = configuration.apiKeyEnv { engine["api_key_env"] = .string(key) }
    return [
      "kind": .string(Self.kind), "engine": .object(engine), "dimension": .int(Int64(dimension)),
      "text": .string(Self.textScheme), "max_characters": .int(Int64(maxCharacters)),
    ]
  }

  /// Rebuilds the featurizer a checkpoint describes (no call is made until features are asked for).
  public static func make(descriptor: JSONValue, store: BackboneStore? = BackboneStore()) throws
    -> EngineEmbeddingFeaturizer
  {
    guard let object = descriptor.objectValue, object["kind"]?.stringValue == kind else {
      throw ConfigurationError("featurizer descriptor is not of kind '\(kind)'")
    }
    guard let block = object["engine"] else {
      throw ConfigurationError("featurizer.engine: missing (the engine's base_url and model)")
    }
    let configuration = try EngineConfiguration(json: block, path: "checkpoint", field: "featurizer.engine")
    guard case .int(let dimension)? = object["dimension"], dimension > 0 else {
      throw ConfigurationError("featurizer.dimension: expected a positive integer")
    }
    if let scheme = object["text"]?.stringValue, scheme != textScheme {
      throw ConfigurationError("featurizer.text: scheme '\(scheme)' is not supported (\(textScheme))")
    }
    var maxCharacters = defaultMaxCharacters
    if case .int(let value)? = object["max_characters"] { maxCharacters = Int(value) }
    return try EngineEmbeddingFeaturizer(
      configuration: configuration, dimension: Int(dimension), maxCharacters: maxCharacters, store: store)
  }

  /// The text embedded for a candidate; see the type's documentation.
  public func text(for candidate: Candidate) -> String {
    let budget = maxCharacters - "User: \n\nAssistant: ".count
    let response = String(candidate.response.prefix(budget))
    let remaining = budget - response.count
    let user = String((candidate.prompt.lastUserTurn ?? "").suffix(max(0, remaining)))
    return "User: \(user)\n\nAssistant: \(response)"
  }

  public func features(for candidates: [Candidate]) async throws -> [FeatureVector] {
    let texts = candidates.map(text(for:))
    var vectors = [[Float]?](repeating: nil, count: texts.count)
    var missing: [Int] = []
    for (index, text) in texts.enumerated() {
      if let cached = cache?.lookup(EmbeddingKey([text])) { vectors[index] = cached } else { missing.append(index) }
    }
    let engine = self.engine
    let model = configuration.model
    let batches = stride(from: 0, to: missing.count, by: batchSize).map {
      Array(missing[$0..<min($0 + batchSize, missing.count)])
    }
    try await withThrowingTaskGroup(of: ([Int], [[Float]]).self) { group in
      for batch in batches {
        let batchTexts = batch.map { texts[$0] }
        group.addTask { (batch, try await Self.embedChecked(engine, batchTexts, model: model)) }
      }
      for try await (batch, embedded) in group {
        for (index, vector) in zip(batch, embedded) {
          guard vector.count == dimension else {
            throw ConfigurationError(
              "engine embeddings: \(model) returned a \(vector.count)-dimensional vector, expected \(dimension) "
                + "(the dimension this featurizer was set up or trained with)")
          }
          guard vector.allSatisfy(\.isFinite) else {
            throw ConfigurationError("engine embeddings: \(model) returned a vector with a non-finite value")
          }
          vectors[index] = vector
        }
        try cache?.store(zip(batch, embedded).map { (EmbeddingKey([texts[$0]]), $1) })
      }
    }
    return vectors.map { FeatureVector(dense: $0 ?? []) }
  }

  /// `embed`, with llama-server's refusal (started without `--embeddings`) turned into advice.
  static func embedChecked(_ engine: any EmbeddingEngine, _ texts: [String], model: String) async throws -> [[Float]] {
    do {
      return try await engine.embed(texts)
    } catch EngineError.http(let endpoint, let status, let body)
      where status == 501 || body.contains("embeddings") || body.contains("ooling")
    {
      throw ConfigurationError(
        "engine \(endpoint) does not serve embeddings (HTTP \(status): \(body.prefix(200))); start llama-server with "
          + "--embeddings --pooling mean (scripts/llama-server.sh: LLAMA_EMBEDDINGS=1), or vLLM with an embedding "
          + "model (--task embed)")
    }
  }
}
