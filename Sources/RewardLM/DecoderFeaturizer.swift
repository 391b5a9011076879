import Foundation
import RewardBackbones
import RewardCore
import RewardFeatures

/// Dense features from a frozen decoder LM: one hidden-state vector per candidate, from a chosen
/// layer (transformers' `hidden_states[layer]`; the default is the last, after the final norm),
/// at the last token or averaged over the tokens. Heads of every family train on them, as
/// ArmoRM's probes do on a Llama's states.
///
/// What the model reads is the candidate as a conversation in the model's chat template: the
/// prompt with the generation prompt, then the response as the assistant's turn (end-of-turn
/// tokens included), split into prompt and response tokens by reward-bench's rule. Within the
/// token budget the response keeps its head and the prompt its end.
///
/// Vectors are cached on disk (the `EmbeddingCache` MiniLM uses) by model fingerprint, layer,
/// pooling, budget and text, so a second run over the same data does not run the model again.
public struct DecoderFeaturizer: Featurizer {
  public static let kind = "decoder-lm"
  public static let defaultTokenBudget = 512
  /// Names how candidates become tokens, so vectors made another way are never reused.
  public static let textScheme = "chat-template prompt+response, response head and prompt end v1"
  /// Bumped when the cache's keys change meaning (v2: keyed by token ids), so old files are not read.
  static let cacheVersion = "tokens-v2"

  /// The backbone as given: a known name ("smollm2") or a model path (made absolute).
  public let backbone: String
  public let language: NativeLanguageModel
  public let layer: Int
  public let pooling: HiddenStatePooling
  public let tokenBudget: Int
  public let fingerprint: String
  /// Sequences run through the model and cache hits; shared by every user of a shared featurizer
  /// (`LanguageModelLoader.featurizer`).
  public let statistics = EncoderStatistics()
  let cache: EmbeddingCache?

  /// - Parameters:
  ///   - layer: `hidden_states` index, 0 (embeddings) … layer count (after the final norm, the default).
  ///   - cacheDirectory: where the embedding cache lives; nil to neither read nor write one.
  public init(
    language: NativeLanguageModel, backbone: String, fingerprint: String, layer: Int? = nil,
    pooling: HiddenStatePooling = .lastToken, tokenBudget: Int = defaultTokenBudget, cacheDirectory: String?
  ) throws {
    let layerCount = language.model.config.layerCount
    let layer = layer ?? layerCount
    guard (0...layerCount).contains(layer) else {
      throw ConfigurationError("layer \(layer) does not exist: \(backbone) has hidden states 0…\(layerCount)")
    }
    guard tokenBudget >= 2 && tokenBudget <= language.maxTokens else {
      throw ConfigurationError("token budget must be between 2 and \(language.maxTokens), got \(tokenBudget)")
    }
    self.language = language
    self.backbone = backbone
    self.fingerprint = fingerprint
    self.layer = layer
    self.pooling = pooling
    self.tokenBudget = tokenBudget
    if let cacheDirectory {
      let settings = EmbeddingKey([
        Self.textScheme, Self.cacheVersion, String(layer), pooling.rawValue, String(tokenBudget),
      ])
      let name = "\(fingerprint)-lm-\(String(settings.high, radix: 16)).embeddings"
      cache = try EmbeddingCache.shared(
        path: (cacheDirectory as NSString).appendingPathComponent(name), dimension: language.model.config.hiddenSize)
    } else {
      cache = nil
    }
  }

  public var dimension: Int { language.model.config.hiddenSize }

  public var descriptor: JSONValue {
    [
      "kind": .string(Self.kind), "backbone": .string(backbone), "layer": .int(Int64(layer)),
      "pooling": .string(pooling.rawValue), "max_length": .int(Int64(tokenBudget)), "text": .string(Self.textScheme),
      "fingerprint": .string(fingerprint),
    ]
  }

  /// The settings a descriptor stores (the loader turns `backbone` into a model).
  public struct Settings: Sendable, Equatable {
    public var backbone: String
    public var layer: Int?
    public var pooling: HiddenStatePooling
    public var tokenBudget: Int
    public var fingerprint: String?
  }

