import Foundation
import RewardCore
import RewardTensor

// The decoder core every family shares (Llama, Qwen2, Qwen3, Mistral): pre-norm layers of
// grouped-query self-attention with RoPE and a SiLU-gated MLP, RMSNorm throughout. The family
// files (Llama.swift, Qwen.swift, Mistral.swift) say how their weights are named and which
// switches they set.
//
// Sequences of different lengths are never padded: their tokens are packed one after another,
// every matrix product runs on all of them at once, and attention runs per sequence on its own
// rows with positions from 0. Results are those of running each sequence alone.

/// Where a decoder's tensors are, under Hugging Face's names or GGUF's.
struct DecoderTensorNames: Sendable {
  var embedding: String
  var finalNorm: String
  var output: String
  var score: String
  /// llama.cpp's per-frequency RoPE divisors (Llama 3 GGUFs), when present.
  var ropeFactors: String?
  var layer: @Sendable (Int, LayerTensor) -> String

  enum LayerTensor: String, Sendable, CaseIterable {
    case attentionNorm, query, key, value, attentionOutput, queryNorm, keyNorm
    case mlpNorm, gate, up, down
  }

  /// transformers' names under `prefix` ("model." for `*ForCausalLM`/`*ForSequenceClassification`).
  static func huggingFace(prefix: String) -> DecoderTensorNames {
    DecoderTensorNames(
      embedding: prefix + "embed_tokens.weight", finalNorm: prefix + "norm.weight", output: "lm_head.weight",
      score: "score.weight", ropeFactors: nil,
      layer: { index, tensor in
        let base = "\(prefix)layers.\(index)."
        switch tensor {
        case .attentionNorm: return base + "input_layernorm"
        case .query: return base + "self_attn.q_proj"
        case .key: return base + "self_attn.k_proj"
        case .value: return base + "self_attn.v_proj"
        case .attentionOutput: return base + "self_attn.o_proj"
        case .queryNorm: return base + "self_attn.q_norm"
        case .keyNorm: return base + "self_attn.k_norm"
        case .mlpNorm: return base + "post_attention_layernorm"
        case .gate: return base + "mlp.gate_proj"
        case .up: return base + "mlp.up_proj"
        case .down: return base + "mlp.down_proj"
        }
      })
  }

  /// llama.cpp's names.
  static let gguf = DecoderTensorNames(
    embedding: "token_embd.weight", finalNorm: "output_norm.weight", output: "output.weight",
    score: "cls.output.weight", ropeFactors: "rope_freqs.weight",
    layer: { index, tensor in
      let base = "blk.\(index)."
      switch tensor {
      case .attentionNorm: return base + "attn_norm"
      case .query: return base + "attn_q"
      case .key: return base + "attn_k"
      case .value: return base + "attn_v"
      case .attentionOutput: return base + "attn_output"
      case .queryNorm: return base + "attn_q_norm"
      case .keyNorm: return base + "attn_k_norm"
      case .mlpNorm: return base + "ffn_norm"
      case .gate: return base + "ffn_gate"
      case .up: return base + "ffn_up"
      case .down: return base + "ffn_down"
      }
    })
}

/// A projection: a stored weight and an optional bias.
struct Projection: Sendable {
  var weight: WeightTensor
  var bias: [Float]?

  init(_ store: TensorStore, _ name: String, inputs: Int, outputs: Int, bias: Bool) throws(LanguageModelError) {
    weight = try store.matrix(name + ".weight", rows: outputs, columns: inputs)
    self.bias = bias ? try store.vector(name + ".bias", count: outputs) : nil
  }

  /// Writes (or adds, when `accumulate`) x·Wᵀ + b into columns `column..<column + outputs` of `output`.
  func apply(
    _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, stride: Int, column: Int = 0,
    accumulate: Bool = false, scratch: inout [Float]
  ) {
    weight.linear(
      input: input, inputRows: rows, output: output, outputStride: stride, outputColumn: column,
      accumulate: accumulate, scratch: &scratch)
    if let bias { DecoderKernels.addBias(bias, to: output, rows: rows, stride: stride, column: column) }
  }
}

