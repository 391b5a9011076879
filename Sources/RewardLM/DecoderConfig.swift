import Foundation
import RewardCore

/// The decoder families RewardKit runs natively. They share one core (`DecoderModel`) and differ
/// in a few switches, each family's `DecoderArchitecture` (Families/).
public enum DecoderFamily: String, Sendable, CaseIterable {
  case llama, qwen2, qwen3, mistral
}

/// How RoPE pairs a head's dimensions.
public enum RoPELayout: String, Sendable {
  /// Hugging Face's `rotate_half`: dimension i pairs with i + d/2.
  case halves
  /// llama.cpp's layout for Llama GGUFs (its converter permutes Q/K rows): i pairs with i + 1.
  case interleaved
}

/// A decoder LM's hyper-parameters, from Hugging Face `config.json` or GGUF metadata, each
/// checked and named in errors.
public struct DecoderConfig: Sendable, Equatable {
  public var family: DecoderFamily
  public var vocabularySize: Int
  public var hiddenSize: Int
  public var layerCount: Int
  public var headCount: Int
  public var keyValueHeadCount: Int
  public var headSize: Int
  public var intermediateSize: Int
  public var rmsNormEpsilon: Float
  public var ropeTheta: Double
  public var ropeLayout: RoPELayout = .halves
  public var llama3Scaling: Llama3RoPEScaling?
  /// `rope_scaling.rope_type: linear`: positions divided by this factor.
  public var linearScalingFactor: Double?
  public var tieWordEmbeddings: Bool
  public var attentionBias: Bool
  public var mlpBias: Bool = false
  /// Mistral's sliding window: a token attends to itself and the `slidingWindow - 1` before it.
  public var slidingWindow: Int?
  public var maxPositions: Int
  /// Sequence-classification: the score head's outputs, and the token id transformers treats as padding.
  public var labelCount: Int = 1
  /// `id2label` in label order (empty when the config has none).
  public var labelNames: [String] = []
  public var padTokenID: Int?
  public var bosTokenID: Int?
  public var eosTokenID: Int?
  /// The `*ForSequenceClassification` architecture the config names, if any.
  public var isSequenceClassifier = false

  public var architecture: DecoderArchitecture { family.architecture }
  public var normalizesQueryKey: Bool { architecture.normalizesQueryKey }

  public static let supportedModelTypes = DecoderFamily.allCases.map(\.rawValue)

  public init(contentsOf path: String) throws(LanguageModelError) {
    guard FileManager.default.fileExists(atPath: path) else {
      throw LanguageModelError(file: path, "model config not found (a model directory needs config.json)")
    }
    let json: JSONValue
    do {
      json = try JSONParser.parse(String(contentsOfFile: path, encoding: .utf8))
    } catch let error as JSONSyntaxError {
      throw LanguageModelError(
        file: path, "not valid JSON (line \(error.line), column \(error.column): \(error.message))")
    } catch {
      throw LanguageModelError(file: path, "cannot read the file (\(error.localizedDescription))")
    }
    try self.init(json: json, file: path)
  }

