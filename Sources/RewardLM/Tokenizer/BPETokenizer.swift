import Foundation

/// A problem with a tokenizer file or its use: the file, the field (JSON path or GGUF key) and what
/// was expected.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var field: String?
  public var message: String

  public init(file: String = "<tokenizer>", field: String? = nil, _ message: String) {
    self.file = file
    self.field = field
    self.message = message
  }

  public var description: String {
    if let field { return "\(file): '\(field)': \(message)" }
    return "\(file): \(message)"
  }

  func inFile(_ file: String) -> TokenizerError { TokenizerError(file: file, field: field, message) }
}

/// The text normalizer before pre-tokenizing; byte-level vocabularies use none or NFC.
public enum TextNormalization: String, Sendable {
  case none
  case nfc
}

/// What `encode(_:addSpecialTokens: true)` puts around the text (the post-processor's `single`
/// template): token ids before and after it.
public struct SpecialTokenTemplate: Sendable, Equatable {
  public var prefix: [TokenID]
  public var suffix: [TokenID]

  public init(prefix: [TokenID] = [], suffix: [TokenID] = []) {
    self.prefix = prefix
    self.suffix = suffix
  }
}

/// Byte-level BPE (GPT-2, SmolLM2, Llama 3, Qwen2/2.5/3 …) with ids identical to Hugging Face
/// `tokenizers`: added tokens split out first, then normalization, the pre-tokenizer, and ranked
/// merges per piece. A byte the vocabulary has no token for becomes the unknown token when the
/// model has one and is otherwise left out, exactly as `tokenizers` does (the model cannot see it
/// either way); `unrepresentableBytes(in:)` tells whether a text has any. Built from `tokenizer.json` (`init(contentsOf:)`), from GGUF metadata
/// (`init(ggufVocabulary:…)`), or from its parts.
public struct BPETokenizer: TextTokenizer {
  public let normalization: TextNormalization
  public let preTokenizer: PreTokenizer
  public let template: SpecialTokenTemplate
  public let addedTokens: [BPEAddedToken]
  public let bosTokenID: TokenID?
  public let eosTokenID: TokenID?
  public let padTokenID: TokenID?
  public let vocabularySize: Int
  private let model: BPEModel
  /// Each id's spelling (byte-level for vocabulary tokens, plain text for added ones).
  private let spellings: [String?]
  private let addedTokenIDs: Set<TokenID>
  private let rawMatcher: AddedTokenMatcher
  private let normalizedMatcher: AddedTokenMatcher

