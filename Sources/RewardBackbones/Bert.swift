import Foundation
import RewardCore
import RewardTensor

// BERT (Devlin et al. 2019) as in Hugging Face `BertModel`: embeddings, post-norm encoder layers
// of multi-head self-attention and a GELU feed-forward. One file for the architecture: config,
// layers, forward.

/// `config.json` of a BERT-family model, with each field checked and named in errors.
public struct BertConfig: Sendable, Equatable {
  public static let supportedModelTypes = ["bert"]

  public var vocabularySize: Int
  public var hiddenSize: Int
  public var layerCount: Int
  public var headCount: Int
  public var intermediateSize: Int
  public var maxPositions: Int
  public var typeVocabularySize: Int
  public var layerNormEpsilon: Float
  public var activation: Activation

  public enum Activation: String, Sendable {
    case gelu, geluTanh = "gelu_new", relu
  }

  public init(
    vocabularySize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
    maxPositions: Int = 512, typeVocabularySize: Int = 2, layerNormEpsilon: Float = 1e-12,
    activation: Activation = .gelu
  ) {
    self.vocabularySize = vocabularySize
    self.hiddenSize = hiddenSize
    self.layerCount = layerCount
    self.headCount = headCount
    self.intermediateSize = intermediateSize
    self.maxPositions = maxPositions
    self.typeVocabularySize = typeVocabularySize
    self.layerNormEpsilon = layerNormEpsilon
    self.activation = activation
  }

  public var headSize: Int { hiddenSize / headCount }

  public init(contentsOf path: String) throws(BackboneError) {
    guard FileManager.default.fileExists(atPath: path) else {
      throw BackboneError(file: path, "model config not found (a model directory needs config.json)")
    }
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw BackboneError(file: path, "cannot read the file (\(error.localizedDescription))")
    }
    let json: JSONValue
    do {
      json = try JSONParser.parse(text)
    } catch {
      throw BackboneError(file: path, "not valid JSON (line \(error.line), column \(error.column): \(error.message))")
    }
    try self.init(json: json, file: path)
  }

  public init(json: JSONValue, file: String) throws(BackboneError) {
    guard let object = json.objectValue else { throw BackboneError(file: file, "expected a JSON object") }
    func fail(_ field: String, _ message: String) -> BackboneError { BackboneError(file: file, field: field, message) }
    func positive(_ key: String, default fallback: Int? = nil) throws(BackboneError) -> Int {
      guard let value = object[key] else {
        if let fallback { return fallback }
        throw fail(key, "missing")
      }
      guard case .int(let n) = value, n > 0, n < Int64(Int32.max) else {
        throw fail(key, "expected a positive integer, found \(value.jsonText)")
      }
      return Int(n)
    }
    guard let modelType = object["model_type"]?.stringValue else { throw fail("model_type", "missing") }
    guard Self.supportedModelTypes.contains(modelType) else {
      throw fail(
        "model_type",
        "unsupported architecture '\(modelType)' (supported: \(Self.supportedModelTypes.joined(separator: ", ")); "
          + "RewardKit's native encoder runs BERT-family encoders)")
    }
    if let kind = object["position_embedding_type"]?.stringValue, kind != "absolute" {
      throw fail("position_embedding_type", "unsupported '\(kind)' (supported: absolute)")
    }
    let activationName = object["hidden_act"]?.stringValue ?? "gelu"
    let activation: Activation
    switch activationName {
    case "gelu": activation = .gelu
    case "gelu_new", "gelu_pytorch_tanh": activation = .geluTanh
    case "relu": activation = .relu
    default: throw fail("hidden_act", "unsupported activation '\(activationName)' (supported: gelu, gelu_new, relu)")
    }
    self.init(
      vocabularySize: try positive("vocab_size"), hiddenSize: try positive("hidden_size"),
      layerCount: try positive("num_hidden_layers"), headCount: try positive("num_attention_heads"),
      intermediateSize: try positive("intermediate_size"),
      maxPositions: try positive("max_position_embeddings", default: 512),
      typeVocabularySize: try positive("type_vocab_size", default: 2),
      layerNormEpsilon: Float(object["layer_norm_eps"]?.doubleValue ?? 1e-12), activation: activation)
    guard hiddenSize % headCount == 0 else {
      throw fail("num_attention_heads", "\(headCount) heads do not divide hidden_size \(hiddenSize)")
    }
  }
}

/// A fully connected layer, y = x·Wᵀ + b (W is out × in, as PyTorch stores it).
struct Linear: Sendable {
  var weight: Matrix
  var bias: [Float]

  init(_ weights: ModelWeights, _ name: String, inputs: Int, outputs: Int) throws(BackboneError) {
    weight = try weights.matrix(name + ".weight", rows: outputs, columns: inputs)
    bias = try weights.vector(name + ".bias", count: outputs)
  }