struct DecoderLayer: Sendable {
  var attentionNorm: [Float]
  var query: Projection
  var key: Projection
  var value: Projection
  var attentionOutput: Projection
  /// Qwen3's RMSNorm over each head's query and key before RoPE.
  var queryNorm: [Float]?
  var keyNorm: [Float]?
  var mlpNorm: [Float]
  var gate: Projection
  var up: Projection
  var down: Projection

  init(_ store: TensorStore, _ names: DecoderTensorNames, index: Int, _ config: DecoderConfig)
    throws(LanguageModelError)
  {
    func name(_ tensor: DecoderTensorNames.LayerTensor) -> String { names.layer(index, tensor) }
    let h = config.hiddenSize
    attentionNorm = try store.vector(name(.attentionNorm) + ".weight", count: h)
    let architecture = config.architecture
    let qkvBias = config.attentionBias || architecture.alwaysBiasesQueryKeyValue
    let outputBias = config.attentionBias && architecture.attentionBiasCoversOutput
    query = try Projection(store, name(.query), inputs: h, outputs: config.queryWidth, bias: qkvBias)
    key = try Projection(store, name(.key), inputs: h, outputs: config.keyValueWidth, bias: qkvBias)
    value = try Projection(store, name(.value), inputs: h, outputs: config.keyValueWidth, bias: qkvBias)
    attentionOutput = try Projection(
      store, name(.attentionOutput), inputs: config.queryWidth, outputs: h, bias: outputBias)
    if config.normalizesQueryKey {
      queryNorm = try store.vector(name(.queryNorm) + ".weight", count: config.headSize)
      keyNorm = try store.vector(name(.keyNorm) + ".weight", count: config.headSize)
    }
    mlpNorm = try store.vector(name(.mlpNorm) + ".weight", count: h)
    let i = config.intermediateSize
    gate = try Projection(store, name(.gate), inputs: h, outputs: i, bias: config.mlpBias)
    up = try Projection(store, name(.up), inputs: h, outputs: i, bias: config.mlpBias)
    down = try Projection(store, name(.down), inputs: i, outputs: h, bias: config.mlpBias)
  }
}

/// Hidden states of one forward pass, one matrix (tokens × hidden) per sequence.
public struct DecoderHiddenStates: Sendable {
  /// transformers' `hidden_states[i]` for each requested i: 0 is the embeddings, i the output of
  /// layer i, and `layerCount` the last layer's output after the final RMSNorm (as transformers
  /// reports it).
  public var layers: [Int: [Matrix]]
  /// After the final RMSNorm (`hidden_states[-1]`), what the LM and score heads read.
  public var final: [Matrix]
}

/// A decoder-only language model (Llama, Qwen2, Qwen3, Mistral) on OpenBLAS, with weights kept
/// as stored (F32/F16/BF16 or GGUF quantised blocks) and widened panel by panel.
public struct DecoderModel: Sendable {
  public let config: DecoderConfig
  /// The file or directory the weights came from.
  public let source: String
  let embedding: WeightTensor
  let layers: [DecoderLayer]
  let finalNorm: [Float]
  /// The LM head: `lm_head` / `output`, or the embedding when tied. Nil for a score-only model.
  let outputHead: WeightTensor?
  /// The `*ForSequenceClassification` head (labels × hidden), when the checkpoint has one.
  let scoreHead: WeightTensor?
  let rotary: RotaryTable

