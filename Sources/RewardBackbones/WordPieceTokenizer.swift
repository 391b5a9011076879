import Foundation
import RewardCore

/// Token ids of one text or text pair, with segment (token type) ids and the attention mask
/// (1 for a real token, 0 for padding), as a BERT model takes them.
public struct Encoding: Sendable, Equatable {
  public var ids: [Int32]
  public var typeIDs: [Int32]
  public var attentionMask: [Int32]

  public init(ids: [Int32], typeIDs: [Int32], attentionMask: [Int32]? = nil) {
    precondition(ids.count == typeIDs.count, "ids and type ids must have the same length")
    self.ids = ids
    self.typeIDs = typeIDs
    self.attentionMask = attentionMask ?? [Int32](repeating: 1, count: ids.count)
  }

  public var count: Int { ids.count }
  /// Tokens that are not padding.
  public var tokenCount: Int { attentionMask.reduce(0) { $0 + Int($1) } }
}

/// How a batch is padded: not at all, to its longest member, or to a fixed length.
public enum PaddingStrategy: Sendable, Equatable {
  case none
  case longest
  case fixed(Int)
}

/// A token that `tokenizer.json` adds outside the vocabulary's WordPiece rules ([CLS], [SEP],
/// [MASK], …): it is matched in the raw text before normalisation, so "[CLS]" in a text is one token.
public struct AddedToken: Sendable, Equatable {
  public var content: String
  public var id: Int32
  /// Only matched when not inside a word.
  public var singleWord: Bool
}

/// The WordPiece tokenizer of BERT-family models, loaded from a Hugging Face `tokenizer.json`
/// (BertNormalizer, BertPreTokenizer, WordPiece model, BERT template post-processing), giving the
/// same ids as the `tokenizers` library.
public struct WordPieceTokenizer: Sendable {
  public let vocabulary: [String: Int32]
  public let normalizer: BertNormalizer
  public let unknownTokenID: Int32
  public let classifierTokenID: Int32
  public let separatorTokenID: Int32
  public let paddingTokenID: Int32
  public let paddingTypeID: Int32
  public let continuingSubwordPrefix: String
  /// Longer words (in Unicode scalars) become a single unknown token, as in `tokenizers`.
  public let maxInputCharactersPerWord: Int
  public let addedTokens: [AddedToken]
  /// The file's own truncation length (`truncation.max_length`), if it sets one.
  public let defaultMaxLength: Int?
  private let addedTokenStarts: Set<Unicode.Scalar>

  public init(
    vocabulary: [String: Int32], normalizer: BertNormalizer = BertNormalizer(), unknownToken: String = "[UNK]",
    classifierToken: String = "[CLS]", separatorToken: String = "[SEP]", paddingToken: String = "[PAD]",
    continuingSubwordPrefix: String = "##", maxInputCharactersPerWord: Int = 100, addedTokens: [AddedToken]? = nil,
    defaultMaxLength: Int? = nil, file: String = "<vocabulary>"
  ) throws(BackboneError) {
    func id(_ token: String, _ field: String) throws(BackboneError) -> Int32 {
      guard let id = vocabulary[token] else {
        throw BackboneError(file: file, field: field, "token '\(token)' is not in the vocabulary")
      }
      return id
    }
    self.vocabulary = vocabulary
    self.normalizer = normalizer
    unknownTokenID = try id(unknownToken, "model.unk_token")
    classifierTokenID = try id(classifierToken, "post_processor")
    separatorTokenID = try id(separatorToken, "post_processor")
    paddingTokenID = vocabulary[paddingToken] ?? 0
    paddingTypeID = 0
    self.continuingSubwordPrefix = continuingSubwordPrefix
    self.maxInputCharactersPerWord = maxInputCharactersPerWord
    let added =
      addedTokens
      ?? [unknownToken, classifierToken, separatorToken, paddingToken, "[MASK]"].compactMap { token in
        vocabulary[token].map { AddedToken(content: token, id: $0, singleWord: false) }
      }
    // Longest first, so that when two added tokens start at the same place the longer one wins.
    self.addedTokens = added.filter { !$0.content.isEmpty }.sorted { $0.content.count > $1.content.count }
    addedTokenStarts = Set(self.addedTokens.compactMap { $0.content.unicodeScalars.first })
    self.defaultMaxLength = defaultMaxLength
  }

