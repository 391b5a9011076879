import Foundation
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardLM

/// The reference ids come from Hugging Face `tokenizers` (scripts/tokenizer_reference.py) on
/// SmolLM2's vocabulary cut to 4,000 merges, under seven variants of its `tokenizer.json`.
@Suite struct BPETokenizerReferenceTests {
  static let base: JSONObject = {
    let path = SharedData.fixture("tokenizer/smollm2-4k-tokenizer.json")
    let bytes = Array(FileManager.default.contents(atPath: path) ?? Data())
    return (try? JSONParser.parse(bytes: bytes).objectValue) ?? JSONObject()
  }()

  static let cases: JSONObject = {
    let bytes = Array(FileManager.default.contents(atPath: SharedData.fixture("tokenizer/bpe-cases.json")) ?? Data())
    return (try? JSONParser.parse(bytes: bytes).objectValue) ?? JSONObject()
  }()

  static var texts: [String] { (cases["texts"]?.arrayValue ?? []).compactMap(\.stringValue) }
  static var variantNames: [String] {
    (cases["variants"]?.arrayValue ?? []).compactMap { $0.objectValue?["name"]?.stringValue }
  }

  static func ids(_ value: JSONValue?) -> [TokenID]? {
    value?.arrayValue?.map { TokenID(truncatingIfNeeded: Int($0.doubleValue ?? -1)) }
  }

  /// The base file with a variant's overrides, as the script made it.
  static func tokenizerJSON(_ variant: JSONObject) -> JSONValue {
    var root = base
    let overrides = variant["overrides"]?.objectValue ?? JSONObject()
    for (key, value) in overrides["top"]?.objectValue?.entries ?? [] { root[key] = value }
    var model = root["model"]?.objectValue ?? JSONObject()
    for (key, value) in overrides["model"]?.objectValue?.entries ?? [] {
      if key == "merges", value == .string("as strings") {
        model["merges"] = .array(
          (model["merges"]?.arrayValue ?? []).map { pair in
            .string((pair.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " "))
          })
      } else {
        model[key] = value
      }
    }
    root["model"] = .object(model)
    return .object(root)
  }

  @Test func fixturesAreThere() {
    #expect(Self.texts.count > 70)
    #expect(Self.variantNames.count == 7)
  }

  @Test(arguments: variantNames)
  func idsMatchHuggingFaceTokenizers(variantName: String) throws {
    let variant = try #require(
      Self.cases["variants"]?.arrayValue?.compactMap(\.objectValue).first { $0["name"]?.stringValue == variantName })
    let tokenizer = try BPETokenizer(tokenizerJSON: Self.tokenizerJSON(variant))
    let expected = variant["ids"]?.arrayValue ?? []
    let withSpecial = variant["ids_with_special_tokens"]?.arrayValue ?? []
    let decoded = variant["decoded"]?.arrayValue ?? []
    var mismatches = 0
    for (i, text) in Self.texts.enumerated() {
      let want = try #require(Self.ids(expected[i]))
      let got = try tokenizer.encode(text, addSpecialTokens: false)
      if got != want {
        mismatches += 1
        Issue.record(
          "\(variantName) text \(i) \(text.prefix(60).debugDescription): \(got.prefix(40)) vs \(want.prefix(40))")
      }
      let wantSpecial = Self.ids(withSpecial[i]) ?? want
      #expect(try tokenizer.encode(text, addSpecialTokens: true) == wantSpecial, "\(variantName) text \(i)")
      // Decoding is lossless except where the file itself changes the text (prefix space, NFC,
      // stripped spaces around added tokens): then it matches what `tokenizers` decodes.
      let wantText = decoded[i].stringValue ?? text
      // Bytes without a token are left out by both, so they are missing from the decoded text.
      if tokenizer.unrepresentableBytes(in: text).isEmpty {
        #expect(tokenizer.decode(got) == wantText, "\(variantName) decode of text \(i)")
      }
      if mismatches > 5 { break }
    }
  }

  @Test func specialTemplateAndIDs() throws {
    let variant = try #require(
      Self.cases["variants"]?.arrayValue?.compactMap(\.objectValue).first {
        $0["name"]?.stringValue == "llama3-split-bos"
      })
    let tokenizer = try BPETokenizer(tokenizerJSON: Self.tokenizerJSON(variant))
    #expect(tokenizer.template == SpecialTokenTemplate(prefix: [1]))
    #expect(tokenizer.bosTokenID == 1)
    #expect(tokenizer.tokenID("<|im_end|>") == 2)
    #expect(tokenizer.token(2) == "<|im_end|>")
    #expect(tokenizer.vocabularySize == (Self.base["model"]?.objectValue?["vocab"]?.objectValue?.entries.count ?? 0))
    #expect(try tokenizer.encode("", addSpecialTokens: true) == [1])
  }
}