  public static func settings(from descriptor: JSONValue) throws -> Settings {
    guard let object = descriptor.objectValue, object["kind"]?.stringValue == kind else {
      throw ConfigurationError("featurizer descriptor is not of kind '\(kind)'")
    }
    guard let backbone = object["backbone"]?.stringValue else {
      throw ConfigurationError("decoder-lm featurizer descriptor: missing 'backbone'")
    }
    if let scheme = object["text"]?.stringValue, scheme != textScheme {
      throw ConfigurationError(
        "decoder-lm featurizer descriptor: text scheme '\(scheme)' is not supported (\(textScheme))")
    }
    var pooling = HiddenStatePooling.lastToken
    if let name = object["pooling"]?.stringValue {
      guard let value = HiddenStatePooling(rawValue: name) else {
        throw ConfigurationError("decoder-lm featurizer descriptor: unknown pooling '\(name)' (last, mean)")
      }
      pooling = value
    }
    var layer: Int? = nil
    if case .int(let n)? = object["layer"] { layer = Int(n) }
    var budget = defaultTokenBudget
    if case .int(let n)? = object["max_length"] { budget = Int(n) }
    return Settings(
      backbone: backbone, layer: layer, pooling: pooling, tokenBudget: budget,
      fingerprint: object["fingerprint"]?.stringValue)
  }

  /// The token ids the model reads for a candidate (see the type's documentation).
  public func tokens(for candidate: Candidate) throws -> [TokenID] {
    let (prompt, response) = try language.promptAndResponseText(candidate)
    var split = try ResponseTokenization.split(prompt: prompt, response: response, tokenizer: language.tokenizer)
    if split.all.isEmpty, let bos = language.tokenizer.bosTokenID { split.prompt = [bos] }
    guard !split.all.isEmpty else { throw ConfigurationError("\(backbone): a candidate encodes to no tokens") }
    return ResponseTokenization.fit(split, maxTokens: tokenBudget).tokens.all
  }

  /// The cache key is the token ids the model reads, not the candidate's text: a change in how a
  /// candidate becomes tokens (chat template, tokenizer, truncation) must not reuse vectors computed
  /// from other tokens. (Keyed by text, two builds that rendered prompts differently once shared
  /// one cache file and mixed their vectors without a warning.)
  func cacheKey(for tokens: [TokenID]) -> EmbeddingKey {
    var text = ""
    text.reserveCapacity(tokens.count * 6)
    for id in tokens {
      text += String(id)
      text += ","
    }
    return EmbeddingKey(["tokens", text])
  }

  public func features(for candidates: [Candidate]) async throws -> [FeatureVector] {
    try embeddings(for: candidates).map { FeatureVector(dense: $0) }
  }

  /// One vector per candidate: cached ones from disk, the rest computed (each distinct candidate
  /// once) and added to the cache.
  public func embeddings(for candidates: [Candidate]) throws -> [[Float]] {
    var results = [[Float]](repeating: [], count: candidates.count)
    var pending: [EmbeddingKey: [Int]] = [:]
    var order: [(key: EmbeddingKey, candidate: Int)] = []
    var sequences: [[TokenID]] = []
    var hits = 0
    for (index, candidate) in candidates.enumerated() {
      let ids = try tokens(for: candidate)
      let key = cacheKey(for: ids)
      if let vector = cache?.lookup(key) {
        results[index] = vector
        hits += 1
      } else if pending[key] != nil {
        pending[key]!.append(index)
      } else {
        pending[key] = [index]
        order.append((key, index))
        sequences.append(ids)
      }
    }
    let model = language.model
    let (layer, pooling) = (self.layer, self.pooling)
    let vectors = try NativeLanguageModel.inPasses(sequences) {
      try model.pooledHiddenStates($0, layer: layer, pooling: pooling)
    }
    for (item, vector) in zip(order, vectors) {
      for index in pending[item.key]! { results[index] = vector }
    }
    try cache?.store(zip(order, vectors).map { ($0.key, $1) })
    statistics.add(encoded: sequences.count, cached: hits)
    return results
  }
}

extension NativeLanguageModel {
  /// The candidate as (prompt text, response text) for reward-bench's split: the prompt with the
  /// generation prompt, and what the template adds after it for the response (the response and
  /// its end-of-turn tokens). When the rendered conversation does not extend the rendered prompt
  /// (a template that changes earlier turns), the response text is the raw response.
  public func promptAndResponseText(_ candidate: Candidate) throws -> (prompt: String, response: String) {
    let prompt = try promptText(candidate.prompt)
    guard renderer != nil else { return (prompt, candidate.response) }
    let full = try conversationText(candidate.prompt, response: candidate.response)
    // Compared as bytes: a Character could span the boundary ("\r" + "\n").
    guard full.utf8.starts(with: prompt.utf8) else { return (prompt, candidate.response) }
    return (prompt, String(decoding: full.utf8.dropFirst(prompt.utf8.count), as: UTF8.self))
  }
}
