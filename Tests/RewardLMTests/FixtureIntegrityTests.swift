import Foundation
import RewardCore
import RewardData
import RewardTestSupport
import Testing

/// The PyTorch reference fixtures (`scripts/lm_reference.py`, layout in `Fixtures/README.md`) parse
/// with RewardCore's JSON parser and hold the documented keys and shapes, so a broken or
/// regenerated-differently fixture fails here, by name, before the runtime tests that read it.
@Suite struct FixtureIntegrityTests {
  @Test func tokenizerCasesHoldIdsForEveryText() throws {
    let file = try FixtureJSON("smollm2/tokenizer_cases.json")
    let cases = try file.array("cases", in: file.root)
    #expect(cases.count >= 200)
    for (index, value) in cases.enumerated() {
      let entry = try file.object(value, at: "cases[\(index)]")
      let text = try file.string("text", in: entry)
      let ids = try file.integers("ids", in: entry)
      _ = try file.integers("ids_with_special", in: entry)
      #expect(try file.array("tokens", in: entry).count == ids.count, "\(file.name): cases[\(index)] tokens vs ids")
      if entry["round_trip"] == .bool(true) {
        #expect(try file.string("decoded", in: entry) == text, "\(file.name): cases[\(index)] round trip")
      }
      _ = try file.string("decoded_skip_special", in: entry)
    }
  }

