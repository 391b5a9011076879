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
    var result = DecoderHiddenStates(layers: Dictionary(uniqueKeysWithValues: requested.map { ($0, []) }), final: [])
    for group in Self.passGroups(sequences.map(\.count)) {
      let states = runPass(Array(sequences[group]), capturing: requested)
      result.final += states.final
      for (layer, matrices) in states.layers { result.layers[layer]! += matrices }
    }
    return result
  }

  /// Consecutive sequences packed into passes of at most `DecoderPass.chunkRows` tokens (a longer
  /// sequence is a pass of its own). Sequences never see each other, so the split changes no
  /// number; it bounds a pass's activations whatever the batch, while every widened weight panel
  /// still multiplies hundreds of rows.
  static func passGroups(_ lengths: [Int]) -> [Range<Int>] {
    var groups: [Range<Int>] = []
    var start = 0
    var tokens = 0
    for (index, length) in lengths.enumerated() {
      if index > start && tokens + length > DecoderPass.chunkRows {
        groups.append(start..<index)
        (start, tokens) = (index, 0)
      }
      tokens += length
    }
    if start < lengths.count { groups.append(start..<lengths.count) }
    return groups
  }

  /// One pass over `sequences` (no split); the block sizes are parameters for the tests, which
  /// check that the blocked products equal one product over everything.
  func runPass(
    _ sequences: [[TokenID]], capturing requested: Set<Int>, attentionBlock: Int = DecoderPass.attentionBlock,
    chunkRows: Int = DecoderPass.chunkRows
  ) -> DecoderHiddenStates {
    var pass = DecoderPass(model: self, sequences: sequences)
    pass.attentionBlock = attentionBlock
    pass.rowsPerChunk = chunkRows
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

  /// log p(sequence[t] | sequence[<t]) for t in `from[i]..<count` of each sequence (t ≥ 1).
  /// The log-softmax runs online over the LM head's panels (a running maximum and a Float64 sum
  /// of exponentials per row), so no row's logits over the whole vocabulary are ever held, and
  /// each panel of the head is widened once for up to `DecoderPass.chunkRows` scored tokens.
  public func tokenLogProbabilities(_ sequences: [[TokenID]], from starts: [Int]? = nil) throws(LanguageModelError)
    -> [[Double]]
  {
    guard let head = outputHead else {
      throw LanguageModelError(file: source, "this checkpoint has no LM head (a sequence-classification model)")
    }
    let states = try hiddenStates(sequences)
    let h = config.hiddenSize
    // Every scored position: its sequence, the hidden-state row that predicts it, the target token.
    var positions: [(sequence: Int, row: Int, target: Int)] = []
    for (index, sequence) in sequences.enumerated() {
      for t in max(1, starts?[index] ?? 1)..<max(1, sequence.count) {
        positions.append((index, t - 1, Int(sequence[t])))
      }
    }
    var results = sequences.map { _ in [Double]() }
    var scratch: [Float] = []
    for first in stride(from: 0, to: positions.count, by: DecoderPass.chunkRows) {
      let block = positions[first..<min(positions.count, first + DecoderPass.chunkRows)]
      var rows = [Float](repeating: 0, count: block.count * h)
      for (r, position) in block.enumerated() {
        let hidden = states.final[position.sequence]
        for c in 0..<h { rows[r * h + c] = hidden.values[position.row * h + c] }
      }
      var softmax = block.map { OnlineLogSoftmax(target: $0.target) }
      rows.withUnsafeBufferPointer { x in
        head.forEachPanelProduct(input: x.baseAddress!, inputRows: block.count, scratch: &scratch) { panel, logits in
          for r in softmax.indices { softmax[r].add(logits + r * panel.count, columns: panel) }
        }
      }
      for (position, state) in zip(block, softmax) { results[position.sequence].append(state.logProbability) }
    }
    return results
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

/// log softmax(logits)[target] for one row whose logits arrive a panel of columns at a time.
struct OnlineLogSoftmax {
  let target: Int
  var maximum = -Float.infinity
  /// Σ exp(logit − maximum) over the columns seen so far.
  var sum = 0.0
  var targetLogit = -Float.infinity

  init(target: Int) { self.target = target }

  /// Takes the logits of `columns` (overwritten with scratch values).
  mutating func add(_ logits: UnsafeMutablePointer<Float>, columns: Range<Int>) {
    let count = columns.count
    if columns.contains(target) { targetLogit = logits[target - columns.lowerBound] }
    let panelMaximum = DecoderKernels.maximum(logits, count: count)
    if panelMaximum > maximum {
      sum *= Foundation.exp(Double(maximum - panelMaximum))
      maximum = panelMaximum
    }
    for j in 0..<count { logits[j] = VectorMath.exp(logits[j] - maximum) }
    sum += Double(VectorMath.sum(logits, count))
  }

  var logProbability: Double { Double(targetLogit - maximum) - Foundation.log(sum) }
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
  var attentionBlock = Self.attentionBlock
  var rowsPerChunk = Self.chunkRows
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

  /// Token rows per step of the projections and the MLP. Chunking bounds a pass's scratch (the
  /// MLP's gate and up values are the largest) to `chunkRows` rows however many tokens the pass
  /// holds, while every widened weight panel still feeds sgemm hundreds of rows.
  static let chunkRows = 256

  mutating func run(_ layer: DecoderLayer) {
    attention(layer)
    mlp(layer)
  }

  /// residual += attention(RMSNorm(residual)): q, k and v for every token (attention needs all
  /// keys), then causal attention by query block, then the output projection.
  mutating func attention(_ layer: DecoderLayer) {
    let config = model.config
    let (h, n) = (config.hiddenSize, tokenCount)
    let (qWidth, kvWidth) = (config.queryWidth, config.keyValueWidth)
    let stride = qWidth + 2 * kvWidth
    let chunk = min(n, rowsPerChunk)
    var qkv = [Float](repeating: 0, count: n * stride)
    var normed = [Float](repeating: 0, count: chunk * h)
    qkv.withUnsafeMutableBufferPointer { out in
      let o = out.baseAddress!
      normed.withUnsafeMutableBufferPointer { x in
        for first in Swift.stride(from: 0, to: n, by: chunk) {
          let rows = min(chunk, n - first)
          normalize(rows: first..<first + rows, weight: layer.attentionNorm, into: x.baseAddress!)
          let target = o + first * stride
          layer.query.apply(x.baseAddress!, rows: rows, into: target, stride: stride, column: 0, scratch: &scratch)
          layer.key.apply(x.baseAddress!, rows: rows, into: target, stride: stride, column: qWidth, scratch: &scratch)
          layer.value.apply(
            x.baseAddress!, rows: rows, into: target, stride: stride, column: qWidth + kvWidth, scratch: &scratch)
        }
      }
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
    }
    var context = [Float](repeating: 0, count: n * qWidth)
    qkv.withUnsafeBufferPointer { q in
      context.withUnsafeMutableBufferPointer { c in attend(q.baseAddress!, stride: stride, into: c.baseAddress!) }
    }
    context.withUnsafeBufferPointer { c in
      residual.withUnsafeMutableBufferPointer { r in
        layer.attentionOutput.apply(
          c.baseAddress!, rows: n, into: r.baseAddress!, stride: h, accumulate: true, scratch: &scratch)
      }
    }
  }

  /// residual += down(silu(gate(x)) · up(x)) with x = RMSNorm(residual), a chunk of rows at a time.
  mutating func mlp(_ layer: DecoderLayer) {
    let config = model.config
    let (h, n, i) = (config.hiddenSize, tokenCount, config.intermediateSize)
    let chunk = min(n, rowsPerChunk)
    var normed = [Float](repeating: 0, count: chunk * h)
    var gate = [Float](repeating: 0, count: chunk * i)
    var up = [Float](repeating: 0, count: chunk * i)
    normed.withUnsafeMutableBufferPointer { x in
      gate.withUnsafeMutableBufferPointer { g in
        up.withUnsafeMutableBufferPointer { u in
          residual.withUnsafeMutableBufferPointer { r in
            for first in Swift.stride(from: 0, to: n, by: chunk) {
              let rows = min(chunk, n - first)
              Self.normalize(
                rows: first..<first + rows, of: r.baseAddress!, weight: layer.mlpNorm, config: config,
                into: x.baseAddress!)
              layer.gate.apply(x.baseAddress!, rows: rows, into: g.baseAddress!, stride: i, scratch: &scratch)
              layer.up.apply(x.baseAddress!, rows: rows, into: u.baseAddress!, stride: i, scratch: &scratch)
              let (gateAddress, upAddress) = (Int(bitPattern: g.baseAddress!), Int(bitPattern: u.baseAddress!))
              DecoderKernels.inParallel(count: rows * i) { range in
                // Addresses, not pointers, cross into the workers (pointers are not Sendable).
                let gate = UnsafeMutablePointer<Float>(bitPattern: gateAddress)! + range.lowerBound
                let up = UnsafePointer<Float>(bitPattern: upAddress)! + range.lowerBound
                DecoderKernels.siluGate(gate, up: up, count: range.count)
              }
              layer.down.apply(
                g.baseAddress!, rows: rows, into: r.baseAddress! + first * h, stride: h, accumulate: true,
                scratch: &scratch)
            }
          }
        }
      }
    }
  }

  /// RMSNorm of residual rows `rows` into `destination` (rows.count × hidden).
  func normalize(rows: Range<Int>, weight: [Float], into destination: UnsafeMutablePointer<Float>) {
    residual.withUnsafeBufferPointer { r in
      Self.normalize(rows: rows, of: r.baseAddress!, weight: weight, config: model.config, into: destination)
    }
  }

  static func normalize(
    rows: Range<Int>, of residual: UnsafePointer<Float>, weight: [Float], config: DecoderConfig,
    into destination: UnsafeMutablePointer<Float>
  ) {
    let h = config.hiddenSize
    destination.update(from: residual + rows.lowerBound * h, count: rows.count * h)
    weight.withUnsafeBufferPointer { w in
      DecoderKernels.rmsNormalize(
        destination, rows: rows.count, width: h, stride: h, weight: w.baseAddress!, epsilon: config.rmsNormEpsilon)
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

  /// Query rows per attention block. Keys after a block's last row are masked for every row of
  /// the block, so they are never multiplied: the products cover about half of the full T × T
  /// score matrix, and the scores in flight are `attentionBlock` × T.
  static let attentionBlock = 128

  /// Causal grouped-query attention, per sequence, query block and head: scores = q·kᵀ/√d over the
  /// keys the block can see (one sgemm), softmax over keys up to each query (inside the sliding
  /// window), then scores·v (one sgemm).
  func attend(_ qkv: UnsafePointer<Float>, stride: Int, into context: UnsafeMutablePointer<Float>) {
    let config = model.config
    let d = config.headSize
    let group = config.headCount / config.keyValueHeadCount
    let scale = 1 / Float(d).squareRoot()
    let longest = lengths.max() ?? 0
    let block = attentionBlock
    var scores = [Float](repeating: 0, count: min(block, longest) * longest)
    scores.withUnsafeMutableBufferPointer { buffer in
      let s = buffer.baseAddress!
      for (offset, length) in zip(offsets, lengths) {
        for first in Swift.stride(from: 0, to: length, by: block) {
          let last = min(length, first + block) - 1
          // The earliest key any query of the block sees (later than 0 inside a sliding window).
          let firstKey = config.slidingWindow.map { max(0, first - $0 + 1) } ?? 0
          let (queries, keys) = (last - first + 1, last - firstKey + 1)
          let queryRows = qkv + (offset + first) * stride
          let keyRows = qkv + (offset + firstKey) * stride
          for head in 0..<config.headCount {
            let kvHead = head / group
            let q = queryRows + head * d
            let k = keyRows + config.queryWidth + kvHead * d
            let v = keyRows + config.queryWidth + config.keyValueWidth + kvHead * d
            BLAS.gemm(
              m: queries, n: keys, k: d, a: q, lda: stride, b: k, ldb: stride, transposeB: true, c: s, ldc: keys,
              alpha: scale)
            for row in 0..<queries {
              let position = first + row
              let start = config.slidingWindow.map { max(0, position - $0 + 1) } ?? 0
              DecoderKernels.causalSoftmax(
                s + row * keys, count: keys, start: start - firstKey, end: position - firstKey)
            }
            BLAS.gemm(
              m: queries, n: d, k: keys, a: s, lda: keys, b: v, ldb: stride,
              c: context + (offset + first) * config.queryWidth + head * d, ldc: config.queryWidth)
          }
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