/// The full SmolLM2 vocabulary from the GGUF (skipped when the file is not in the cache).
@Suite struct SmolLM2GGUFTokenizerTests {
  @Test(.enabled(if: SmolLM2File.isPresent, Comment(rawValue: SmolLM2File.skipReason)))
  func ggufVocabularyMatchesReference() throws {
    let bytes = Array(FileManager.default.contents(atPath: SharedData.fixture("tokenizer/smollm2-gguf-ids.json"))!)
    let reference = try #require(try JSONParser.parse(bytes: bytes).objectValue)
    let texts = (reference["texts"]?.arrayValue ?? []).compactMap(\.stringValue)
    let expected = reference["ids"]?.arrayValue ?? []
    let tokenizer = try BPETokenizer(ggufFile: SmolLM2File.path)
    #expect(tokenizer.vocabularySize == 49152)
    #expect(tokenizer.bosTokenID == 1)
    #expect(tokenizer.eosTokenID == 2)
    for (i, text) in texts.enumerated() {
      let want = try #require(BPETokenizerReferenceTests.ids(expected[i]))
      let got = try tokenizer.encode(text, addSpecialTokens: false)
      #expect(got == want, "text \(i) \(text.prefix(60).debugDescription)")
      if tokenizer.unrepresentableBytes(in: text).isEmpty { #expect(tokenizer.decode(got) == text) }
    }
    // SmolLM2 has no token for byte 0x04: `tokenizers` leaves it out.
    #expect(tokenizer.unrepresentableBytes(in: "a\u{4}b") == [4])
    #expect(try tokenizer.encode("a\u{4}b", addSpecialTokens: false) == [81, 82])
  }
}

extension SmolLM2GGUFTokenizerTests {
  /// A conversation through the GGUF's own chat template and tokenizer, as `apply_chat_template`.
  @Test(.enabled(if: SmolLM2File.isPresent, Comment(rawValue: SmolLM2File.skipReason)))
  func chatTemplateThenTokenizerMatchesTransformers() throws {
    let bytes = Array(FileManager.default.contents(atPath: SharedData.fixture("tokenizer/smollm2-gguf-ids.json"))!)
    let chats = try #require(try JSONParser.parse(bytes: bytes).objectValue?["chats"]?.arrayValue)
    #expect(chats.count == 2)
    let gguf = try GGUFFile(path: SmolLM2File.path)
    let tokenizer = try BPETokenizer(gguf: gguf)
    let template = try ChatTemplate(gguf: gguf)
    for chat in chats.compactMap(\.objectValue) {
      let messages = try (chat["messages"]?.arrayValue ?? []).map { value in
        let object = try #require(value.objectValue)
        let role = try #require(Role(rawValue: object["role"]?.stringValue ?? ""))
        return Message(role: role, content: object["content"]?.stringValue ?? "")
      }
      let prompt = try template.render(messages, addGenerationPrompt: true)
      #expect(prompt == chat["prompt"]?.stringValue)
      #expect(try tokenizer.encode(prompt, addSpecialTokens: false) == BPETokenizerReferenceTests.ids(chat["ids"]))
    }
  }
}

/// Bad files and unsupported components are errors naming the field.
@Suite struct BPETokenizerErrorTests {
  static func load(_ edit: (inout JSONObject) -> Void) -> String {
    var root = BPETokenizerReferenceTests.base
    edit(&root)
    do {
      _ = try BPETokenizer(tokenizerJSON: .object(root))
      return "no error"
    } catch {
      return error.description
    }
  }

  static func setModel(_ root: inout JSONObject, _ key: String, _ value: JSONValue) {
    var model = root["model"]?.objectValue ?? JSONObject()
    model[key] = value
    root["model"] = .object(model)
  }