  init(config: DecoderConfig, store: TensorStore, names: DecoderTensorNames) throws(LanguageModelError) {
    self.config = config
    source = store.source
    let h = config.hiddenSize
    embedding = try store.matrix(names.embedding, rows: config.vocabularySize, columns: h)
    var layers: [DecoderLayer] = []
    for index in 0..<config.layerCount { layers.append(try DecoderLayer(store, names, index: index, config)) }
    self.layers = layers
    finalNorm = try store.vector(names.finalNorm, count: h)
    if store.contains(names.output) {
      outputHead = try store.matrix(names.output, rows: config.vocabularySize, columns: h)
    } else if config.tieWordEmbeddings {
      outputHead = embedding
    } else if store.contains(names.score) {
      outputHead = nil
    } else {
      throw LanguageModelError(
        file: store.source, field: names.output,
        "tensor missing (tie_word_embeddings is false, so the LM head must be stored)")
    }
    if store.contains(names.score) {
      guard let shape = store.shape(of: names.score), shape.count == 2, shape[1] == h else {
        throw LanguageModelError(
          file: store.source, field: names.score,
          "shape \(store.shape(of: names.score) ?? []) is not [labels, \(h)]")
      }
      scoreHead = try store.matrix(names.score, rows: shape[0], columns: h)
    } else if config.isSequenceClassifier {
      throw LanguageModelError(
        file: store.source, field: names.score, "tensor missing (the config names a *ForSequenceClassification model)")
    } else {
      scoreHead = nil
    }
    var factors: [Float]? = nil
    if let name = names.ropeFactors, store.contains(name) {
      factors = try store.vector(name, count: config.headSize / 2)
    }
    rotary = RotaryTable(config: config, frequencyFactors: factors)
  }

  public var hasLanguageModelHead: Bool { outputHead != nil }
  public var scoreLabelCount: Int? { scoreHead?.rows }

