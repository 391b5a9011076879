import Foundation

/// GGUF token types (`tokenizer.ggml.token_type`), as llama.cpp writes them.
public enum GGUFTokenType: Int, Sendable {
  case normal = 1
  case unknown = 2
  case control = 3
  case userDefined = 4
  case unused = 5
  case byte = 6
}

extension PreTokenizer {
  /// The pre-tokenizer a GGUF file names in `tokenizer.ggml.pre` (llama.cpp's names). Unknown names
  /// are an error: guessing would split text differently from the model's own tokenizer.
  public init(ggufName name: String) throws(TokenizerError) {
    switch name {
    case "gpt2", "gpt-2": self = .gpt2
    // llama.cpp's "smollm" (and the others it splits alike): `\p{N}` one at a time, then the GPT-2
    // regex — SmolLM2's tokenizer.json (Digits(individual_digits) + ByteLevel).
    case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b": self = .smolLM
    case "llama-bpe", "llama3", "llama-v3", "smaug-bpe", "dbrx", "falcon3": self = .llama3
    case "qwen2", "deepseek-r1-qwen", "megrez": self = .qwen2
    default:
      throw TokenizerError(
        field: "tokenizer.ggml.pre",
        "unsupported pre-tokenizer '\(name)' (supported: gpt2, smollm/starcoder, llama-bpe/llama3, qwen2/deepseek-r1-qwen)"
      )
    }
  }
}

extension BPETokenizer {
  /// A byte-level BPE from GGUF metadata (`tokenizer.ggml.model` = "gpt2"): `tokens`, `merges`
  /// (`"a b"`), `token_type`, the special ids, `add_bos_token`/`add_eos_token` and the pre-tokenizer
  /// name. Control tokens (`<|im_start|>`) become special added tokens and user-defined ones
  /// (`<think>`) plain added tokens, both matched whole in text, as llama.cpp and `transformers` do.
  /// `preTokenizer` overrides the one `preTokenizerName` names.
  public init(
    ggufTokens tokens: [String], merges: [String], tokenTypes: [Int]?, preTokenizerName: String?,
    bosTokenID: Int?, eosTokenID: Int?, padTokenID: Int?, addBOS: Bool, addEOS: Bool = false,
    preTokenizer: PreTokenizer? = nil
  ) throws(TokenizerError) {
    if let tokenTypes, tokenTypes.count != tokens.count {
      throw TokenizerError(
        field: "tokenizer.ggml.token_type",
        "\(tokenTypes.count) types for \(tokens.count) tokens (expected one per token)")
    }
    var vocabulary: [String: TokenID] = [:]
    vocabulary.reserveCapacity(tokens.count)
    var added: [BPEAddedToken] = []
    for (index, token) in tokens.enumerated() {
      // A token outside the byte alphabet is spelled in it (as `transformers` does), so that
      // merges and lookups see one spelling.
      let spelled = ByteLevel.isSpelled(token) ? token : ByteLevel.spell(token.utf8)
      if vocabulary[spelled] == nil { vocabulary[spelled] = TokenID(index) }
      switch tokenTypes.map({ GGUFTokenType(rawValue: $0[index]) }) {
      case .control?:
        // A control token outside the byte alphabet is a mislabel `transformers` skips too.
        if ByteLevel.isSpelled(token) { added.append(BPEAddedToken(content: token, id: TokenID(index))) }
      case .userDefined?:
        added.append(BPEAddedToken(content: token, id: TokenID(index), special: false))
      default: break
      }
    }
    var pairs: [(String, String)] = []
    pairs.reserveCapacity(merges.count)
    for (i, merge) in merges.enumerated() {
      let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw TokenizerError(
          field: "tokenizer.ggml.merges[\(i)]", "expected two tokens separated by one space, found '\(merge)'")
      }
      pairs.append((String(parts[0]), String(parts[1])))
    }
    let steps: PreTokenizer
    if let preTokenizer {
      steps = preTokenizer
    } else {
      guard let preTokenizerName else {
        throw TokenizerError(field: "tokenizer.ggml.pre", "missing: the file does not say how to split text")
      }
      steps = try PreTokenizer(ggufName: preTokenizerName)
    }
    func id(_ value: Int?, _ key: String) throws(TokenizerError) -> TokenID? {
      guard let value else { return nil }
      guard value >= 0, value < tokens.count else {
        throw TokenizerError(field: key, "id \(value) is outside the vocabulary (\(tokens.count) tokens)")
      }
      return TokenID(value)
    }
    let bos = try id(bosTokenID, "tokenizer.ggml.bos_token_id")
    let eos = try id(eosTokenID, "tokenizer.ggml.eos_token_id")
    let pad = try id(padTokenID, "tokenizer.ggml.padding_token_id")
    if addBOS, bos == nil {
      throw TokenizerError(field: "tokenizer.ggml.add_bos_token", "is true but the file has no bos_token_id")
    }
    if addEOS, eos == nil {
      throw TokenizerError(field: "tokenizer.ggml.add_eos_token", "is true but the file has no eos_token_id")
    }
    let template = SpecialTokenTemplate(
      prefix: addBOS ? [bos!] : [], suffix: addEOS ? [eos!] : [])
    do {
      try self.init(
        vocabulary: vocabulary, merges: pairs, addedTokens: added, preTokenizer: steps, template: template,
        bosTokenID: bos, eosTokenID: eos, padTokenID: pad)
    } catch {
      // The JSON field names of the shared checks, in GGUF terms.
      let field = error.field.map {
        $0.replacingOccurrences(of: "model.merges", with: "tokenizer.ggml.merges")
          .replacingOccurrences(of: "model.vocab", with: "tokenizer.ggml.tokens")
      }
      throw TokenizerError(field: field, error.message)
    }
  }
}