  /// - Parameters:
  ///   - vocabulary: byte-level spelling → id (`Ġthe` → 279).
  ///   - merges: in rank order, best first.
  public init(
    vocabulary: [String: TokenID], merges: [(String, String)], addedTokens: [BPEAddedToken] = [],
    preTokenizer: PreTokenizer = .gpt2, normalization: TextNormalization = .none,
    template: SpecialTokenTemplate = SpecialTokenTemplate(), bosTokenID: TokenID? = nil, eosTokenID: TokenID? = nil,
    padTokenID: TokenID? = nil, ignoreMerges: Bool = false, byteFallback: Bool = false,
    unknownTokenID: TokenID? = nil, fuseUnknown: Bool = false
  ) throws(TokenizerError) {
    model = try BPEModel(
      vocabulary: vocabulary, merges: merges, ignoreMerges: ignoreMerges, byteFallback: byteFallback,
      unknownTokenID: unknownTokenID, fuseUnknown: fuseUnknown)
    var size = (vocabulary.values.max().map { Int($0) + 1 }) ?? 0
    for token in addedTokens { size = max(size, Int(token.id) + 1) }
    // Ids index a table; far beyond any real vocabulary (~260k) is a broken file, not a reason to
    // allocate gigabytes.
    guard size <= Self.maximumVocabularySize else {
      throw TokenizerError(
        field: "model.vocab", "token id \(size - 1) is beyond \(Self.maximumVocabularySize - 1), the largest supported")
    }
    var spellings = [String?](repeating: nil, count: size)
    for (token, id) in vocabulary {
      guard id >= 0 else { throw TokenizerError(field: "model.vocab.\(token)", "negative id \(id)") }
      spellings[Int(id)] = token
    }
    for token in addedTokens {
      guard token.id >= 0 else { throw TokenizerError(field: "added_tokens", "negative id for '\(token.content)'") }
      spellings[Int(token.id)] = token.content
    }
    for (name, id) in [("bos", bosTokenID), ("eos", eosTokenID), ("pad", padTokenID)] {
      if let id, id < 0 || Int(id) >= size {
        throw TokenizerError(field: "\(name)_token_id", "id \(id) is outside the vocabulary (size \(size))")
      }
    }
    self.spellings = spellings
    self.vocabularySize = size
    self.addedTokens = addedTokens
    addedTokenIDs = Set(addedTokens.map(\.id))
    rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized || normalization == .none })
    normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized && normalization != .none })
    self.preTokenizer = preTokenizer
    self.normalization = normalization
    self.template = template
    self.bosTokenID = bosTokenID
    self.eosTokenID = eosTokenID
    self.padTokenID = padTokenID
  }

  /// The largest vocabulary accepted (ids 0 ..< 2^24).
  public static let maximumVocabularySize = 1 << 24

  /// The id of a token spelled as in the vocabulary (`Ġthe`) or an added token's content.
  public func tokenID(_ token: String) -> TokenID? {
    if let added = addedTokens.first(where: { $0.content == token }) { return added.id }
    return model.vocabulary[token]
  }

  /// The spelling of an id, as `convert_ids_to_tokens` gives it.
  public func token(_ id: TokenID) -> String? {
    guard id >= 0, Int(id) < spellings.count else { return nil }
    return spellings[Int(id)]
  }

  // MARK: Encoding

  public func encode(_ text: String, addSpecialTokens: Bool) throws -> [TokenID] {
    var ids: [TokenID] = []
    ids.reserveCapacity(text.utf8.count / 3 + 4)
    if addSpecialTokens { ids.append(contentsOf: template.prefix) }
    for segment in rawMatcher.split(Substring(text)) {
      switch segment {
      case .token(let id): ids.append(id)
      case .text(let raw):
        guard normalization == .nfc else {
          encodeText(raw, into: &ids)
          continue
        }
        let normalized = raw.precomposedStringWithCanonicalMapping
        for inner in normalizedMatcher.split(Substring(normalized)) {
          switch inner {
          case .token(let id): ids.append(id)
          case .text(let piece): encodeText(piece, into: &ids)
          }
        }
      }
    }
    if addSpecialTokens { ids.append(contentsOf: template.suffix) }
    return ids
  }

  private func encodeText(_ text: Substring, into ids: inout [TokenID]) {
    for piece in preTokenizer.pieces(text) { model.encode(piece, into: &ids) }
  }

  /// The bytes of a text that no token represents (dropped by `encode` when there is no unknown
  /// token), for callers that want to refuse such texts rather than score what the model sees.
  public func unrepresentableBytes(in text: String) -> Set<UInt8> {
    Set(text.utf8.filter { model.byteTokens[Int($0)] < 0 })
  }

  // MARK: Decoding

  /// The text of some ids: byte-level spellings back to bytes, then UTF-8 (a sequence cut inside
  /// a character decodes that character as U+FFFD, as `tokenizers` does). Unknown ids are skipped.
  public func decode(_ ids: [TokenID]) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(ids.count * 4)
    for id in ids {
      guard let spelling = token(id) else { continue }
      if addedTokenIDs.contains(id) {
        bytes.append(contentsOf: spelling.utf8)
        continue
      }
      if spelling.utf8.count == 6, spelling.hasPrefix("<0x"), spelling.hasSuffix(">"),
        let byte = UInt8(spelling.dropFirst(3).dropLast(), radix: 16)
      {
        bytes.append(byte)
        continue
      }
      for scalar in spelling.unicodeScalars {
        if let byte = ByteLevel.bytes[scalar] {
          bytes.append(byte)
        } else {
          bytes.append(contentsOf: UTF8.encode(scalar)!)
        }
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
