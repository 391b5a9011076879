import ArgumentParser
import Foundation
import RewardBackbones
import RewardCore
import RewardData
import RewardLM

extension Pooling: ExpressibleByArgument {}

/// `reward embed`: texts in, embeddings out, so other tools can use RewardKit's encoder.
struct EmbedCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Write sentence embeddings (and optionally token ids) of texts as JSON Lines.",
    discussion: """
      Input: one text a line. A line starting with `"` is a JSON string; a line starting with `{` \
      is a JSON object whose `text` field is embedded (its other fields are copied to the output, \
      so ids survive); any other line is the text itself (plain text, without its line break). \
      Blank lines are skipped. A malformed JSON line is an error naming the file and line.

      Output, one line per text in input order: {"text": …, [other fields,] "embedding": […]} \
      and with --tokens also "tokens": [ids] (with [CLS]/[SEP], after truncation). With a decoder \
      LM backbone (smollm2, a .gguf file) only --tokens is offered: {"text", …, "tokens"} with the \
      ids tokenizer(text, add_special_tokens=False) gives, no truncation.

      Pooling, normalisation and maximum length default to the model directory's \
      sentence-transformers settings (for minilm: mean, L2-normalised, 256 tokens). \
      A summary (texts, tokens, texts/s, tokens/s) goes to standard error unless --quiet.
      """)

  @Option(
    help: """
      A known backbone name (minilm, after `reward backbone fetch minilm`) or a BERT model directory; \
      or a decoder LM (smollm2, a .gguf file, a Llama/Qwen directory), for --tokens only.
      """)
  var backbone: String

  @Argument(help: "The text file, optionally .gz (`-` for standard input).")
  var input: String

  @Option(name: .shortAndLong, help: "Output file (`-` for standard output).")
  var output = "-"

  @Option(help: "Pooling: mean, cls or last (default: the model's).")
  var pooling: Pooling?

  @Flag(inversion: .prefixedNo, help: "L2-normalise embeddings (default: the model's).")
  var normalize: Bool?

  @Option(help: "Tokens per text, special tokens included; longer texts keep their head (default: the model's).")
  var maxLength: Int?

  @Option(help: "Texts per forward pass.")
  var batchSize = 32

  @Option(help: "Batches encoded in parallel (default: one per core).")
  var threads: Int?

  @Flag(help: "Also write each text's token ids.")
  var tokens = false

  @Option(help: "Cache root for named backbones (default: $REWARDKIT_CACHE, else ~/.cache/rewardkit).")
  var cache: String?

  @Flag(help: "No progress or summary on standard error.")
  var quiet = false

  func validate() throws {
    if let maxLength, maxLength < 2 || maxLength > 512 {
      throw ValidationError("--max-length must be between 2 and 512")
    }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    if LanguageModelLoader.isLanguageModel(backbone) {
      try writeLanguageModelTokens(terminal)
      return
    }
    let directory = try BackboneStore(cacheDirectory: cache).resolve(backbone)
    var encoder = try SentenceEncoder(
      directory: directory, pooling: pooling, normalize: normalize,
      maxLength: maxLength)
    encoder.batchSize = batchSize
    if let threads { encoder.threadCount = threads }
    let records = try TextRecordReader.read(InputFile.read(input))
    let sink = try OutputSink(output)
    let started = Date()
    let startedCPU = processorSeconds()
    var tokenCount = 0
    // Chunks bound memory and give progress; within a chunk texts are grouped by length.
    let chunkSize = 4096
    for start in stride(from: 0, to: records.count, by: chunkSize) {
      let chunk = records[start..<min(start + chunkSize, records.count)]
      let encodings = chunk.map { encoder.tokenizer.encode($0.text, maxLength: encoder.maxLength) }
      let vectors = encoder.embed(encodings: encodings)
      var text = ""
      for (record, (encoding, vector)) in zip(chunk, zip(encodings, vectors)) {
        tokenCount += encoding.count
        var object = record.fields
        object["embedding"] = nil
        object["tokens"] = nil
        var line = "{\"text\":"
        JSONValue.string(record.text).write(into: &line)
        for (key, value) in object.entries where key != "text" {
          line += ","
          JSONValue.string(key).write(into: &line)
          line += ":"
          value.write(into: &line)
        }
        line += ",\"embedding\":[" + vector.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
        if tokens { line += ",\"tokens\":[" + encoding.ids.map(String.init).joined(separator: ",") + "]" }
        text += line + "}\n"
      }
      try sink.write(text)
      terminal.progress("embed", done: start + chunk.count, total: records.count, started: started)
    }
    try sink.close()
    let seconds = Date().timeIntervalSince(started)
    let cpuSeconds = processorSeconds() - startedCPU
    terminal.note(
      "embedded \(records.count) texts (\(tokenCount) tokens) in \(format(seconds, 2)) s "
        + "(\(format(cpuSeconds, 2)) s of CPU, \(format(Double(records.count) / max(cpuSeconds, 1e-9), 2)) texts per CPU-second): "
        + "\(format(Double(records.count) / max(seconds, 1e-9), 1)) texts/s, "
        + "\(format(Double(tokenCount) / max(seconds, 1e-9), 0)) tokens/s "
        + "[\(directory), \(encoder.pooling.rawValue)\(encoder.normalize ? ", normalised" : ""), max \(encoder.maxLength) tokens]"
    )
  }
}

