import Foundation
import RewardCore
import RewardTensor

/// How token states become one vector per text.
public enum Pooling: String, Sendable, CaseIterable {
  /// Average of the real (unmasked) tokens: sentence-transformers' default.
  case mean
  /// The state of the first token ([CLS]).
  case cls
  /// The state of the last real token.
  case lastToken = "last"
}

/// Tokenizer + encoder + pooling: texts in, one embedding each out. Texts are grouped by token
/// count before batching so a batch wastes little on padding; results come back in input order.
public struct SentenceEncoder: Sendable {
  public let model: BertModel
  public let tokenizer: WordPieceTokenizer
  public var pooling: Pooling
  public var normalize: Bool
  /// Tokens per text, special tokens included; longer texts keep their head.
  public var maxLength: Int
  /// Texts per forward pass.
  public var batchSize: Int = 32
  /// Batches encoded at once (one per core by default); 1 runs batches one after another
  /// with OpenBLAS's own threads instead.
  public var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

  public init(
    model: BertModel, tokenizer: WordPieceTokenizer, pooling: Pooling = .mean, normalize: Bool = false,
    maxLength: Int? = nil
  ) {
    self.model = model
    self.tokenizer = tokenizer
    self.pooling = pooling
    self.normalize = normalize
    self.maxLength = min(maxLength ?? model.config.maxPositions, model.config.maxPositions)
  }

  /// Loads a Hugging Face model directory (config.json, tokenizer.json, model.safetensors). The
  /// pooling, normalisation and length default to its sentence-transformers files when present
  /// (1_Pooling/config.json, modules.json, sentence_bert_config.json), else mean, none, the model's limit.
  public init(directory: String, pooling: Pooling? = nil, normalize: Bool? = nil, maxLength: Int? = nil)
    throws(BackboneError)
  {
    let model = try BertModel(directory: directory)
    let tokenizer = try WordPieceTokenizer(contentsOf: (directory as NSString).appendingPathComponent("tokenizer.json"))
    if let largest = tokenizer.vocabulary.values.max(), Int(largest) >= model.config.vocabularySize {
      throw BackboneError(
        file: (directory as NSString).appendingPathComponent("tokenizer.json"), field: "model.vocab",
        "token id \(largest) is outside the model's vocab_size \(model.config.vocabularySize) (config.json)")
    }
    let defaults = SentenceTransformerSettings(directory: directory)
    if let maxLength, maxLength < 2 || maxLength > model.config.maxPositions {
      throw BackboneError(
        file: (directory as NSString).appendingPathComponent("config.json"), field: "max_position_embeddings",
        "a maximum length of \(maxLength) tokens is outside 2...\(model.config.maxPositions)")
    }
    self.init(
      model: model, tokenizer: tokenizer, pooling: pooling ?? defaults.pooling ?? .mean,
      normalize: normalize ?? defaults.normalize, maxLength: maxLength ?? defaults.maxLength)
  }

  public var dimension: Int { model.config.hiddenSize }

  /// One embedding per text, in order.
  public func embed(_ texts: [String]) -> [[Float]] {
    embed(encodings: texts.map { tokenizer.encode($0, maxLength: maxLength) })
  }

