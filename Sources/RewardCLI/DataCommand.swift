import ArgumentParser
import Foundation
import RewardCore
import RewardData
import RewardHeads

struct DataCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data", abstract: "Look at and prepare preference data.",
    subcommands: [InspectCommand.self, SplitCommand.self, StrengthCommand.self] + pipelineSubcommands)
}

struct InspectCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show a preference file's format, counts, ties, duplicates, lengths and an example.",
    discussion: """
      Reads JSON Lines, JSON arrays and CSV (optionally .gz) in the formats \(PreferenceFormat.summary), \
      detected from the first record unless --format is given.
      """)

  @Argument(help: "Preference files (`-` for standard input).")
  var files: [String]

  @OptionGroup var data: DataOptions

  @Flag(help: "Print the statistics as JSON.")
  var json = false

  func run() async throws {
    let terminal = Terminal(quiet: false)
    let dataset = try data.read(files, terminal: terminal)
    let stats = DatasetStatistics(dataset)
    if json {
      print(statisticsJSON(dataset, stats).jsonText)
      return
    }
    for file in dataset.files { print("file:    \(file.path)  (format: \(file.format.rawValue))") }
    print("records: \(stats.pairCount + stats.groupCount + dataset.skipped.count)", terminator: "")
    print(dataset.skipped.isEmpty ? "" : "  (\(dataset.skipped.count) invalid, skipped)")
    if stats.groupCount > 0 {
      print(
        "groups:  \(stats.groupCount) (\(dataset.groups.reduce(0) { $0 + $1.chosen.count * $1.rejected.count }) implied pairs)"
      )
    }
    print("pairs:   \(stats.pairCount)")
    print("ties:    \(stats.ties)    soft labels: \(stats.softLabels)    with margin: \(stats.withMargin)")
    print("exact duplicates: \(stats.exactDuplicates)    identical chosen/rejected: \(stats.identicalResponses)")
    print(
      "multi-turn prompts: \(stats.multiTurnPrompts)    chosen longer than rejected: \(format(100 * stats.chosenLongerRate, 1))%"
    )
    print("")
    print("length in words")
    let summaries: [(String, LengthSummary)] = [
      ("prompt", stats.promptWords), ("chosen", stats.chosenWords), ("rejected", stats.rejectedWords),
    ]
    let rows = summaries.map { name, s -> [String] in
      [name, String(s.minimum), String(s.median), format(s.mean, 1), String(s.p90), String(s.maximum)]
    }
    print(table(["", "min", "median", "mean", "p90", "max"], rows))
    if !stats.subsets.isEmpty {
      print("")
      print("subsets (\(stats.subsets.count))")
      print(table(["subset", "records"], stats.subsets.prefix(20).map { [$0.name, String($0.count)] }))
    }
    if let example = dataset.allPairs.first {
      print("")
      print("example (\(example.source))")
      for message in example.prompt { print("  [\(message.role.rawValue)] \(preview(message.content))") }
      print("  [chosen]   \(preview(example.chosen))")
      print("  [rejected] \(preview(example.rejected))")
      if example.chosenProbability != 1 { print("  P(chosen ≻ rejected) = \(format(example.chosenProbability, 4))") }
    }
  }

  private func preview(_ text: String) -> String {
    let flat = text.replacingOccurrences(of: "\n", with: "⏎ ")
    return flat.count > 160 ? String(flat.prefix(160)) + "…" : flat
  }

  private func statisticsJSON(_ dataset: PreferenceDataset, _ stats: DatasetStatistics) -> JSONValue {
    func lengths(_ s: LengthSummary) -> JSONValue {
      [
        "min": .int(Int64(s.minimum)), "median": .int(Int64(s.median)), "mean": .double(s.mean),
        "p90": .int(Int64(s.p90)), "max": .int(Int64(s.maximum)),
      ]
    }
    // Schema in docs/JSON.md; `schema_version` changes only when a field changes meaning.
    return [
      "schema_version": 1, "command": "data inspect",
      "files": .array(dataset.files.map { ["path": .string($0.path), "format": .string($0.format.rawValue)] }),
      "pairs": .int(Int64(stats.pairCount)), "groups": .int(Int64(stats.groupCount)),
      "skipped": .int(Int64(dataset.skipped.count)), "ties": .int(Int64(stats.ties)),
      "soft_labels": .int(Int64(stats.softLabels)), "with_margin": .int(Int64(stats.withMargin)),
      "exact_duplicates": .int(Int64(stats.exactDuplicates)),
      "identical_responses": .int(Int64(stats.identicalResponses)),
      "multi_turn_prompts": .int(Int64(stats.multiTurnPrompts)), "chosen_longer_rate": .double(stats.chosenLongerRate),
      "prompt_words": lengths(stats.promptWords), "chosen_words": lengths(stats.chosenWords),
      "rejected_words": lengths(stats.rejectedWords),
      "subsets": .object(JSONObject(stats.subsets.map { ($0.name, JSONValue.int(Int64($0.count))) })),
    ]
  }
}

