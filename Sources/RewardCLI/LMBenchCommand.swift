import ArgumentParser
import Foundation
import RewardCore
import RewardLM
import RewardTensor

/// `reward lm-bench`: prefill (one forward pass over whole sequences) speed of the native decoder
/// runtime, for scripts/bench_lm.sh. Hidden: a measuring tool, not a user workflow.
struct LMBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lm-bench",
    abstract: "Measure prefill tokens/s of the native decoder-LM runtime (scripts/bench_lm.sh).",
    shouldDisplay: false)

  @Option(help: "A .gguf file, a model directory or smollm2.")
  var model = "smollm2"

  @Option(help: "A JSON list of token-id lists; each row is cut to the shape's length.")
  var idsFile: String

  @Option(help: "Comma-separated BATCHxLENGTH shapes.")
  var shapes = "8x256,1x512"

  @Option(help: "Timed passes per shape (after one warm-up); the median is reported.")
  var repeats = 3

  @Option(help: "OpenBLAS threads (default: what OpenBLAS chose).")
  var threads: Int?

  func run() throws {
    if let threads { BLAS.threadCount = threads }
    let path = LanguageModelLoader.resolve(model) ?? model
    let decoder = try DecoderModel(path: path)
    let rows = try JSONParser.parse(String(contentsOfFile: idsFile, encoding: .utf8)).arrayValue ?? []
    let ids: [[TokenID]] = rows.map { ($0.arrayValue ?? []).compactMap { $0.doubleValue.map { TokenID($0) } } }
    var results: [(String, JSONValue)] = []
    for shape in shapes.split(separator: ",") {
      let parts = shape.split(separator: "x").compactMap { Int($0) }
      guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
        throw ValidationError("--shapes: '\(shape)' is not BATCHxLENGTH")
      }
      let (batch, length) = (parts[0], parts[1])
      guard ids.count >= batch, ids.prefix(batch).allSatisfy({ $0.count >= length }) else {
        throw ValidationError("--ids-file has fewer than \(batch) rows of \(length) tokens")
      }
      let sequences = ids.prefix(batch).map { Array($0.prefix(length)) }
      _ = try decoder.hiddenStates(sequences)
      var seconds: [Double] = []
      for _ in 0..<max(1, repeats) {
        let start = ContinuousClock.now
        _ = try decoder.hiddenStates(sequences)
        let elapsed = ContinuousClock.now - start
        seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
      }
      let median = seconds.sorted()[seconds.count / 2]
      let flops = Double(batch) * Self.forwardFLOPs(decoder.config, length: length)
      results.append(
        (
          String(shape),
          [
            "tokens_per_second": .double(Double(batch * length) / median), "median_seconds": .double(median),
            "seconds": .array(seconds.map { .double($0) }), "gflop_per_second": .double(flops / median / 1e9),
          ]
        ))
    }
    let report: JSONValue = [
      "model": .string(path), "threads": .int(Int64(BLAS.threadCount)), "shapes": .object(JSONObject(results)),
      "sgemm_gflop_per_second": .double(Self.sgemmRate(decoder.config)),
    ]
    print(report.jsonText)
  }

  /// Multiply-adds ×2 of one forward pass over a sequence of `length` tokens: every projection,
  /// and causal attention's q·kᵀ and scores·v over the keys each query sees (the work any
  /// implementation must do; the LM head is not part of a prefill to hidden states).
  static func forwardFLOPs(_ config: DecoderConfig, length: Int) -> Double {
    let (h, q, kv, i) = (
      Double(config.hiddenSize), Double(config.queryWidth), Double(config.keyValueWidth),
      Double(config.intermediateSize)
    )
    let projections = 2 * h * (q + 2 * kv) + 2 * q * h + 3 * 2 * h * i
    let visibleKeys = Double(length + 1) / 2
    let attention = 2 * 2 * Double(config.headCount * config.headSize) * visibleKeys
    return Double(length) * Double(config.layerCount) * (projections + attention)
  }

  /// What OpenBLAS's sgemm does on this machine with these threads, on the shape of the model's
  /// MLP up projection over 512 tokens (median of 5): the ceiling for a float32 forward pass.
  static func sgemmRate(_ config: DecoderConfig) -> Double {
    let (m, n, k) = (512, config.intermediateSize, config.hiddenSize)
    let a = [Float](repeating: 0.5, count: m * k)
    let b = [Float](repeating: 0.25, count: n * k)
    var c = [Float](repeating: 0, count: m * n)
    var seconds: [Double] = []
    for _ in 0..<6 {
      let start = ContinuousClock.now
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            BLAS.gemm(
              m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: k, transposeB: true,
              c: c.baseAddress!, ldc: n)
          }
        }
      }
      let elapsed = ContinuousClock.now - start
      seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    let median = seconds.dropFirst().sorted()[2]
    return 2 * Double(m * n * k) / median / 1e9
  }
}