  func checkTokens(_ sequences: [[TokenID]]) throws(LanguageModelError) {
    for (index, sequence) in sequences.enumerated() {
      guard !sequence.isEmpty else {
        throw LanguageModelError(file: source, "sequence \(index) has no tokens (a forward pass needs at least one)")
      }
      if let bad = sequence.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
        throw LanguageModelError(
          file: source, "sequence \(index): token id \(bad) is outside the vocabulary (0..<\(config.vocabularySize))")
      }
    }
  }

  /// Runs the sequences (each unpadded, of any lengths) and returns the final-norm hidden states
  /// plus transformers' `hidden_states[i]` for each index in `layers` (0...layerCount).
  public func hiddenStates(_ sequences: [[TokenID]], layers requested: Set<Int> = []) throws(LanguageModelError)
    -> DecoderHiddenStates
  {
    try checkTokens(sequences)
    if let bad = requested.first(where: { $0 < 0 || $0 > config.layerCount }) {
      throw LanguageModelError(
        file: source, "hidden-state layer \(bad) does not exist (0 = embeddings … \(config.layerCount) = final)")
    }
    var pass = DecoderPass(model: self, sequences: sequences)
    var captured: [Int: [Float]] = [:]
    if requested.contains(0) { captured[0] = pass.residual }
    for (index, layer) in layers.enumerated() {
      pass.run(layer)
      if requested.contains(index + 1), index + 1 < config.layerCount { captured[index + 1] = pass.residual }
    }
    let final = DecoderKernels.rmsNormalized(
      pass.residual, rows: pass.tokenCount, width: config.hiddenSize, weight: finalNorm, epsilon: config.rmsNormEpsilon)
    if requested.contains(config.layerCount) { captured[config.layerCount] = final }
    return DecoderHiddenStates(
      layers: captured.mapValues { pass.split($0) }, final: pass.split(final))
  }

  /// Logits (rows × vocabulary) for rows of final hidden states.
  public func logits(_ hidden: Matrix) throws(LanguageModelError) -> Matrix {
    guard let head = outputHead else {
      throw LanguageModelError(file: source, "this checkpoint has no LM head (a sequence-classification model)")
    }
    var out = Matrix(rows: hidden.rows, columns: head.rows)
    var scratch: [Float] = []
    hidden.values.withUnsafeBufferPointer { x in
      out.values.withUnsafeMutableBufferPointer { o in
        head.linear(
          input: x.baseAddress!, inputRows: hidden.rows, output: o.baseAddress!, outputStride: head.rows,
          scratch: &scratch)
      }
    }
    return out
  }

  /// log p(sequence[t] | sequence[<t]) for t in `from[i]..<count` of each sequence (t ≥ 1),
  /// log-softmax accumulated in Float64. Logits are made a block of rows at a time, so a long
  /// sequence over a large vocabulary never holds all its logits at once.
  public func tokenLogProbabilities(_ sequences: [[TokenID]], from starts: [Int]? = nil) throws(LanguageModelError)
    -> [[Double]]
  {
    let states = try hiddenStates(sequences)
    var results: [[Double]] = []
    for (index, sequence) in sequences.enumerated() {
      let first = max(1, starts?[index] ?? 1)
      guard first < sequence.count else {
        results.append([])
        continue
      }
      let hidden = states.final[index]
      var values: [Double] = []
      values.reserveCapacity(sequence.count - first)
      let block = 64
      var t = first
      while t < sequence.count {
        let end = min(sequence.count, t + block)
        // Row t − 1 of the hidden states predicts token t.
        let rows = Matrix(
          rows: end - t, columns: hidden.columns,
          values: Array(hidden.values[(t - 1) * hidden.columns..<(end - 1) * hidden.columns]))
        let logits = try self.logits(rows)
        for r in 0..<rows.rows {
          values.append(Self.logSoftmax(logits, row: r, at: Int(sequence[t + r])))
        }
        t = end
      }
      results.append(values)
    }
    return results
  }

  /// log softmax(row)[index] with the sum in Float64.
  static func logSoftmax(_ logits: Matrix, row: Int, at index: Int) -> Double {
    logits.values.withUnsafeBufferPointer { buffer in
      let values = buffer.baseAddress! + row * logits.columns
      var maximum = -Float.infinity
      for j in 0..<logits.columns where values[j] > maximum { maximum = values[j] }
      var total = 0.0
      for j in 0..<logits.columns { total += Foundation.exp(Double(values[j] - maximum)) }
      return Double(values[index] - maximum) - Foundation.log(total)
    }
  }

  /// The score head at each sequence's last token that is not `pad_token_id` (transformers'
  /// rule, which therefore skips trailing pad tokens inside the text too).
  public func sequenceScores(_ sequences: [[TokenID]]) throws(LanguageModelError) -> [[Float]] {
    guard let head = scoreHead else {
      throw LanguageModelError(file: source, field: "score.weight", "this checkpoint has no score head")
    }
    let states = try hiddenStates(sequences)
    var scratch: [Float] = []
    return zip(sequences, states.final).map { sequence, hidden in
      let position = Self.scoredPosition(sequence, padTokenID: config.padTokenID)
      let row = hidden.row(position)
      var out = [Float](repeating: 0, count: head.rows)
      row.withUnsafeBufferPointer { x in
        out.withUnsafeMutableBufferPointer { o in
          head.linear(
            input: x.baseAddress!, inputRows: 1, output: o.baseAddress!, outputStride: head.rows, scratch: &scratch)
        }
      }
      return out
    }
  }

  /// The index transformers' sequence classifiers read: the last token whose id is not the pad
  /// id (`argmax(arange(T) · (ids ≠ pad))`, so 0 when every token is the pad id).
  static func scoredPosition(_ sequence: [TokenID], padTokenID: Int?) -> Int {
    guard let pad = padTokenID else { return sequence.count - 1 }
    return sequence.lastIndex { Int($0) != pad } ?? 0
  }

  /// One vector per sequence from `hidden_states[layer]`: the last token or the mean over tokens.
  public func pooledHiddenStates(_ sequences: [[TokenID]], layer: Int, pooling: HiddenStatePooling)
    throws(LanguageModelError) -> [[Float]]
  {
    let states = try hiddenStates(sequences, layers: [layer])
    let matrices = layer == config.layerCount ? states.final : states.layers[layer]!
    return matrices.map { hidden in
      switch pooling {
      case .lastToken: return hidden.row(hidden.rows - 1)
      case .mean:
        var sums = [Double](repeating: 0, count: hidden.columns)
        for r in 0..<hidden.rows {
          for c in 0..<hidden.columns { sums[c] += Double(hidden.values[r * hidden.columns + c]) }
        }
        return sums.map { Float($0 / Double(hidden.rows)) }
      }
    }
  }
}

/// The state of one forward pass over packed sequences.
struct DecoderPass {
  let model: DecoderModel
  let offsets: [Int]
  let lengths: [Int]
  let tokenCount: Int
  /// The residual stream, tokens × hidden.
  var residual: [Float]
  var scratch: [Float] = []
  let cosines: [Float]
  let sines: [Float]