  /// Loads `tokenizer.json`; unsupported components are errors naming the field.
  public init(contentsOf path: String) throws(BackboneError) {
    guard FileManager.default.fileExists(atPath: path) else {
      throw BackboneError(file: path, "tokenizer file not found (a model directory needs tokenizer.json)")
    }
    let bytes: [UInt8]
    do {
      bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw BackboneError(file: path, "cannot read the file (\(error.localizedDescription))")
    }
    let json: JSONValue
    do {
      json = try JSONParser.parse(bytes: bytes)
    } catch {
      throw BackboneError(file: path, "not valid JSON (line \(error.line), column \(error.column): \(error.message))")
    }
    try self.init(json: json, file: path)
  }

  public init(json: JSONValue, file: String) throws(BackboneError) {
    func fail(_ field: String, _ message: String) -> BackboneError { BackboneError(file: file, field: field, message) }
    guard let root = json.objectValue else { throw BackboneError(file: file, "expected a JSON object") }
    guard let model = root["model"]?.objectValue else { throw fail("model", "missing the tokenizer model") }
    let modelType = model["type"]?.stringValue ?? "WordPiece"
    guard modelType == "WordPiece" else {
      throw fail("model.type", "unsupported tokenizer model '\(modelType)' (supported: WordPiece)")
    }
    guard let vocabObject = model["vocab"]?.objectValue else { throw fail("model.vocab", "missing or not an object") }
    var vocabulary: [String: Int32] = [:]
    vocabulary.reserveCapacity(vocabObject.entries.count)
    for (token, value) in vocabObject.entries {
      guard case .int(let id) = value, id >= 0, id <= Int64(Int32.max) else {
        throw fail("model.vocab.\(token)", "expected a non-negative integer id, found \(value.typeName)")
      }
      vocabulary[token] = Int32(id)
    }
    var normalizer = BertNormalizer(
      cleanText: false, handleChineseCharacters: false, stripAccents: false, lowercase: false)
    if let settings = root["normalizer"], !settings.isNull {
      guard let object = settings.objectValue, object["type"]?.stringValue == "BertNormalizer" else {
        throw fail(
          "normalizer.type",
          "unsupported normalizer '\(settings.objectValue?["type"]?.stringValue ?? settings.typeName)' (supported: BertNormalizer)"
        )
      }
      func flag(_ key: String, _ fallback: Bool) throws(BackboneError) -> Bool {
        guard let value = object[key], !value.isNull else { return fallback }
        guard case .bool(let b) = value else { throw fail("normalizer.\(key)", "expected true or false") }
        return b
      }
      let lowercase = try flag("lowercase", true)
      let strip: Bool? =
        if let v = object["strip_accents"], !v.isNull { try flag("strip_accents", lowercase) } else { nil }
      normalizer = BertNormalizer(
        cleanText: try flag("clean_text", true), handleChineseCharacters: try flag("handle_chinese_chars", true),
        stripAccents: strip, lowercase: lowercase)
    }
    if let settings = root["pre_tokenizer"], !settings.isNull {
      let type = settings.objectValue?["type"]?.stringValue ?? settings.typeName
      guard type == "BertPreTokenizer" else {
        throw fail("pre_tokenizer.type", "unsupported pre-tokenizer '\(type)' (supported: BertPreTokenizer)")
      }
    }
    var cls = "[CLS]"
    var sep = "[SEP]"
    if let processor = root["post_processor"]?.objectValue {
      switch processor["type"]?.stringValue {
      case "BertProcessing":
        cls = processor["cls"]?.arrayValue?.first?.stringValue ?? cls
        sep = processor["sep"]?.arrayValue?.first?.stringValue ?? sep
      case "TemplateProcessing":
        // The BERT template: the first special token of `single` opens, the last one closes.
        let specials = (processor["single"]?.arrayValue ?? []).compactMap {
          $0.objectValue?["SpecialToken"]?.objectValue?["id"]?.stringValue
        }
        guard specials.count == 2 else {
          throw fail(
            "post_processor.single", "expected the BERT template [CLS] $A [SEP], found \(specials.count) special tokens"
          )
        }
        cls = specials[0]
        sep = specials[1]
      case let other:
        throw fail(
          "post_processor.type",
          "unsupported post-processor '\(other ?? "none")' (supported: TemplateProcessing, BertProcessing)")
      }
    }
    var added: [AddedToken] = []
    for (i, item) in (root["added_tokens"]?.arrayValue ?? []).enumerated() {
      guard let object = item.objectValue, let content = object["content"]?.stringValue,
        case .int(let id)? = object["id"]
      else { throw fail("added_tokens[\(i)]", "expected an object with 'content' and 'id'") }
      var singleWord = false
      if case .bool(let b)? = object["single_word"] { singleWord = b }
      added.append(AddedToken(content: content, id: Int32(id), singleWord: singleWord))
    }
    var maxLength: Int? = nil
    if case .int(let n)? = root["truncation"]?.objectValue?["max_length"] { maxLength = Int(n) }
    var maxChars = 100
    if case .int(let n)? = model["max_input_chars_per_word"] { maxChars = Int(n) }
    var padToken = "[PAD]"
    if let token = root["padding"]?.objectValue?["pad_token"]?.stringValue { padToken = token }
    try self.init(
      vocabulary: vocabulary, normalizer: normalizer, unknownToken: model["unk_token"]?.stringValue ?? "[UNK]",
      classifierToken: cls, separatorToken: sep, paddingToken: padToken,
      continuingSubwordPrefix: model["continuing_subword_prefix"]?.stringValue ?? "##",
      maxInputCharactersPerWord: maxChars, addedTokens: added, defaultMaxLength: maxLength, file: file)
  }