extension BPETokenizer {
  /// The tokenizer of a GGUF model file (`tokenizer.ggml.model` must be "gpt2": byte-level BPE).
  public init(ggufFile path: String, preTokenizer: PreTokenizer? = nil) throws(TokenizerError) {
    let file: GGUFFile
    do {
      file = try GGUFFile(path: path)
    } catch {
      throw TokenizerError(file: error.file, field: error.field, error.message)
    }
    try self.init(gguf: file, preTokenizer: preTokenizer)
  }

  /// The tokenizer described by an opened GGUF file's metadata.
  public init(gguf: GGUFFile, preTokenizer: PreTokenizer? = nil) throws(TokenizerError) {
    let model: String
    do {
      model = try gguf.required("tokenizer.ggml.model", gguf.string)
    } catch {
      throw TokenizerError(file: error.file, field: error.field, error.message)
    }
    guard model == "gpt2" else {
      throw TokenizerError(
        file: gguf.path, field: "tokenizer.ggml.model",
        "unsupported tokenizer model '\(model)' (supported: gpt2, the byte-level BPE)")
    }
    // Metadata of the wrong type is the GGUF reader's error; it becomes ours with the same key.
    func read<T>(_ key: String, _ reader: (String) throws(LanguageModelError) -> T?) throws(TokenizerError) -> T? {
      do { return try reader(key) } catch { throw TokenizerError(file: error.file, field: error.field, error.message) }
    }
    func required<T>(_ key: String, _ reader: (String) throws(LanguageModelError) -> T?) throws(TokenizerError) -> T {
      guard let value = try read(key, reader) else {
        throw TokenizerError(file: gguf.path, field: key, "missing metadata key")
      }
      return value
    }
    do {
      try self.init(
        ggufTokens: try required("tokenizer.ggml.tokens", gguf.strings),
        merges: try required("tokenizer.ggml.merges", gguf.strings),
        tokenTypes: try read("tokenizer.ggml.token_type", gguf.integers),
        preTokenizerName: try read("tokenizer.ggml.pre", gguf.string),
        bosTokenID: try read("tokenizer.ggml.bos_token_id", gguf.integer),
        eosTokenID: try read("tokenizer.ggml.eos_token_id", gguf.integer),
        padTokenID: try read("tokenizer.ggml.padding_token_id", gguf.integer),
        addBOS: try read("tokenizer.ggml.add_bos_token", gguf.bool) ?? false,
        addEOS: try read("tokenizer.ggml.add_eos_token", gguf.bool) ?? false, preTokenizer: preTokenizer)
    } catch {
      throw error.file == "<tokenizer>" ? error.inFile(gguf.path) : error
    }
  }
}