  init(model: DecoderModel, sequences: [[TokenID]]) {
    self.model = model
    var offsets: [Int] = []
    var total = 0
    for sequence in sequences {
      offsets.append(total)
      total += sequence.count
    }
    self.offsets = offsets
    lengths = sequences.map(\.count)
    tokenCount = total
    let h = model.config.hiddenSize
    var residual = [Float](repeating: 0, count: total * h)
    residual.withUnsafeMutableBufferPointer { r in
      var row = 0
      for sequence in sequences {
        for id in sequence {
          model.embedding.widenRows(Int(id)..<Int(id) + 1, into: r.baseAddress! + row * h)
          row += 1
        }
      }
    }
    self.residual = residual
    (cosines, sines) = model.rotary.table(count: lengths.max() ?? 0)
  }

  func split(_ values: [Float]) -> [Matrix] {
    let h = model.config.hiddenSize
    return zip(offsets, lengths).map { offset, length in
      Matrix(rows: length, columns: h, values: Array(values[offset * h..<(offset + length) * h]))
    }
  }

  mutating func run(_ layer: DecoderLayer) {
    let config = model.config
    let (h, n) = (config.hiddenSize, tokenCount)
    let (qWidth, kvWidth) = (config.queryWidth, config.keyValueWidth)
    let stride = qWidth + 2 * kvWidth
    var normed = DecoderKernels.rmsNormalized(
      residual, rows: n, width: h, weight: layer.attentionNorm, epsilon: config.rmsNormEpsilon)
    var qkv = [Float](repeating: 0, count: n * stride)
    var context = [Float](repeating: 0, count: n * qWidth)
    normed.withUnsafeBufferPointer { x in
      qkv.withUnsafeMutableBufferPointer { out in
        let o = out.baseAddress!
        layer.query.apply(x.baseAddress!, rows: n, into: o, stride: stride, column: 0, scratch: &scratch)
        layer.key.apply(x.baseAddress!, rows: n, into: o, stride: stride, column: qWidth, scratch: &scratch)
        layer.value.apply(x.baseAddress!, rows: n, into: o, stride: stride, column: qWidth + kvWidth, scratch: &scratch)
        if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
          for token in 0..<n {
            let row = o + token * stride
            queryNorm.withUnsafeBufferPointer { w in
              DecoderKernels.rmsNormalize(
                row, rows: config.headCount, width: config.headSize, stride: config.headSize, weight: w.baseAddress!,
                epsilon: config.rmsNormEpsilon)
            }
            keyNorm.withUnsafeBufferPointer { w in
              DecoderKernels.rmsNormalize(
                row + qWidth, rows: config.keyValueHeadCount, width: config.headSize, stride: config.headSize,
                weight: w.baseAddress!, epsilon: config.rmsNormEpsilon)
            }
          }
        }
        applyRotary(o, stride: stride)
        context.withUnsafeMutableBufferPointer { c in attend(o, stride: stride, into: c.baseAddress!) }
      }
    }
    context.withUnsafeBufferPointer { c in
      residual.withUnsafeMutableBufferPointer { r in
        layer.attentionOutput.apply(
          c.baseAddress!, rows: n, into: r.baseAddress!, stride: h, accumulate: true, scratch: &scratch)
      }
    }
    normed = DecoderKernels.rmsNormalized(
      residual, rows: n, width: h, weight: layer.mlpNorm, epsilon: config.rmsNormEpsilon)
    let i = config.intermediateSize
    var gateUp = [Float](repeating: 0, count: n * 2 * i)
    normed.withUnsafeBufferPointer { x in
      gateUp.withUnsafeMutableBufferPointer { g in
        layer.gate.apply(x.baseAddress!, rows: n, into: g.baseAddress!, stride: 2 * i, column: 0, scratch: &scratch)
        layer.up.apply(x.baseAddress!, rows: n, into: g.baseAddress!, stride: 2 * i, column: i, scratch: &scratch)
        DecoderKernels.siluGate(g.baseAddress!, rows: n, width: i)
      }
    }
    // The gated values sit in the first half of each 2·i row: the down projection reads them with
    // a row stride of 2·i, which `linear` does not take, so compact them first.
    var activated = [Float](repeating: 0, count: n * i)
    gateUp.withUnsafeBufferPointer { g in
      activated.withUnsafeMutableBufferPointer { a in
        for r in 0..<n { (a.baseAddress! + r * i).update(from: g.baseAddress! + r * 2 * i, count: i) }
      }
    }
    activated.withUnsafeBufferPointer { a in
      residual.withUnsafeMutableBufferPointer { r in
        layer.down.apply(a.baseAddress!, rows: n, into: r.baseAddress!, stride: h, accumulate: true, scratch: &scratch)
      }
    }
  }

  func applyRotary(_ qkv: UnsafeMutablePointer<Float>, stride: Int) {
    let config = model.config
    cosines.withUnsafeBufferPointer { c in
      sines.withUnsafeBufferPointer { s in
        for (offset, length) in zip(offsets, lengths) {
          for p in 0..<length {
            let row = qkv + (offset + p) * stride
            model.rotary.apply(row, heads: config.headCount, position: p, cos: c.baseAddress!, sin: s.baseAddress!)
            model.rotary.apply(
              row + config.queryWidth, heads: config.keyValueHeadCount, position: p, cos: c.baseAddress!,
              sin: s.baseAddress!)
          }
        }
      }
    }
  }

  /// Causal grouped-query attention, per sequence and head: scores = q·kᵀ/√d (one sgemm),
  /// softmax over keys up to the query (inside the sliding window), then scores·v (one sgemm).
  func attend(_ qkv: UnsafeMutablePointer<Float>, stride: Int, into context: UnsafeMutablePointer<Float>) {
    let config = model.config
    let d = config.headSize
    let group = config.headCount / config.keyValueHeadCount
    let scale = 1 / Float(d).squareRoot()
    let longest = lengths.max() ?? 0
    var scores = [Float](repeating: 0, count: longest * longest)
    scores.withUnsafeMutableBufferPointer { buffer in
      let s = buffer.baseAddress!
      for (offset, length) in zip(offsets, lengths) {
        let rows = qkv + offset * stride
        for head in 0..<config.headCount {
          let kvHead = head / group
          let q = rows + head * d
          let k = rows + config.queryWidth + kvHead * d
          let v = rows + config.queryWidth + config.keyValueWidth + kvHead * d
          BLAS.gemm(
            m: length, n: length, k: d, a: q, lda: stride, b: k, ldb: stride, transposeB: true, c: s, ldc: length,
            alpha: scale)
          for i in 0..<length {
            let start = config.slidingWindow.map { max(0, i - $0 + 1) } ?? 0
            DecoderKernels.causalSoftmax(s + i * length, count: length, start: start, end: i)
          }
          BLAS.gemm(
            m: length, n: d, k: length, a: s, lda: length, b: v, ldb: stride,
            c: context + offset * config.queryWidth + head * d, ldc: config.queryWidth)
        }
      }
    }
  }
}