  @Test func unsupportedComponentsAreNamed() {
    #expect(
      Self.load { $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁"] }
        == "<tokenizer>: 'pre_tokenizer.type': unsupported pre-tokenizer 'Metaspace' (supported: ByteLevel, Split, Digits, Sequence)"
    )
    #expect(
      Self.load { $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Lowercase"]]] }
        == "<tokenizer>: 'normalizer.normalizers[1].type': unsupported normalizer 'Lowercase' (supported: NFC, Sequence, null)"
    )
    #expect(
      Self.load {
        $0["pre_tokenizer"] = [
          "type": "Sequence",
          "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": "\\s+"], "behavior": "Isolated", "invert": false],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false],
          ],
        ]
      }.contains("'pre_tokenizer.pretokenizers[0].pattern.Regex': unsupported split regex '\\s+'"))
    #expect(
      Self.load { $0["pre_tokenizer"] = ["type": "Digits", "individual_digits": true] }
        .contains("a byte-level BPE pre-tokenizer must end with one ByteLevel step"))
    #expect(
      Self.load { $0["post_processor"] = ["type": "RobertaProcessing"] }
        == "<tokenizer>: 'post_processor.type': unsupported post-processor 'RobertaProcessing' (supported: TemplateProcessing, ByteLevel, Sequence)"
    )
    #expect(
      Self.load { $0["decoder"] = ["type": "WordPiece"] }
        == "<tokenizer>: 'decoder.type': unsupported decoder 'WordPiece' (supported: ByteLevel)")
    #expect(
      Self.load { Self.setModel(&$0, "type", "Unigram") }
        == "<tokenizer>: 'model.type': unsupported tokenizer model 'Unigram' (supported: BPE)")
    #expect(Self.load { Self.setModel(&$0, "dropout", 0.1) }.contains("'model.dropout': BPE dropout 0.1 is random"))
  }

  @Test func malformedVocabularyAndMergesAreNamed() {
    #expect(
      Self.load { Self.setModel(&$0, "merges", ["Ġ t", "Ġ"]) }
        == "<tokenizer>: 'model.merges[1]': expected two tokens separated by one space, found 'Ġ'")
    #expect(
      Self.load { Self.setModel(&$0, "merges", [["Ġ", "t"], ["⟨none⟩", "q"]]) }
        == "<tokenizer>: 'model.merges[1]': merge '⟨none⟩ q' names a token that is not in the vocabulary")
    #expect(
      Self.load { Self.setModel(&$0, "merges", [["Ġ", "t"], 7]) }
        == "<tokenizer>: 'model.merges[1]': expected a string \"a b\" or a pair [\"a\", \"b\"], found number")
    #expect(
      Self.load { Self.setModel(&$0, "vocab", ["a": 0, "b": "one"]) }
        == "<tokenizer>: 'model.vocab.b': expected a non-negative integer id, found string")
    #expect(
      Self.load { Self.setModel(&$0, "merges", [["Ġ", "t"], ["Ċ", "z"]]) }
        == "<tokenizer>: 'model.merges[1]': merge 'Ċ z' makes 'Ċz', which is not in the vocabulary")
    #expect(
      Self.load { Self.setModel(&$0, "unk_token", "<nope>") }
        == "<tokenizer>: 'model.unk_token': '<nope>' is not a token of the vocabulary")
    #expect(
      Self.load { $0["added_tokens"] = [["content": "<x>"]] }
        == "<tokenizer>: 'added_tokens[0]': expected an object with 'content' and a non-negative 'id'")
  }

  @Test func fileErrorsNameTheFile() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("tokenizer.json").path
    try Data("{\"model\": {\"type\": \"BPE\",\n \"vocab\": [}".utf8).write(to: URL(fileURLWithPath: path))
    #expect(throws: TokenizerError.self) { try BPETokenizer(contentsOf: path) }
    do {
      _ = try BPETokenizer(contentsOf: path)
    } catch {
      #expect(error.description.hasPrefix("\(path): not valid JSON (line 2"))
    }
    do {
      _ = try BPETokenizer(contentsOf: directory.appendingPathComponent("missing.json").path)
    } catch {
      #expect(error.description.hasSuffix("missing.json: tokenizer file not found"))
    }
  }
}

/// The hand-written scanners against the split behaviour that matters most, spelled out.
@Suite struct SplitPatternTests {
  static func pieces(_ pattern: SplitPattern, _ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    var start = 0
    return pattern.pieceEnds(scalars).map { end in
      defer { start = end }
      var piece = String.UnicodeScalarView()
      piece.append(contentsOf: scalars[start..<end])
      return String(piece)
    }
  }

  @Test func gpt2() {
    #expect(
      Self.pieces(.gpt2, "Hello  world's 123!!\n\n x") == ["Hello", " ", " world", "'s", " 123", "!!", "\n\n", " x"])
    #expect(Self.pieces(.gpt2, "I'M ok  ") == ["I", "'", "M", " ok", "  "])
  }

  @Test func llama3() {
    #expect(
      Self.pieces(.llama3, "I'M 12345 ok!\n\n  x\t.y") == [
        "I", "'M", " ", "123", "45", " ok", "!\n\n", " ", " x", "\t", ".y",
      ]
    )
    #expect(Self.pieces(.llama3, "a \n \n  b") == ["a", " \n \n", " ", " b"])
  }

  @Test func qwen2() {
    #expect(Self.pieces(.qwen2, "x 2024") == ["x", " ", "2", "0", "2", "4"])
  }

  @Test func knownRegexesAreRecognised() {
    for pattern in SplitPattern.allCases { #expect(SplitPattern(regex: pattern.regex) == pattern) }
    #expect(SplitPattern(regex: "\\p{L}+") == nil)
  }
}