  @Test func tokenizerRulesAndGGUFMetadataNameWhatTheTokenizerNeeds() throws {
    let rules = try FixtureJSON("smollm2/tokenizer_rules.json")
    let model = try rules.object("model", in: rules.root)
    #expect(try rules.string("type", in: model) == "BPE")
    _ = try rules.object("pre_tokenizer", in: rules.root)
    _ = try rules.object("decoder", in: rules.root)
    #expect(try rules.array("added_tokens", in: rules.root).count > 0)
    _ = try rules.object("special_token_ids", in: rules.root)

    let gguf = try FixtureJSON("smollm2/gguf_metadata.json")
    let metadata = try gguf.object("metadata", in: gguf.root)
    for key in ["tokenizer.ggml.pre", "tokenizer.ggml.model", "tokenizer.chat_template"] {
      _ = try gguf.string(key, in: metadata)
    }
    for key in ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id"] {
      _ = try gguf.number(key, in: metadata)
    }
  }

  @Test func hfTokenizerJSONHoldsTheGGUFVocabularyAndMerges() throws {
    let input = try InputFile.read(SharedData.fixture("smollm2/hf_tokenizer/tokenizer.json.gz"))
    guard let tokenizer = try JSONParser.parse(bytes: input.bytes).objectValue,
      let model = tokenizer["model"]?.objectValue, let vocabulary = model["vocab"]?.objectValue
    else {
      Issue.record("smollm2/hf_tokenizer/tokenizer.json.gz: no model.vocab object")
      return
    }
    #expect(model["type"]?.stringValue == "BPE")
    #expect(vocabulary.keys.count == 49152)
    #expect(model["merges"]?.arrayValue?.count == 48900)
    // The same ids as the GGUF's tokenizer reports (tokenizer_rules.json samples the first 300).
    let rules = try FixtureJSON("smollm2/tokenizer_rules.json")
    let sample = try rules.object("vocab_sample", in: rules.root)
    for token in sample.keys {
      #expect(vocabulary[token] == sample[token], "token \(token) has another id in tokenizer.json")
    }
  }

  @Test func smolLM2ToleranceVariantsAreSmallButMeasured() throws {
    let file = try FixtureJSON("smollm2/forward_tolerance.json")
    let variants = try file.object("variants", in: file.root)
    for name in ["right_padded_batch_float32", "eager_attention_float32", "float64"] {
      let variant = try file.object(name, in: variants)
      let drift = try file.number("logprobs", in: variant)
      #expect(drift > 0 && drift < 1e-3, "\(file.name): \(name) log-prob drift \(drift)")
    }
  }

  @Test func smolLM2ForwardHasOneVectorPerLayerAndOneLogProbPerNextToken() throws {
    let file = try FixtureJSON("smollm2/forward.json")
    let layers = Int(try file.number("num_hidden_layers", in: file.root))
    let hidden = Int(try file.number("hidden_size", in: file.root))
    let texts = try file.array("texts", in: file.root)
    #expect(texts.count >= 8)
    for (index, value) in texts.enumerated() {
      let entry = try file.object(value, at: "texts[\(index)]")
      let ids = try file.integers("ids", in: entry)
      #expect(try file.numbers("final_last", in: entry).count == hidden)
      #expect(try file.numbers("final_mean", in: entry).count == hidden)
      let perLayer = try file.array("layers_last_first8", in: entry)
      #expect(perLayer.count == layers + 1, "\(file.name): texts[\(index)] layers_last_first8")
      #expect(try file.numbers("logprobs", in: entry).count == ids.count - 1)
    }
    let tensors = try FixtureJSON("smollm2/tensor_types.json")
    for (index, value) in try tensors.array("tensors", in: tensors.root).enumerated() {
      let entry = try tensors.object(value, at: "tensors[\(index)]")
      for key in ["name", "type", "hf_name"] { _ = try tensors.string(key, in: entry) }
      _ = try tensors.integers("gguf_shape", in: entry)
    }
  }

  @Test func chatTemplateCasesEachHaveATemplateFileAndOneOutcome() throws {
    let file = try FixtureJSON("chat_templates/cases.json")
    let templates = try file.object("templates", in: file.root)
    for name in templates.keys {
      let path = SharedData.fixture("chat_templates/templates/\(name).jinja")
      #expect(FileManager.default.fileExists(atPath: path), "\(file.name): template \(name) has no .jinja file")
    }
    let cases = try file.array("cases", in: file.root)
    #expect(cases.count >= 150)
    for (index, value) in cases.enumerated() {
      let entry = try file.object(value, at: "cases[\(index)]")
      #expect(templates[try file.string("template", in: entry)] != nil, "\(file.name): cases[\(index)] template")
      _ = try file.array("messages", in: entry)
      let rendered = entry["expected"]?.stringValue
      let error = entry["error"]?.stringValue
      #expect((rendered == nil) != (error == nil), "\(file.name): cases[\(index)] needs exactly one of expected/error")
    }
  }

  @Test(arguments: ["llama", "llama3-rope", "qwen2", "qwen3", "mistral"])
  func tinyModelHasWeightsAndConsistentShapes(model: String) throws {
    for part in ["config.json", "model.safetensors", "seqcls/config.json", "seqcls/model.safetensors"] {
      let path = SharedData.fixture("tiny/\(model)/\(part)")
      #expect(FileManager.default.fileExists(atPath: path), "tiny/\(model)/\(part) is missing")
    }
    let file = try FixtureJSON("tiny/\(model)/expected.json")
    let layers = Int(try file.number("num_hidden_layers", in: file.root))
    let labels = Int(try file.number("num_labels", in: file.root))
    let sequences = try file.array("sequences", in: file.root)
    let results = try file.array("per_sequence", in: file.root)
    #expect(results.count == sequences.count)
    for (index, value) in results.enumerated() {
      let entry = try file.object(value, at: "per_sequence[\(index)]")
      let length = sequences[index].arrayValue?.count ?? 0
      let hidden = try file.array("hidden_states", in: entry)
      #expect(hidden.count == layers + 1, "\(file.name): per_sequence[\(index)] hidden_states")
      #expect(hidden.allSatisfy { $0.arrayValue?.count == length })
      #expect(try file.array("logits", in: entry).count == length)
      #expect(try file.numbers("logprobs", in: entry).count == length - 1)
      #expect(try file.numbers("seqcls_logits", in: entry).count == labels)
    }
    let sides = try file.array("batches", in: file.root).compactMap { $0.objectValue?["padding_side"]?.stringValue }
    #expect(sides == ["right", "left"])
    _ = try file.number("suggested_abs", in: try file.object("tolerance", in: file.root))
  }

  @Test func quantBlocksHaveTheByteAndValueCountsOfTheirType() throws {
    let file = try FixtureJSON("gguf/quant_blocks.json")
    let types = try file.object("types", in: file.root)
    for required in ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q4_K", "Q6_K"] {
      #expect(types[required] != nil, "\(file.name): no \(required) blocks")
    }
    for name in types.keys {
      let type = try file.object(name, in: types)
      let blockSize = Int(try file.number("block_size", in: type))
      let typeSize = Int(try file.number("type_size", in: type))
      for (index, value) in try file.array("blocks", in: type).enumerated() {
        let block = try file.object(value, at: "\(name).blocks[\(index)]")
        let count = Int(try file.number("n_blocks", in: block))
        let hex = try file.string("hex", in: block)
        #expect(hex.count == 2 * typeSize * count, "\(file.name): \(name).blocks[\(index)] hex length")
        let values = try file.numbers("dequantized", in: block)
        #expect(values.count == blockSize * count, "\(file.name): \(name).blocks[\(index)] value count")
        let allFinite = values.allSatisfy { $0.isFinite }
        #expect(allFinite, "\(file.name): \(name).blocks[\(index)] has a non-finite value")
      }
    }
    let gguf = try Data(contentsOf: URL(fileURLWithPath: SharedData.fixture("gguf/tiny-llama-q8_0.gguf")))
    #expect(gguf.prefix(4) == Data("GGUF".utf8))
    let expected = try FixtureJSON("gguf/tiny-llama-q8_0.expected.json")
    #expect(try expected.array("per_sequence", in: expected.root).count == 3)
  }

  @Test func dpoPairsFollowRewardBenchAndAgreeWithTheirTokenLogProbs() throws {
    let file = try FixtureJSON("dpo/pairs.json")
    let pairs = try file.array("pairs", in: file.root)
    #expect(pairs.count >= 15)
    for (index, value) in pairs.enumerated() {
      let pair = try file.object(value, at: "pairs[\(index)]")
      for key in ["chosen", "rejected", "rb_prompt_text", "plain_prompt_text"] { _ = try file.string(key, in: pair) }
      for side in ["chosen", "rejected"] {
        let ids = try file.integers("rb_\(side)_input_ids", in: pair)
        let promptLength = Int(try file.number("rb_\(side)_prompt_length", in: pair))
        let tokenLogProbs = try file.numbers("rb_\(side)_token_logprobs", in: pair)
        #expect(tokenLogProbs.count == ids.count - promptLength, "\(file.name): pairs[\(index)] \(side) tokens")
        let sum = try file.number("rb_\(side)_sum", in: pair)
        #expect(abs(tokenLogProbs.reduce(0, +) - sum) < 1e-3 * max(1, abs(sum)))
        #expect(try file.number("rb_\(side)_ref_equal", in: pair) == 0)
      }
    }
    let summary = try file.object("summary", in: file.root)
    #expect(try file.number("accuracy_rb_ref_equal", in: summary) == 0)
    _ = try file.number("accuracy_rb_ref_free_avg", in: summary)
  }
}