extension DecoderModel {
  /// A Hugging Face model directory: `config.json` and `model.safetensors` (or shards listed in
  /// `model.safetensors.index.json`), weights named as `*ForCausalLM` / `*ForSequenceClassification`
  /// save them (with or without the "model." prefix).
  public init(directory: String) throws(LanguageModelError) {
    let config = try DecoderConfig(contentsOf: (directory as NSString).appendingPathComponent("config.json"))
    let store = try TensorStore(directory: directory)
    let prefix = store.contains("model.embed_tokens.weight") || !store.contains("embed_tokens.weight") ? "model." : ""
    try self.init(config: config, store: store, names: .huggingFace(prefix: prefix))
  }

  /// A GGUF file (hyper-parameters from its metadata, llama.cpp's tensor names).
  public init(gguf: GGUFFile) throws(LanguageModelError) {
    try self.init(config: try DecoderConfig(gguf: gguf), store: TensorStore(gguf: gguf), names: .gguf)
  }

  /// A `.gguf` file or a Hugging Face directory.
  public init(path: String) throws(LanguageModelError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw LanguageModelError(file: path, "model not found (expected a Hugging Face model directory or a .gguf file)")
    }
    if isDirectory.boolValue {
      try self.init(directory: path)
    } else {
      try self.init(gguf: try GGUFFile(path: path))
    }
  }
}