  /// From a Hugging Face `config.json` object.
  public init(json: JSONValue, file: String) throws(LanguageModelError) {
    guard let object = json.objectValue else { throw LanguageModelError(file: file, "expected a JSON object") }
    func fail(_ field: String, _ message: String) -> LanguageModelError {
      LanguageModelError(file: file, field: field, message)
    }
    func positive(_ key: String, default fallback: Int? = nil) throws(LanguageModelError) -> Int {
      guard let value = object[key], value != .null else {
        if let fallback { return fallback }
        throw fail(key, "missing")
      }
      guard case .int(let n) = value, n > 0, n < Int64(Int32.max) else {
        throw fail(key, "expected a positive integer, found \(value.jsonText)")
      }
      return Int(n)
    }
    func number(_ key: String, default fallback: Double) throws(LanguageModelError) -> Double {
      guard let value = object[key], value != .null else { return fallback }
      guard let n = value.doubleValue, n.isFinite else { throw fail(key, "expected a number, found \(value.jsonText)") }
      return n
    }
    func flag(_ key: String, default fallback: Bool) throws(LanguageModelError) -> Bool {
      guard let value = object[key], value != .null else { return fallback }
      guard case .bool(let b) = value else { throw fail(key, "expected true or false, found \(value.jsonText)") }
      return b
    }
    func optionalTokenID(_ key: String) throws(LanguageModelError) -> Int? {
      guard let value = object[key], value != .null else { return nil }
      if case .int(let n) = value, n >= 0 { return Int(n) }
      // Some configs list several EOS ids; the first is the one a tokenizer reports.
      if case .array(let items) = value, case .int(let n)? = items.first, n >= 0 { return Int(n) }
      throw fail(key, "expected a token id, found \(value.jsonText)")
    }
    guard let modelType = object["model_type"]?.stringValue else { throw fail("model_type", "missing") }
    guard let family = DecoderFamily(rawValue: modelType) else {
      throw fail(
        "model_type",
        "unsupported architecture '\(modelType)' (supported decoders: \(Self.supportedModelTypes.joined(separator: ", ")))"
      )
    }
    if let activation = object["hidden_act"]?.stringValue, activation != "silu" {
      throw fail("hidden_act", "unsupported activation '\(activation)' (supported: silu)")
    }
    self.family = family
    vocabularySize = try positive("vocab_size")
    hiddenSize = try positive("hidden_size")
    layerCount = try positive("num_hidden_layers")
    headCount = try positive("num_attention_heads")
    keyValueHeadCount = try positive("num_key_value_heads", default: headCount)
    guard hiddenSize % headCount == 0 || object["head_dim"] != nil else {
      throw fail("num_attention_heads", "\(headCount) heads do not divide hidden_size \(hiddenSize)")
    }
    headSize = try positive("head_dim", default: hiddenSize / headCount)
    guard headCount % keyValueHeadCount == 0 else {
      throw fail("num_key_value_heads", "\(keyValueHeadCount) key/value heads do not divide \(headCount) heads")
    }
    guard headSize % 2 == 0 else { throw fail("head_dim", "RoPE needs an even head size, found \(headSize)") }
    intermediateSize = try positive("intermediate_size")
    rmsNormEpsilon = Float(try number("rms_norm_eps", default: 1e-6))
    ropeTheta = try number("rope_theta", default: 10000)
    maxPositions = try positive("max_position_embeddings", default: 2048)
    // Qwen2/Qwen3 configs default to tied embeddings only when they say so; transformers' default is true.
    tieWordEmbeddings = try flag("tie_word_embeddings", default: true)
    // Qwen2's q/k/v biases come with its architecture (`alwaysBiasesQueryKeyValue`).
    attentionBias = try flag("attention_bias", default: false)
    mlpBias = try flag("mlp_bias", default: false)
    switch family.architecture.slidingWindow {
    case .whenSet:
      if case .int(let n)? = object["sliding_window"], n > 0 { slidingWindow = Int(n) }
    case .refusedWhenEnabled:
      // Windows on some layers only: refuse rather than silently compute full attention.
      if try flag("use_sliding_window", default: false) {
        throw fail("use_sliding_window", "sliding-window attention is not supported for \(modelType)")
      }
    case .none: break
    }
    padTokenID = try optionalTokenID("pad_token_id")
    bosTokenID = try optionalTokenID("bos_token_id")
    eosTokenID = try optionalTokenID("eos_token_id")
    if let architectures = object["architectures"]?.arrayValue?.compactMap(\.stringValue) {
      isSequenceClassifier = architectures.contains { $0.hasSuffix("ForSequenceClassification") }
    }
    if let labels = object["id2label"]?.objectValue, !labels.entries.isEmpty {
      labelCount = labels.entries.count
      let numbered = labels.entries.compactMap { entry in
        Int(entry.key).map { ($0, entry.value.stringValue ?? entry.key) }
      }
      labelNames = numbered.sorted { $0.0 < $1.0 }.map(\.1)
    }
    if object["num_labels"] != nil { labelCount = try positive("num_labels") }
    // transformers ≥ 5 writes `rope_parameters` (θ inside); older configs `rope_theta` + `rope_scaling`.
    if let parameters = object["rope_parameters"], parameters != .null {
      guard let theta = parameters.objectValue?["rope_theta"]?.doubleValue, theta > 0 else {
        throw fail("rope_parameters.rope_theta", "expected a positive number")
      }
      ropeTheta = theta
      try readRoPEScaling(parameters, field: "rope_parameters", fail: fail)
    } else if let scaling = object["rope_scaling"], scaling != .null {
      try readRoPEScaling(scaling, field: "rope_scaling", fail: fail)
    }
  }

