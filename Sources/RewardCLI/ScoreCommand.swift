import ArgumentParser
import Foundation
import RewardCore
import RewardData
import RewardSpec

struct ScoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score prompt/response records with a reward model; writes JSON Lines with a `reward` per record.",
    discussion: """
      Input records (JSON Lines, JSON array or CSV, optionally .gz; `-` reads standard input) have \
      `prompt` (string or messages) or `messages`, and `response` (or `messages` ending with the \
      assistant turn); `reference`/`answer`/`ground_truth` for verifiable rewards and `group` for \
      group normalisation. Each output line is the input record, unchanged, with `reward` added (and \
      `components` when the model has them), in input order:

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

  func validate() throws {
    guard (model == nil) != (spec == nil) else { throw ValidationError("give exactly one of --model and --spec") }
  }

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let rewardModel = try ModelLoader.load(model ?? spec!)
    let file = try InputFile.read(input)
    let (records, skipped) = try ScoringInputReader.read(file, responseField: responseField, skipInvalid: skipInvalid)
    reportSkipped(skipped, terminal: terminal)
    var out = ""
    // A model that normalises rewards within groups (GRPO) must see every record at once.
    let batchSize = rewardModel.needsWholeGroups ? max(records.count, 1) : 512
    let started = Date()
    var nonFinite = 0
    for start in stride(from: 0, to: records.count, by: batchSize) {
      let batch = records[start..<min(records.count, start + batchSize)]
      let rewards = try await rewardModel.score(batch.map(\.candidate))
      for (record, reward) in zip(batch, rewards) {
        var fields = record.fields
        if let problem = reward.nonFiniteError(model: rewardModel.name, item: record.location.description) {
          guard keepNonFinite else { throw problem }
          nonFinite += 1
          fields["reward"] = .null
          fields["invalid"] = .string("non-finite reward: \(Reward.describe(problem.value))")
          JSONValue.object(fields).write(into: &out)
          out += "\n"
          continue
        }
        fields["reward"] = .double(reward.value)
        if !reward.components.isEmpty {
          fields["components"] = .object(JSONObject(reward.components.map { ($0.name, JSONValue.double($0.value)) }))
        }
        JSONValue.object(fields).write(into: &out)
        out += "\n"
      }
      terminal.progress("scoring", done: min(records.count, start + batchSize), total: records.count, started: started)
    }
    if nonFinite > 0 {
      terminal.note(
        "\(nonFinite) record\(nonFinite == 1 ? "" : "s") got a non-finite reward (written as null, marked invalid)")
    }
    try writeOutput(out, to: output)
  }
}