/// One fixture JSON file, with lookups that fail naming the file and the key.
private struct FixtureJSON {
  let name: String
  let root: JSONObject

  init(_ relative: String) throws {
    name = relative
    let path = SharedData.fixture(relative)
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigurationError("\(relative): fixture file missing (run scripts/lm_reference.py)")
    }
    guard let object = try JSONParser.parse(bytes: [UInt8](data)).objectValue else {
      throw ConfigurationError("\(relative): the top level is not a JSON object")
    }
    root = object
    let generator = try self.object("generator", in: object)
    _ = try string("transformers", in: generator)
  }

  func value(_ key: String, in object: JSONObject) throws -> JSONValue {
    guard let value = object[key] else { throw ConfigurationError("\(name): missing key \"\(key)\"") }
    return value
  }

  func object(_ key: String, in object: JSONObject) throws -> JSONObject {
    try self.object(try value(key, in: object), at: key)
  }

  func object(_ value: JSONValue, at place: String) throws -> JSONObject {
    guard let object = value.objectValue else {
      throw ConfigurationError("\(name): \(place) should be an object, found \(value.typeName)")
    }
    return object
  }

  func array(_ key: String, in object: JSONObject) throws -> [JSONValue] {
    let found = try value(key, in: object)
    guard let array = found.arrayValue else {
      throw ConfigurationError("\(name): \"\(key)\" should be an array, found \(found.typeName)")
    }
    return array
  }

  func string(_ key: String, in object: JSONObject) throws -> String {
    let found = try value(key, in: object)
    guard let string = found.stringValue else {
      throw ConfigurationError("\(name): \"\(key)\" should be a string, found \(found.typeName)")
    }
    return string
  }

  func number(_ key: String, in object: JSONObject) throws -> Double {
    let found = try value(key, in: object)
    guard let number = found.doubleValue else {
      throw ConfigurationError("\(name): \"\(key)\" should be a number, found \(found.typeName)")
    }
    return number
  }

  func numbers(_ key: String, in object: JSONObject) throws -> [Double] {
    try array(key, in: object).map { element in
      guard let number = element.doubleValue else {
        throw ConfigurationError("\(name): \"\(key)\" should hold numbers, found \(element.typeName)")
      }
      return number
    }
  }

  func integers(_ key: String, in object: JSONObject) throws -> [Int64] {
    try array(key, in: object).map { element in
      guard case .int(let integer) = element else {
        throw ConfigurationError("\(name): \"\(key)\" should hold integers, found \(element.typeName)")
      }
      return integer
    }
  }
}
