import Foundation
import RewardCore

extension BPETokenizer {
  /// Loads a Hugging Face `tokenizer.json` with a byte-level BPE model. Components this type does
  /// not implement are errors naming the component, never a silently different tokenization.
  public init(contentsOf path: String) throws(TokenizerError) {
    guard FileManager.default.fileExists(atPath: path) else {
      throw TokenizerError(file: path, "tokenizer file not found")
    }
    let bytes: [UInt8]
    do {
      bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw TokenizerError(file: path, "cannot read the file (\(error.localizedDescription))")
    }
    let json: JSONValue
    do {
      json = try JSONParser.parse(bytes: bytes)
    } catch {
      throw TokenizerError(file: path, "not valid JSON (line \(error.line), column \(error.column): \(error.message))")
    }
    do {
      try self.init(tokenizerJSON: json)
    } catch {
      throw error.inFile(path)
    }
  }

  /// Builds the tokenizer from a parsed `tokenizer.json`. `bos`/`eos`/`pad` name special tokens
  /// (from `tokenizer_config.json`) when the caller knows them; otherwise the BOS is the post-
  /// processor's leading special token, if any.
  public init(tokenizerJSON json: JSONValue, bosToken: String? = nil, eosToken: String? = nil, padToken: String? = nil)
    throws(TokenizerError)
  {
    guard let root = json.objectValue else { throw TokenizerError("expected a JSON object") }
    guard let model = root["model"]?.objectValue else { throw TokenizerError(field: "model", "missing") }
    let type = model["type"]?.stringValue ?? "BPE"
    guard type == "BPE" else {
      throw TokenizerError(field: "model.type", "unsupported tokenizer model '\(type)' (supported: BPE)")
    }
    for (key, value) in model.entries {
      switch key {
      case "dropout":
        if let p = value.doubleValue, p > 0 {
          throw TokenizerError(field: "model.dropout", "BPE dropout \(p) is random; only null or 0 is supported")
        }
      case "continuing_subword_prefix", "end_of_word_suffix":
        if let s = value.stringValue, !s.isEmpty {
          throw TokenizerError(field: "model.\(key)", "unsupported '\(s)' (byte-level BPE uses none)")
        }
      default: break
      }
    }
    guard let vocabObject = model["vocab"]?.objectValue else {
      throw TokenizerError(field: "model.vocab", "missing or not an object")
    }
    var vocabulary: [String: TokenID] = [:]
    vocabulary.reserveCapacity(vocabObject.entries.count)
    for (token, value) in vocabObject.entries {
      guard case .int(let id) = value, id >= 0, id <= Int64(Int32.max) else {
        throw TokenizerError(
          field: "model.vocab.\(token)", "expected a non-negative integer id, found \(value.typeName)")
      }
      vocabulary[token] = TokenID(id)
    }
    let merges = try Self.merges(model["merges"])
    let ignoreMerges = try Self.flag(model, "ignore_merges", "model")
    let byteFallback = try Self.flag(model, "byte_fallback", "model")
    var unknownTokenID: TokenID? = nil
    if let unk = model["unk_token"], !unk.isNull {
      guard let name = unk.stringValue, let id = vocabulary[name] else {
        throw TokenizerError(
          field: "model.unk_token",
          "\(unk.stringValue.map { "'\($0)'" } ?? unk.typeName) is not a token of the vocabulary")
      }
      unknownTokenID = id
    }
    let fuseUnknown = try Self.flag(model, "fuse_unk", "model")

    var added: [BPEAddedToken] = []
    for (i, item) in (root["added_tokens"]?.arrayValue ?? []).enumerated() {
      guard let object = item.objectValue, let content = object["content"]?.stringValue,
        case .int(let id)? = object["id"], id >= 0, id <= Int64(Int32.max)
      else {
        throw TokenizerError(field: "added_tokens[\(i)]", "expected an object with 'content' and a non-negative 'id'")
      }
      let field = "added_tokens[\(i)]"
      added.append(
        BPEAddedToken(
          content: content, id: TokenID(id), special: try Self.flag(object, "special", field),
          singleWord: try Self.flag(object, "single_word", field), leftStrip: try Self.flag(object, "lstrip", field),
          rightStrip: try Self.flag(object, "rstrip", field), normalized: try Self.flag(object, "normalized", field)))
    }

    let normalization = try Self.normalization(root["normalizer"])
    guard let preSettings = root["pre_tokenizer"], !preSettings.isNull else {
      throw TokenizerError(field: "pre_tokenizer", "missing: a byte-level BPE needs a ByteLevel pre-tokenizer")
    }
    let preTokenizer = try PreTokenizer(Self.preTokenizerSteps(preSettings, field: "pre_tokenizer"))
    try Self.checkDecoder(root["decoder"])

    func id(of token: String, _ field: String) throws(TokenizerError) -> TokenID {
      if let added = added.first(where: { $0.content == token }) { return added.id }
      if let id = vocabulary[token] { return id }
      throw TokenizerError(field: field, "token '\(token)' is not in the vocabulary")
    }
    let template = try Self.template(root["post_processor"], field: "post_processor", id: id)
    let bos = try bosToken.map { (t) throws(TokenizerError) in try id(of: t, "bos_token") } ?? template.prefix.first
    let eos = try eosToken.map { (t) throws(TokenizerError) in try id(of: t, "eos_token") }
    let pad = try padToken.map { (t) throws(TokenizerError) in try id(of: t, "pad_token") }
    try self.init(
      vocabulary: vocabulary, merges: merges, addedTokens: added, preTokenizer: preTokenizer,
      normalization: normalization, template: template, bosTokenID: bos, eosTokenID: eos, padTokenID: pad,
      ignoreMerges: ignoreMerges, byteFallback: byteFallback, unknownTokenID: unknownTokenID, fuseUnknown: fuseUnknown)
  }