extension EmbedCommand {
  /// A decoder-LM backbone: each text's token ids as its tokenizer gives them, without special
  /// tokens (`tokenizer(text, add_special_tokens=False)`), the ids a chat-templated prompt is made
  /// of. Only `--tokens` is offered: LM features come from `reward train --backbone`.
  func writeLanguageModelTokens(_ terminal: Terminal) throws {
    guard tokens else {
      throw ValidationError(
        "\(backbone) is a decoder language model: `reward embed` writes its token ids with --tokens; its hidden "
          + "states are features for `reward train --backbone \(backbone)`")
    }
    let tokenizer = try LanguageModelLoader.load(backbone, store: BackboneStore(cacheDirectory: cache)).tokenizer
    let records = try TextRecordReader.read(InputFile.read(input))
    let sink = try OutputSink(output)
    var text = ""
    var count = 0
    for record in records {
      let ids = try tokenizer.encode(record.text, addSpecialTokens: false)
      count += ids.count
      var object = JSONObject([("text", .string(record.text))])
      for (key, value) in record.fields.entries where !["text", "tokens", "embedding"].contains(key) {
        object[key] = value
      }
      object["tokens"] = .array(ids.map { .int(Int64($0)) })
      text += JSONValue.object(object).jsonText + "\n"
      if text.utf8.count > 1 << 20 {
        try sink.write(text)
        text = ""
      }
    }
    try sink.write(text)
    try sink.close()
    terminal.note("tokenised \(records.count) texts: \(count) tokens [\(backbone), no special tokens]")
  }
}

/// User + system CPU time of this process so far: unlike wall time, it does not grow when other
/// processes compete for the cores, so benchmark comparisons on a busy machine stay meaningful.
func processorSeconds() -> Double {
  var usage = rusage()
  #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
  #else
    getrusage(RUSAGE_SELF, &usage)
  #endif
  let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
  return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Standard output or a file written in pieces.
private final class OutputSink {
  private let handle: FileHandle
  private let isFile: Bool

  init(_ path: String) throws {
    if path == "-" {
      handle = FileHandle.standardOutput
      isFile = false
    } else {
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw ConfigurationError("cannot create the output file \(path)")
      }
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      isFile = true
    }
  }

  func write(_ text: String) throws { try handle.write(contentsOf: Data(text.utf8)) }

  func close() throws { if isFile { try handle.close() } }
}