struct SplitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "split",
    abstract: "Split preference pairs into two files with a seeded shuffle (e.g. train/test).",
    discussion: """
      Writes TRL conversational preference records (explicit prompt) that `reward` reads back to \
      the same pairs; soft labels, margins, subsets and ids are kept.
      """)

  @Argument(help: "Preference files.")
  var files: [String]

  @OptionGroup var data: DataOptions

  @Option(help: "Share of pairs that go to the second file.")
  var testFraction = 0.5

  @Option(help: "Seed of the shuffle.")
  var seed: UInt64 = 0

  @Option(help: "Where to write the first part (train).")
  var trainOut: String

  @Option(help: "Where to write the second part (test).")
  var testOut: String

  func validate() throws {
    guard (0...1).contains(testFraction) else { throw ValidationError("--test-fraction must be in [0, 1]") }
  }

  func run() async throws {
    let terminal = Terminal(quiet: false)
    let dataset = try data.read(files, terminal: terminal)
    let (train, test) = PairSplit.split(dataset.allPairs, secondFraction: testFraction, seed: seed)
    try writeOutput(PreferenceWriter.jsonLines(train), to: trainOut)
    try writeOutput(PreferenceWriter.jsonLines(test), to: testOut)
    terminal.note("wrote \(train.count) pairs to \(trainOut) and \(test.count) pairs to \(testOut)")
  }
}

extension StrengthPolicy.Action: ExpressibleByArgument {}

struct StrengthCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "strength",
    abstract: "Estimate each pair's preference strength with a (preferably ensemble) model and clean the data.",
    discussion: """
      The strength of a pair is the mean over ensemble members of r_chosen − r_rejected, with its \
      standard deviation ("Secrets of RLHF II"). Pairs below --suspect-below are likely mislabelled: \
      flag them, flip them or drop them (--action). Optionally give kept pairs an adaptive margin \
      (--adaptive-margin SCALE: margin = SCALE × max(strength, 0)) or soften weak pairs \
      (--smooth-below T --smoothing ε). Writes TRL records with `strength_mean`, `strength_std`, \
      `strength_confidence` (|mean|/std: the ensemble's confidence in the pair's direction; absent \
      when the members agree exactly), `strength_agreement` (share of members on the mean's side) and \
      `suspect` added; `reward train` reads them back. Reports accuracy against the files' labels on \
      the most and least confident thirds of pairs (by |mean|/std, by std, by |mean|).
      """)

  @Option(help: "Checkpoint directory (an ensemble gives a standard deviation too).")
  var model: String

  @Argument(help: "Preference files.")
  var files: [String]

  @OptionGroup var data: DataOptions

  @Option(help: "Where to write the annotated pairs (JSON Lines; `-` for standard output).")
  var out: String

  @Option(help: "Pairs whose mean strength is below this are suspects.")
  var suspectBelow = -1.0

  @Option(help: "What to do with suspects: flag, flip or drop.")
  var action: StrengthPolicy.Action = .flag

  @Option(help: "Give kept pairs margin = SCALE × max(strength, 0).")
  var adaptiveMargin: Double?

  @Option(help: "Soften pairs whose strength is below this (but not suspects) to a soft label 1 − ε.")
  var smoothBelow: Double?

  @Option(help: "ε for --smooth-below.")
  var smoothing = 0.1

  func run() async throws {
    let terminal = Terminal(quiet: out == "-")
    let rewardModel = try Checkpoint.load(from: model).rewardModel(name: model)
    let pairs = try data.read(files, terminal: terminal).allPairs
    let strengths = try await PreferenceStrength.estimate(rewardModel, pairs: pairs)
    let policy = StrengthPolicy(
      suspectBelow: suspectBelow, action: action, adaptiveMarginScale: adaptiveMargin, smoothBelow: smoothBelow,
      smoothing: smoothing)
    let outcome = policy.apply(pairs, strengths: strengths)
    var text = ""
    for (pair, strength, suspect) in outcome.pairs {
      guard var record = PreferenceWriter.record(pair).objectValue else { continue }
      record["strength_mean"] = .double(strength.mean)
      record["strength_std"] = .double(strength.std)
      if strength.confidence.isFinite { record["strength_confidence"] = .double(strength.confidence) }
      record["strength_agreement"] = .double(strength.agreement)
      record["suspect"] = .bool(suspect)
      JSONValue.object(record).write(into: &text)
      text += "\n"
    }
    try writeOutput(text, to: out)
    let means = strengths.map(\.mean).sorted()
    terminal.note(
      "\(pairs.count) pairs; strength median \(format(means.isEmpty ? 0 : means[means.count / 2], 3)); "
        + "\(outcome.suspects) suspects below \(suspectBelow) (\(outcome.flipped) flipped, \(outcome.dropped) dropped), "
        + "\(outcome.smoothed) smoothed; wrote \(outcome.pairs.count) pairs to \(out)")
    // Whether the model's confidence is informative, with the files' labels as the truth.
    let labels = pairs.map(\.chosenProbability)
    let thirds = ConfidenceMeasure.allCases.map { ConfidenceThirds(measure: $0, strengths: strengths, labels: labels) }
    terminal.note(
      "accuracy on the most / least confident third (\(thirds[0].pairsPerThird) pairs each): "
        + thirds.map {
          "by \($0.measure.rawValue) \(format($0.mostConfidentAccuracy, 4)) / \(format($0.leastConfidentAccuracy, 4))"
        }
        .joined(separator: "; "))
  }
}