  // MARK: Components

  private static func flag(_ object: JSONObject, _ key: String, _ field: String) throws(TokenizerError) -> Bool {
    guard let value = object[key], !value.isNull else { return false }
    guard case .bool(let b) = value else { throw TokenizerError(field: "\(field).\(key)", "expected true or false") }
    return b
  }

  /// Merges as `"a b"` strings (older files) or `["a", "b"]` pairs (newer ones).
  private static func merges(_ value: JSONValue?) throws(TokenizerError) -> [(String, String)] {
    guard let items = value?.arrayValue else { throw TokenizerError(field: "model.merges", "missing or not an array") }
    var merges: [(String, String)] = []
    merges.reserveCapacity(items.count)
    for (i, item) in items.enumerated() {
      switch item {
      case .string(let line):
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
          throw TokenizerError(
            field: "model.merges[\(i)]", "expected two tokens separated by one space, found '\(line)'")
        }
        merges.append((String(parts[0]), String(parts[1])))
      case .array(let pair):
        guard pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue else {
          throw TokenizerError(field: "model.merges[\(i)]", "expected a pair of strings")
        }
        merges.append((a, b))
      default:
        throw TokenizerError(
          field: "model.merges[\(i)]", "expected a string \"a b\" or a pair [\"a\", \"b\"], found \(item.typeName)")
      }
    }
    return merges
  }

  private static func typeName(_ value: JSONValue) -> String {
    value.objectValue?["type"]?.stringValue ?? value.typeName
  }

  private static func normalization(_ value: JSONValue?) throws(TokenizerError) -> TextNormalization {
    guard let value, !value.isNull else { return .none }
    var found = TextNormalization.none
    func visit(_ value: JSONValue, _ field: String) throws(TokenizerError) {
      switch typeName(value) {
      case "NFC": found = .nfc
      case "Sequence":
        for (i, item) in (value.objectValue?["normalizers"]?.arrayValue ?? []).enumerated() {
          try visit(item, "\(field).normalizers[\(i)]")
        }
      case let other:
        throw TokenizerError(
          field: "\(field).type", "unsupported normalizer '\(other)' (supported: NFC, Sequence, null)")
      }
    }
    try visit(value, "normalizer")
    return found
  }

  private static func preTokenizerSteps(_ value: JSONValue, field: String) throws(TokenizerError)
    -> [PreTokenizerStep]
  {
    let object = value.objectValue ?? JSONObject()
    switch typeName(value) {
    case "ByteLevel":
      let useRegex = object["use_regex"].map { $0.isNull ? true : ($0 == .bool(true)) } ?? true
      return [.byteLevel(addPrefixSpace: try flag(object, "add_prefix_space", field), useRegex: useRegex)]
    case "Digits":
      return [.digits(individual: try flag(object, "individual_digits", field))]
    case "Split":
      guard let regex = object["pattern"]?.objectValue?["Regex"]?.stringValue else {
        throw TokenizerError(field: "\(field).pattern", "only a Regex pattern is supported")
      }
      guard let pattern = SplitPattern(regex: regex) else {
        throw TokenizerError(
          field: "\(field).pattern.Regex",
          "unsupported split regex '\(regex)' (supported: the GPT-2, Llama 3 and Qwen2 pre-tokenizer regexes)")
      }
      let behavior = object["behavior"]?.stringValue ?? "Isolated"
      guard behavior == "Isolated" else {
        throw TokenizerError(
          field: "\(field).behavior", "unsupported split behavior '\(behavior)' (supported: Isolated)")
      }
      guard try !flag(object, "invert", field) else {
        throw TokenizerError(field: "\(field).invert", "an inverted split is not supported")
      }
      return [.split(pattern)]
    case "Sequence":
      var steps: [PreTokenizerStep] = []
      for (i, item) in (object["pretokenizers"]?.arrayValue ?? []).enumerated() {
        steps += try preTokenizerSteps(item, field: "\(field).pretokenizers[\(i)]")
      }
      return steps
    case let other:
      throw TokenizerError(
        field: "\(field).type", "unsupported pre-tokenizer '\(other)' (supported: ByteLevel, Split, Digits, Sequence)")
    }
  }

  private static func checkDecoder(_ value: JSONValue?) throws(TokenizerError) {
    guard let value, !value.isNull else { return }
    let type = typeName(value)
    guard type == "ByteLevel" else {
      throw TokenizerError(field: "decoder.type", "unsupported decoder '\(type)' (supported: ByteLevel)")
    }
  }

  /// The `single` template of `TemplateProcessing` (inside a `Sequence` or alone); `ByteLevel`
  /// post-processing adds nothing to the ids.
  private static func template(
    _ value: JSONValue?, field: String, id: (String, String) throws(TokenizerError) -> TokenID
  ) throws(TokenizerError) -> SpecialTokenTemplate {
    guard let value, !value.isNull, let object = value.objectValue else { return SpecialTokenTemplate() }
    switch typeName(value) {
    case "ByteLevel": return SpecialTokenTemplate()
    case "Sequence":
      var result = SpecialTokenTemplate()
      for (i, item) in (object["processors"]?.arrayValue ?? []).enumerated() {
        let part = try template(item, field: "\(field).processors[\(i)]", id: id)
        result.prefix += part.prefix
        result.suffix += part.suffix
      }
      return result
    case "TemplateProcessing":
      guard let single = object["single"]?.arrayValue else {
        throw TokenizerError(field: "\(field).single", "missing or not an array")
      }
      let specials = object["special_tokens"]?.objectValue
      var result = SpecialTokenTemplate()
      var seenSequence = false
      for (i, item) in single.enumerated() {
        let itemField = "\(field).single[\(i)]"
        if let sequence = item.objectValue?["Sequence"]?.objectValue {
          guard sequence["id"]?.stringValue == "A", !seenSequence else {
            throw TokenizerError(field: itemField, "expected the one sequence $A")
          }
          seenSequence = true
        } else if let special = item.objectValue?["SpecialToken"]?.objectValue,
          let name = special["id"]?.stringValue
        {
          var ids: [TokenID] = []
          if let listed = specials?[name]?.objectValue?["ids"]?.arrayValue {
            for value in listed {
              guard case .int(let n) = value else {
                throw TokenizerError(field: "\(field).special_tokens.\(name).ids", "expected integers")
              }
              ids.append(TokenID(n))
            }
          } else {
            ids = [try id(name, itemField)]
          }
          if seenSequence { result.suffix += ids } else { result.prefix += ids }
        } else {
          throw TokenizerError(field: itemField, "expected {\"Sequence\": …} or {\"SpecialToken\": …}")
        }
      }
      guard seenSequence else { throw TokenizerError(field: "\(field).single", "the template has no $A") }
      return result
    case let other:
      throw TokenizerError(
        field: "\(field).type",
        "unsupported post-processor '\(other)' (supported: TemplateProcessing, ByteLevel, Sequence)")
    }
  }
}
