import ArgumentParser
import Foundation
import RewardCore
import RewardData

struct DataCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data", abstract: "Look at and prepare preference data.",
    subcommands: [InspectCommand.self, SplitCommand.self])
}

struct InspectCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show a preference file's format, counts, ties, duplicates, lengths and an example.",
    discussion: """
      Reads JSON Lines, JSON arrays and CSV (optionally .gz) in the formats \(PreferenceFormat.summary),
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
    return [
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
      Writes TRL conversational preference records (explicit prompt) that `reward` reads back to
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