  init(weight: Matrix, bias: [Float]) {
    self.weight = weight
    self.bias = bias
  }

  func callAsFunction(_ x: Matrix) -> Matrix { x.linear(weight: weight, bias: bias) }
}

struct LayerNorm: Sendable {
  var gamma: [Float]
  var beta: [Float]
  var epsilon: Float

  init(_ weights: ModelWeights, _ name: String, size: Int, epsilon: Float) throws(BackboneError) {
    gamma = try weights.vector(name + ".weight", count: size)
    beta = try weights.vector(name + ".bias", count: size)
    self.epsilon = epsilon
  }

  func callAsFunction(_ x: inout Matrix) { Activations.layerNormalize(&x, gamma: gamma, beta: beta, epsilon: epsilon) }
}

struct BertEmbeddings: Sendable {
  var words: Matrix
  var positions: Matrix
  var tokenTypes: Matrix
  var norm: LayerNorm

  init(_ weights: ModelWeights, _ config: BertConfig) throws(BackboneError) {
    let h = config.hiddenSize
    words = try weights.matrix("embeddings.word_embeddings.weight", rows: config.vocabularySize, columns: h)
    positions = try weights.matrix("embeddings.position_embeddings.weight", rows: config.maxPositions, columns: h)
    tokenTypes = try weights.matrix(
      "embeddings.token_type_embeddings.weight", rows: config.typeVocabularySize, columns: h)
    norm = try LayerNorm(weights, "embeddings.LayerNorm", size: h, epsilon: config.layerNormEpsilon)
  }

  /// word + position + token type, then LayerNorm; one row per token of the padded batch.
  func callAsFunction(_ batch: TokenBatch) -> Matrix {
    let h = words.columns
    var out = Matrix(rows: batch.rowCount, columns: h)
    out.values.withUnsafeMutableBufferPointer { o in
      words.values.withUnsafeBufferPointer { w in
        positions.values.withUnsafeBufferPointer { p in
          tokenTypes.values.withUnsafeBufferPointer { t in
            for row in 0..<batch.rowCount {
              let id = Int(batch.ids[row])
              let type = Int(batch.typeIDs[row])
              // An id outside the tables would read arbitrary memory: stop instead.
              precondition(id >= 0 && id < words.rows, "token id \(id) is outside the vocabulary (\(words.rows))")
              precondition(type >= 0 && type < tokenTypes.rows, "token type \(type) is outside type_vocab_size")
              let position = row % batch.sequenceLength
              let dst = o.baseAddress! + row * h
              let (wRow, pRow, tRow) = (
                w.baseAddress! + id * h, p.baseAddress! + position * h, t.baseAddress! + type * h
              )
              for i in 0..<h { dst[i] = wRow[i] + pRow[i] + tRow[i] }
            }
          }
        }
      }
    }
    norm(&out)
    return out
  }
}

/// out += residual (same shape).
func addResidual(_ residual: Matrix, to out: inout Matrix) {
  residual.values.withUnsafeBufferPointer { x in
    out.values.withUnsafeMutableBufferPointer { o in
      VectorMath.add(x.baseAddress!, into: o.baseAddress!, count: o.count)
    }
  }
}

/// Multi-head self-attention with one fused Q/K/V projection; padded keys are masked out, and
/// each (sequence, head) product is one BLAS call on strided views of the fused matrix.
struct BertAttention: Sendable {
  var queryKeyValue: Linear
  var output: Linear
  var norm: LayerNorm
  let headCount: Int

  init(_ weights: ModelWeights, _ name: String, _ config: BertConfig) throws(BackboneError) {
    let h = config.hiddenSize
    let query = try Linear(weights, name + ".self.query", inputs: h, outputs: h)
    let key = try Linear(weights, name + ".self.key", inputs: h, outputs: h)
    let value = try Linear(weights, name + ".self.value", inputs: h, outputs: h)
    // Folding 1/√d into the query projection saves scaling every score.
    let scale = 1 / Float(config.headSize).squareRoot()
    queryKeyValue = Linear(
      weight: Matrix(
        rows: 3 * h, columns: h,
        values: query.weight.values.map { $0 * scale } + key.weight.values + value.weight.values),
      bias: query.bias.map { $0 * scale } + key.bias + value.bias)
    output = try Linear(weights, name + ".output.dense", inputs: h, outputs: h)
    norm = try LayerNorm(weights, name + ".output.LayerNorm", size: h, epsilon: config.layerNormEpsilon)
    headCount = config.headCount
  }