  /// One embedding per encoding (already truncated to `maxLength`), in order. Batches run in
  /// parallel, one per core, each on single-threaded BLAS: whole batches are the coarsest unit of
  /// work, so cores never wait on each other inside a layer (OpenBLAS's own threads would sync
  /// on every matrix product). The longest batches go first so the last ones to finish are short.
  /// `progress` is called (from worker threads) with the number of encodings done so far.
  public func embed(encodings: [Encoding], progress: (@Sendable (Int) -> Void)? = nil) -> [[Float]] {
    // Longer than the position table: keep the head and the closing token.
    let limit = model.config.maxPositions
    let encodings = encodings.map { encoding in
      guard encoding.count > limit else { return encoding }
      func cut(_ values: [Int32]) -> [Int32] { Array(values.prefix(limit - 1)) + [values.last!] }
      return Encoding(
        ids: cut(encoding.ids), typeIDs: cut(encoding.typeIDs), attentionMask: cut(encoding.attentionMask))
    }
    let order = encodings.indices.sorted { encodings[$0].count > encodings[$1].count }
    let batches = stride(from: 0, to: order.count, by: max(1, batchSize)).map {
      Array(order[$0..<min($0 + max(1, batchSize), order.count)])
    }
    let results = EmbeddingSlots(count: encodings.count)
    let work: @Sendable (Int) -> Void = { [self] batchIndex in
      let members = batches[batchIndex]
      let batch = TokenBatch(members.map { encodings[$0] }, paddingID: tokenizer.paddingTokenID)
      let done = results.set(members, pool(model(batch), batch))
      progress?(done)
    }
    let workers = min(threadCount, batches.count)
    if workers > 1 {
      let blasThreads = BLAS.threadCount
      BLAS.threadCount = 1
      defer { BLAS.threadCount = blasThreads }
      DispatchQueue.concurrentPerform(iterations: batches.count, execute: work)
    } else {
      for index in batches.indices { work(index) }
    }
    return results.values
  }

  func pool(_ hidden: Matrix, _ batch: TokenBatch) -> [[Float]] {
    let h = hidden.columns
    return (0..<batch.sequenceCount).map { sequence in
      let base = sequence * batch.sequenceLength
      var vector = [Float](repeating: 0, count: h)
      switch pooling {
      case .cls:
        vector = hidden.row(base)
      case .lastToken:
        vector = hidden.row(base + max(0, batch.extent(of: sequence) - 1))
      case .mean:
        var count = 0
        hidden.values.withUnsafeBufferPointer { x in
          for position in 0..<batch.sequenceLength where batch.attentionMask[base + position] != 0 {
            let row = x.baseAddress! + (base + position) * h
            for i in 0..<h { vector[i] += row[i] }
            count += 1
          }
        }
        let inverse = 1 / Float(max(count, 1))
        for i in 0..<h { vector[i] *= inverse }
      }
      if normalize { Activations.l2Normalize(&vector) }
      return vector
    }
  }
}

/// Defaults a sentence-transformers model directory declares for how it is used.
struct SentenceTransformerSettings {
  var pooling: Pooling?
  var normalize = false
  var maxLength: Int?

  init(directory: String) {
    func object(_ file: String) -> JSONValue? {
      let path = (directory as NSString).appendingPathComponent(file)
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
      return try? JSONParser.parse(text)
    }
    if let settings = object("1_Pooling/config.json")?.objectValue {
      if settings["pooling_mode_mean_tokens"] == .bool(true) {
        pooling = .mean
      } else if settings["pooling_mode_cls_token"] == .bool(true) {
        pooling = .cls
      } else if settings["pooling_mode_lasttoken"] == .bool(true) {
        pooling = .lastToken
      }
    }
    if let modules = object("modules.json")?.arrayValue {
      normalize = modules.contains { $0.objectValue?["type"]?.stringValue?.hasSuffix(".Normalize") == true }
    }
    if case .int(let n)? = object("sentence_bert_config.json")?.objectValue?["max_seq_length"] { maxLength = Int(n) }
  }
}

/// Per-text results written by concurrent batches (each batch owns distinct slots).
private final class EmbeddingSlots: @unchecked Sendable {
  private var slots: [[Float]]
  private var filled = 0
  private let lock = NSLock()

  init(count: Int) { slots = [[Float]](repeating: [], count: count) }

  /// Stores a batch's vectors; returns how many slots are filled now.
  func set(_ indices: [Int], _ vectors: [[Float]]) -> Int {
    lock.lock()
    defer { lock.unlock() }
    for (index, vector) in zip(indices, vectors) { slots[index] = vector }
    filled += indices.count
    return filled
  }

  var values: [[Float]] {
    lock.lock()
    defer { lock.unlock() }
    return slots
  }
}