  // MARK: Tokenizing

  /// The WordPiece ids of a text, without special tokens and without truncation.
  public func wordPieceIDs(_ text: String) -> [Int32] {
    var ids: [Int32] = []
    for chunk in splitOnAddedTokens(text) {
      switch chunk {
      case .added(let id): ids.append(id)
      case .text(let piece):
        for word in BertPreTokenizer.split(normalizer.normalize(piece)) { appendWordPieces(of: word, to: &ids) }
      }
    }
    return ids
  }

  /// `[CLS] text [SEP]`, keeping the head of the text when `maxLength` (specials included) is set.
  public func encode(_ text: String, maxLength: Int? = nil) -> Encoding {
    var ids = wordPieceIDs(text)
    if let maxLength { ids = Array(ids.prefix(max(0, maxLength - 2))) }
    return single(ids)
  }

  /// `[CLS] first [SEP] second [SEP]` with token types 0 and 1; over `maxLength` the longer side
  /// loses tokens from its end first (`tokenizers`' longest-first strategy).
  public func encode(_ first: String, pair second: String, maxLength: Int? = nil) -> Encoding {
    var a = wordPieceIDs(first)
    var b = wordPieceIDs(second)
    if let maxLength {
      let budget = max(0, maxLength - 3)
      while a.count + b.count > budget {
        if a.count > b.count { a.removeLast() } else { b.removeLast() }
      }
    }
    return pair(a, b)
  }

  /// Encodes texts and pads them as asked.
  public func encodeBatch(_ texts: [String], maxLength: Int? = nil, padding: PaddingStrategy = .longest) -> [Encoding] {
    var encodings = texts.map { encode($0, maxLength: maxLength) }
    pad(&encodings, padding)
    return encodings
  }

  /// Wraps WordPiece ids as `[CLS] ids [SEP]`.
  public func single(_ ids: [Int32]) -> Encoding {
    Encoding(ids: [classifierTokenID] + ids + [separatorTokenID], typeIDs: [Int32](repeating: 0, count: ids.count + 2))
  }