  func callAsFunction(_ hidden: Matrix, _ batch: TokenBatch) -> Matrix {
    let h = hidden.columns
    let d = h / headCount
    let length = batch.sequenceLength
    let qkv = queryKeyValue(hidden)
    var context = Matrix(rows: hidden.rows, columns: h)
    var scores = [Float](repeating: 0, count: length * length)
    let mask = batch.floatMask
    qkv.values.withUnsafeBufferPointer { qkvBuffer in
      context.values.withUnsafeMutableBufferPointer { contextBuffer in
        scores.withUnsafeMutableBufferPointer { scoreBuffer in
          mask.withUnsafeBufferPointer { maskBuffer in
            for sequence in 0..<batch.sequenceCount {
              // Keys past the last real token are all padding: leave them out of the products.
              let n = batch.extent(of: sequence)
              guard n > 0 else { continue }
              let rowBase = qkvBuffer.baseAddress! + sequence * length * 3 * h
              let keyMask = maskBuffer.baseAddress! + sequence * length
              for head in 0..<headCount {
                let q = rowBase + head * d
                let k = rowBase + h + head * d
                let v = rowBase + 2 * h + head * d
                BLAS.gemm(
                  m: n, n: n, k: d, a: q, lda: 3 * h, b: k, ldb: 3 * h, transposeB: true, c: scoreBuffer.baseAddress!,
                  ldc: n)
                for row in 0..<n {
                  Activations.maskedSoftmax(
                    UnsafeMutableBufferPointer(start: scoreBuffer.baseAddress! + row * n, count: n), mask: keyMask)
                }
                BLAS.gemm(
                  m: n, n: d, k: n, a: scoreBuffer.baseAddress!, lda: n, b: v, ldb: 3 * h,
                  c: contextBuffer.baseAddress! + sequence * length * h + head * d, ldc: h)
              }
            }
          }
        }
      }
    }
    var out = output(context)
    addResidual(hidden, to: &out)
    norm(&out)
    return out
  }
}

struct BertFeedForward: Sendable {
  var intermediate: Linear
  var output: Linear
  var norm: LayerNorm
  let activation: BertConfig.Activation

  init(_ weights: ModelWeights, _ name: String, _ config: BertConfig) throws(BackboneError) {
    intermediate = try Linear(
      weights, name + ".intermediate.dense", inputs: config.hiddenSize, outputs: config.intermediateSize)
    output = try Linear(weights, name + ".output.dense", inputs: config.intermediateSize, outputs: config.hiddenSize)
    norm = try LayerNorm(weights, name + ".output.LayerNorm", size: config.hiddenSize, epsilon: config.layerNormEpsilon)
    activation = config.activation
  }

  func callAsFunction(_ hidden: Matrix) -> Matrix {
    var inner = intermediate(hidden)
    switch activation {
    case .gelu: Activations.gelu(&inner.values)
    case .geluTanh: Activations.geluTanh(&inner.values)
    case .relu: for i in inner.values.indices { inner.values[i] = max(0, inner.values[i]) }
    }
    var out = output(inner)
    addResidual(hidden, to: &out)
    norm(&out)
    return out
  }
}

struct BertLayer: Sendable {
  var attention: BertAttention
  var feedForward: BertFeedForward

  init(_ weights: ModelWeights, index: Int, _ config: BertConfig) throws(BackboneError) {
    let name = "encoder.layer.\(index)"
    attention = try BertAttention(weights, name + ".attention", config)
    feedForward = try BertFeedForward(weights, name, config)
  }
}

/// A BERT encoder: token ids in, one hidden-state row per token out.
public struct BertModel: Sendable {
  public let config: BertConfig
  let embeddings: BertEmbeddings
  let layers: [BertLayer]

  /// Loads weights named as `BertModel` saves them, with or without a "bert." prefix.
  public init(config: BertConfig, weights: ModelWeights) throws(BackboneError) {
    var weights = weights
    if !weights.contains("embeddings.word_embeddings.weight"),
      weights.file.info("bert.embeddings.word_embeddings.weight") != nil
    {
      weights = ModelWeights(file: weights.file, prefix: "bert.")
    }
    self.config = config
    embeddings = try BertEmbeddings(weights, config)
    var layers: [BertLayer] = []
    for index in 0..<config.layerCount { layers.append(try BertLayer(weights, index: index, config)) }
    self.layers = layers
  }

  /// Loads `config.json` and `model.safetensors` from a model directory.
  public init(directory: String) throws(BackboneError) {
    let config = try BertConfig(contentsOf: (directory as NSString).appendingPathComponent("config.json"))
    let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
    guard FileManager.default.fileExists(atPath: weightsPath) else {
      throw BackboneError(file: weightsPath, "model weights not found (a model directory needs model.safetensors)")
    }
    try self.init(config: config, weights: try ModelWeights(path: weightsPath))
  }

  /// The last hidden states, `batch.rowCount` × hidden size (rows of padding included).
  public func callAsFunction(_ batch: TokenBatch) -> Matrix {
    precondition(batch.sequenceLength <= config.maxPositions, "sequences longer than max_position_embeddings")
    var hidden = embeddings(batch)
    for layer in layers {
      hidden = layer.attention(hidden, batch)
      hidden = layer.feedForward(hidden)
    }
    return hidden
  }
}