  private mutating func readRoPEScaling(
    _ scaling: JSONValue, field: String, fail: (String, String) -> LanguageModelError
  ) throws(LanguageModelError) {
    guard let object = scaling.objectValue else { throw fail(field, "expected an object or null") }
    let kind = object["rope_type"]?.stringValue ?? object["type"]?.stringValue ?? "default"
    func value(_ key: String) throws(LanguageModelError) -> Double {
      guard let n = object[key]?.doubleValue, n.isFinite, n > 0 else {
        throw fail("\(field).\(key)", "expected a positive number, found \(object[key]?.jsonText ?? "nothing")")
      }
      return n
    }
    switch kind {
    case "default": break
    case "linear": linearScalingFactor = try value("factor")
    case "llama3":
      llama3Scaling = Llama3RoPEScaling(
        factor: try value("factor"), lowFrequencyFactor: try value("low_freq_factor"),
        highFrequencyFactor: try value("high_freq_factor"),
        originalContextLength: try value("original_max_position_embeddings"))
    default:
      throw fail("\(field).rope_type", "unsupported RoPE scaling '\(kind)' (supported: default, linear, llama3)")
    }
  }

  /// From GGUF metadata (`<arch>.block_count`, `<arch>.attention.head_count_kv`, …). Llama
  /// GGUFs store Q/K rows permuted for interleaved RoPE; Qwen GGUFs keep Hugging Face's layout.
  public init(gguf: GGUFFile) throws(LanguageModelError) {
    let architecture = try gguf.required("general.architecture", gguf.string)
    guard let family = DecoderFamily(rawValue: architecture) else {
      throw LanguageModelError(
        file: gguf.path, field: "general.architecture",
        "unsupported architecture '\(architecture)' (supported: \(Self.supportedModelTypes.joined(separator: ", ")))")
    }
    func positive(_ suffix: String, default fallback: Int? = nil) throws(LanguageModelError) -> Int {
      let key = "\(architecture).\(suffix)"
      guard let value = try gguf.integer(key) else {
        if let fallback { return fallback }
        throw LanguageModelError(file: gguf.path, field: key, "missing metadata key")
      }
      guard value > 0, value < Int(Int32.max) else {
        throw LanguageModelError(file: gguf.path, field: key, "expected a positive integer, found \(value)")
      }
      return value
    }
    self.family = family
    hiddenSize = try positive("embedding_length")
    layerCount = try positive("block_count")
    headCount = try positive("attention.head_count")
    keyValueHeadCount = try positive("attention.head_count_kv", default: headCount)
    guard headCount % keyValueHeadCount == 0 else {
      throw LanguageModelError(
        file: gguf.path, field: "\(architecture).attention.head_count_kv",
        "\(keyValueHeadCount) key/value heads do not divide \(headCount) heads")
    }
    headSize = try positive("attention.key_length", default: hiddenSize / headCount)
    intermediateSize = try positive("feed_forward_length")
    maxPositions = try positive("context_length", default: 2048)
    rmsNormEpsilon = Float(try gguf.float("\(architecture).attention.layer_norm_rms_epsilon") ?? 1e-6)
    ropeTheta = try gguf.float("\(architecture).rope.freq_base") ?? 10000
    if let kind = try gguf.string("\(architecture).rope.scaling.type"), kind != "none" {
      guard kind == "linear", let factor = try gguf.float("\(architecture).rope.scaling.factor"), factor > 0 else {
        throw LanguageModelError(
          file: gguf.path, field: "\(architecture).rope.scaling.type",
          "unsupported RoPE scaling '\(kind)' (supported: none, linear)")
      }
      linearScalingFactor = factor
    }
    ropeLayout = family.architecture.ggufPermutesQueryKey ? .interleaved : .halves
    if let count = try gguf.integer("\(architecture).vocab_size") {
      vocabularySize = count
    } else if let tokens = gguf.tensor("token_embd.weight") {
      vocabularySize = tokens.shape[0]
    } else {
      throw LanguageModelError(file: gguf.path, field: "token_embd.weight", "tensor missing")
    }
    tieWordEmbeddings = gguf.tensor("output.weight") == nil
    attentionBias = gguf.tensor("blk.0.attn_q.bias") != nil
    padTokenID = try gguf.integer("tokenizer.ggml.padding_token_id")
    bosTokenID = try gguf.integer("tokenizer.ggml.bos_token_id")
    eosTokenID = try gguf.integer("tokenizer.ggml.eos_token_id")
    guard headSize % 2 == 0 else {
      throw LanguageModelError(
        file: gguf.path, field: "\(architecture).attention.key_length",
        "RoPE needs an even head size, found \(headSize)")
    }
  }

  public var queryWidth: Int { headCount * headSize }
  public var keyValueWidth: Int { keyValueHeadCount * headSize }
}