  /// Wraps two id lists as `[CLS] a [SEP] b [SEP]`, with type 1 for b and its separator.
  public func pair(_ a: [Int32], _ b: [Int32]) -> Encoding {
    Encoding(
      ids: [classifierTokenID] + a + [separatorTokenID] + b + [separatorTokenID],
      typeIDs: [Int32](repeating: 0, count: a.count + 2) + [Int32](repeating: 1, count: b.count + 1))
  }

  /// Pads on the right with the padding token (mask 0). Longer encodings than a fixed length are
  /// left as they are: truncation is `encode`'s job, and padding never drops tokens.
  public func pad(_ encodings: inout [Encoding], _ strategy: PaddingStrategy) {
    let target: Int
    switch strategy {
    case .none: return
    case .longest: target = encodings.map(\.count).max() ?? 0
    case .fixed(let n): target = n
    }
    for i in encodings.indices where encodings[i].count < target {
      let extra = target - encodings[i].count
      encodings[i].ids += [Int32](repeating: paddingTokenID, count: extra)
      encodings[i].typeIDs += [Int32](repeating: paddingTypeID, count: extra)
      encodings[i].attentionMask += [Int32](repeating: 0, count: extra)
    }
  }

  // MARK: Internals

  private enum Chunk {
    case text(Substring)
    case added(Int32)
  }

  /// Splits out added tokens, leftmost-longest, as `tokenizers` does before normalising.
  private func splitOnAddedTokens(_ text: String) -> [Chunk] {
    guard !addedTokens.isEmpty, text.unicodeScalars.contains(where: addedTokenStarts.contains) else {
      return [.text(Substring(text))]
    }
    var chunks: [Chunk] = []
    let scalars = text.unicodeScalars
    var chunkStart = scalars.startIndex
    var index = scalars.startIndex
    while index < scalars.endIndex {
      if addedTokenStarts.contains(scalars[index]),
        let (token, end) = match(at: index, in: scalars)
      {
        if chunkStart < index { chunks.append(.text(Substring(scalars[chunkStart..<index]))) }
        chunks.append(.added(token.id))
        index = end
        chunkStart = end
      } else {
        index = scalars.index(after: index)
      }
    }
    if chunkStart < scalars.endIndex { chunks.append(.text(Substring(scalars[chunkStart..<scalars.endIndex]))) }
    return chunks
  }

  private func match(at index: String.UnicodeScalarView.Index, in scalars: String.UnicodeScalarView)
    -> (AddedToken, String.UnicodeScalarView.Index)?
  {
    for token in addedTokens {
      var i = index
      var matched = true
      for scalar in token.content.unicodeScalars {
        guard i < scalars.endIndex, scalars[i] == scalar else {
          matched = false
          break
        }
        i = scalars.index(after: i)
      }
      guard matched else { continue }
      if token.singleWord {
        let before = index > scalars.startIndex ? scalars[scalars.index(before: index)] : nil
        let after = i < scalars.endIndex ? scalars[i] : nil
        if let before, Self.isWordCharacter(before) { continue }
        if let after, Self.isWordCharacter(after) { continue }
      }
      return (token, i)
    }
    return nil
  }

  private static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
  }

  /// Greedy longest-match-first WordPiece; a word with any unmatched part becomes one [UNK].
  private func appendWordPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
    guard word.count <= maxInputCharactersPerWord else {
      ids.append(unknownTokenID)
      return
    }
    let firstNew = ids.count
    var start = word.startIndex
    while start < word.endIndex {
      var end = word.endIndex
      var found: Int32? = nil
      while start < end {
        var piece = start == word.startIndex ? "" : continuingSubwordPrefix
        piece.unicodeScalars.append(contentsOf: word[start..<end])
        if let id = vocabulary[piece] {
          found = id
          break
        }
        end -= 1
      }
      guard let id = found else {
        ids.removeSubrange(firstNew...)
        ids.append(unknownTokenID)
        return
      }
      ids.append(id)
      start = end
    }
  }
}
