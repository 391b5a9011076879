import ArgumentParser
import Foundation
import RewardCore
import RewardData
import RewardJudge
import RewardSpec

struct ScoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score prompt/response records with a reward model; writes JSON Lines with a `reward` per record.",
    discussion: """
      Input records (JSON Lines, a JSON array or object of lists, or CSV, optionally .gz; `-` reads \
      standard input) have `prompt` (string or messages) or `messages`, and `response` (or \
      `messages` ending with the assistant turn); `reference` (or `answer`, `ground_truth`, \
      `label`) for verifiable rewards and `group` for group normalisation. Each output line is the \
      input record, unchanged, with `reward` added (and `components` when the model has them), in \
      input order.

      JSON Lines are streamed: read, scored and written in batches with bounded memory, stopping \
      at the first bad line unless --skip-invalid. With a spec that normalises within groups, a \
      group's records must be contiguous in the file.

        cat samples.jsonl | reward score --model ckpt - | jq .reward
      """)

  @Option(help: "What scores: a checkpoint directory, a reward spec file, or a remote reward model URL.")
  var model: String?

  @Option(help: "A reward spec file (YAML or JSON): same as --model SPEC.")
  var spec: String?

  @Argument(help: "Records to score (`-` for standard input).")
  var input: String

  @Option(name: .shortAndLong, help: "Where to write JSON Lines (`-` for standard output).")
  var output = "-"

  @Option(help: "Field holding the response.")
  var responseField = "response"

  @Flag(help: "Skip invalid records (reporting how many and why) instead of stopping at the first.")
  var skipInvalid = false

  @Flag(
    help: """
      Write a record whose reward is NaN or infinite with "reward": null and "invalid": \
      "non-finite reward: NaN" (counted on stderr) instead of stopping with an error.
      """)
  var keepNonFinite = false

  @Flag(help: "No progress output.")
  var quiet = false

  @Flag(
    name: .customLong("no-engine-check"),
    help: "Do not check at start that the engines of the model's LLM judges answer (`check: false` per engine).")
  var noEngineCheck = false

  @Option(help: "Records scored per batch.")
  var batchSize = 1024

  @Option(help: "Longest JSON Lines line accepted, in MiB (after decompression).")
  var maxLineMib = InputLimits.standard.maxLineBytes >> 20

  func validate() throws {
    guard (model == nil) != (spec == nil) else { throw ValidationError("give exactly one of --model and --spec") }
  }

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let rewardModel = try ModelLoader.load(model ?? spec!)
    if !noEngineCheck { try await JudgeEngines.checkReachable(rewardModel) }
    let limits = InputLimits(maxLineBytes: maxLineMib << 20)
    let batches = ScoringBatches(
      stream: try RecordStream(path: input, limits: limits), responseField: responseField, skipInvalid: skipInvalid,
      batchSize: batchSize, wholeGroups: rewardModel.needsWholeGroups)
    let writer = try ScoredRecordWriter(path: output)
    let started = Date()
    let progress = StreamProgress("score", terminal: terminal)
    let summary = try await FileScoring.run(
      model: rewardModel, batches: batches, writer: writer, keepNonFinite: keepNonFinite,
      progress: { progress.update(done: $0) })
    progress.finish()
    let done = summary.scored
    let nonFinite = summary.nonFinite
    let seconds = Date().timeIntervalSince(started)
    terminal.note("scored \(done) record\(done == 1 ? "" : "s") in \(format(seconds, 1)) s")
    reportSkipped(summary.skipped, terminal: terminal)
    if nonFinite > 0 {
      terminal.note(
        "\(nonFinite) record\(nonFinite == 1 ? "" : "s") got a non-finite reward (written as null, marked invalid)")
    }
  }

  private func reportSkipped(_ skipped: SkippedRecords, terminal: Terminal) {
    guard skipped.count > 0 else { return }
    let summary = skipped.byKind.sorted { $0.value > $1.value }.map { "\($0.value) × \($0.key.rawValue)" }
    terminal.note(
      "skipped \(skipped.count) invalid record\(skipped.count == 1 ? "" : "s"): \(summary.joined(separator: ", "))")
    for error in skipped.examples { terminal.note("  e.g. \(error)") }
  }
}
