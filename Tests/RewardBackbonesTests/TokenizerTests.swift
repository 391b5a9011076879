import Foundation
import RewardBackbones
import RewardCore
import RewardTestSupport
import Testing

@Suite struct TokenizerTests {
  /// A small vocabulary that exercises WordPiece splitting and unknown words.
  static func tinyTokenizer(maxCharacters: Int = 100, lowercase: Bool = true) throws -> WordPieceTokenizer {
    let tokens = [
      "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "un", "##believ", "##able", ",", "!", "cafe", "你",
      "好",
    ]
    return try WordPieceTokenizer(
      vocabulary: Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) }),
      normalizer: BertNormalizer(lowercase: lowercase), maxInputCharactersPerWord: maxCharacters)
  }

  @Test(.enabled(if: MiniLM.isFetched, Comment(rawValue: MiniLM.skipReason)))
  func reproducesEveryReferenceIDList() throws {
    let tokenizer = try WordPieceTokenizer(contentsOf: try TestPaths.miniLMDirectory() + "/tokenizer.json")
    let records = try TestPaths.jsonLines(TestPaths.reference.appendingPathComponent("minilm-tokenizer.jsonl"))
    #expect(records.count > 300)
    var mismatches: [String] = []
    for record in records {
      let text = try #require(record["text"]?.stringValue)
      let expected = try #require(record["ids"]?.arrayValue).compactMap { $0.doubleValue.map { Int32($0) } }
      let actual = tokenizer.encode(text).ids
      if actual != expected {
        mismatches.append("\(text.debugDescription.prefix(60)): \(actual.prefix(12)) vs \(expected.prefix(12))")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) texts differ, e.g. \(mismatches.prefix(3))")
  }

  @Test func splitsWordPiecesPunctuationAndChineseCharacters() throws {
    let tokenizer = try Self.tinyTokenizer()
    #expect(tokenizer.wordPieceIDs("Hello,  WORLD!") == [5, 10, 6, 11])
    #expect(tokenizer.wordPieceIDs("unbelievable") == [7, 8, 9])
    #expect(tokenizer.wordPieceIDs("unbelievablex") == [1], "a word with an unmatched tail is one [UNK]")
    #expect(tokenizer.wordPieceIDs("Café") == [12], "accents are stripped when lower-casing")
    #expect(tokenizer.wordPieceIDs("你好") == [13, 14], "CJK ideographs are words of their own")
    #expect(tokenizer.wordPieceIDs("hello\u{200B}\u{0}world") == [1], "control and format characters are removed")
    #expect(tokenizer.wordPieceIDs("[CLS]hello[SEP]") == [2, 5, 3], "special tokens in the raw text are matched")
  }

  @Test func longWordsBecomeUnknown() throws {
    let tokenizer = try Self.tinyTokenizer(maxCharacters: 5)
    #expect(tokenizer.wordPieceIDs("hello") == [5])
    #expect(tokenizer.wordPieceIDs("hello hellohello") == [5, 1])
  }

  @Test func truncatesAndPads() throws {
    let tokenizer = try Self.tinyTokenizer()
    let encoding = tokenizer.encode("hello world hello world", maxLength: 4)
    #expect(encoding.ids == [2, 5, 6, 3])
    let pair = tokenizer.encode("hello world hello", pair: "world", maxLength: 6)
    #expect(pair.ids == [2, 5, 6, 3, 6, 3])
    #expect(pair.typeIDs == [0, 0, 0, 0, 1, 1])
    let batch = tokenizer.encodeBatch(["hello", "hello world !"], padding: .longest)
    #expect(batch[0].ids == [2, 5, 3, 0, 0])
    #expect(batch[0].attentionMask == [1, 1, 1, 0, 0])
    #expect(batch[1].attentionMask == [1, 1, 1, 1, 1])
    let fixed = tokenizer.encodeBatch(["hello"], padding: .fixed(4))
    #expect(fixed[0].count == 4 && fixed[0].tokenCount == 3)
  }

  @Test func respectsTheLowercaseSetting() throws {
    let cased = try Self.tinyTokenizer(lowercase: false)
    #expect(cased.wordPieceIDs("Hello hello") == [1, 5])
  }

  @Test func missingTokenizerFileNamesThePath() throws {
    let directory = try TestPaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("tokenizer.json").path
    #expect {
      try WordPieceTokenizer(contentsOf: path)
    } throws: { error in
      "\(error)".contains(path) && "\(error)".contains("tokenizer.json")
    }
  }

  @Test func unsupportedTokenizerModelNamesTheField() throws {
    let json = try JSONParser.parse(#"{"model": {"type": "BPE", "vocab": {}}}"#)
    #expect {
      try WordPieceTokenizer(json: json, file: "tokenizer.json")
    } throws: { error in
      (error as? BackboneError)?.field == "model.type" && "\(error)".contains("BPE")
    }
  }
}