/// A byte-level vocabulary written as GGUF metadata: the tokenizer llama.cpp would build, and the
/// errors for metadata it cannot honour.
@Suite struct GGUFTokenizerMetadataTests {
  static let byteTokens = (0..<256).map { String(ByteLevel.characters[$0]) }
  // 256 bytes, three merges, a control token (3) and a user-defined one (4).
  static let tokens = byteTokens + ["Ġt", "he", "Ġthe", "<|im_start|>", "<think>"]
  static let types = [Int32](repeating: 1, count: 259) + [3, 4]

  static func metadata(_ edit: (inout [(String, GGUFBuilder.Value)]) -> Void = { _ in }) -> [(
    String, GGUFBuilder.Value
  )] {
    var metadata: [(String, GGUFBuilder.Value)] = [
      ("general.architecture", .string("llama")),
      ("tokenizer.ggml.model", .string("gpt2")),
      ("tokenizer.ggml.pre", .string("smollm")),
      ("tokenizer.ggml.tokens", .strings(tokens)),
      ("tokenizer.ggml.token_type", .i32s(types)),
      ("tokenizer.ggml.merges", .strings(["Ġ t", "h e", "Ġt he"])),
      ("tokenizer.ggml.bos_token_id", .u32(259)),
      ("tokenizer.ggml.add_bos_token", .bool(true)),
    ]
    edit(&metadata)
    return metadata
  }

  static func tokenizer(_ metadata: [(String, GGUFBuilder.Value)]) throws -> BPETokenizer {
    try BPETokenizer(gguf: try openGGUF(GGUFBuilder.file(metadata: metadata, tensors: [])))
  }

  static func error(_ edit: (inout [(String, GGUFBuilder.Value)]) -> Void) -> TokenizerError? {
    do {
      _ = try tokenizer(metadata(edit))
      return nil
    } catch {
      return error as? TokenizerError
    }
  }

  static func replace(_ key: String, _ value: GGUFBuilder.Value?) -> (inout [(String, GGUFBuilder.Value)]) -> Void {
    { metadata in
      metadata.removeAll { $0.0 == key }
      if let value { metadata.append((key, value)) }
    }
  }

  @Test func buildsTheTokenizerLlamaCppDescribes() throws {
    let tokenizer = try Self.tokenizer(Self.metadata())
    #expect(tokenizer.vocabularySize == 261)
    #expect(tokenizer.bosTokenID == 259)
    #expect(tokenizer.template == SpecialTokenTemplate(prefix: [259]))
    // " the" merges whole; control and user-defined tokens are matched in the text; digits split.
    #expect(
      try tokenizer.encode(" the<think>x<|im_start|>12", addSpecialTokens: true) == [259, 258, 260, 120, 259, 49, 50])
    #expect(tokenizer.addedTokens.map(\.special) == [true, false])
    #expect(tokenizer.decode([258, 260, 120]) == " the<think>x")
  }

  @Test func metadataItCannotHonourIsAnErrorNamingTheKey() {
    #expect(
      Self.error(Self.replace("tokenizer.ggml.model", .string("llama")))?.message
        == "unsupported tokenizer model 'llama' (supported: gpt2, the byte-level BPE)")
    let pre = Self.error(Self.replace("tokenizer.ggml.pre", .string("tekken")))
    #expect(pre?.field == "tokenizer.ggml.pre")
    #expect(pre?.message.hasPrefix("unsupported pre-tokenizer 'tekken'") == true)
    #expect(
      Self.error(Self.replace("tokenizer.ggml.pre", nil))?.message
        == "missing: the file does not say how to split text")
    #expect(
      Self.error(Self.replace("tokenizer.ggml.token_type", .i32s([1, 1])))?.message
        == "2 types for 261 tokens (expected one per token)")
    let merge = Self.error(Self.replace("tokenizer.ggml.merges", .strings(["Ġ t", "he"])))
    #expect(merge?.field == "tokenizer.ggml.merges[1]")
    #expect(merge?.message == "expected two tokens separated by one space, found 'he'")
    let unknown = Self.error(Self.replace("tokenizer.ggml.merges", .strings(["Ġ q"])))
    #expect(unknown?.field == "tokenizer.ggml.merges[0]")
    #expect(unknown?.message == "merge 'Ġ q' makes 'Ġq', which is not in the vocabulary")
    #expect(
      Self.error(Self.replace("tokenizer.ggml.bos_token_id", .u32(9999)))?.message
        == "id 9999 is outside the vocabulary (261 tokens)")
    #expect(Self.error(Self.replace("tokenizer.ggml.tokens", .string("x")))?.field == "tokenizer.ggml.tokens")
  }
}
