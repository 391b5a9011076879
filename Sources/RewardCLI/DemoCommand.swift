import ArgumentParser
import Foundation
import RewardCore
import RewardData
import RewardEval
import RewardFeatures
import RewardHeads

struct DemoCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Train → evaluate → score end to end on bundled data (no download, a few seconds).",
    discussion: """
      Uses the bundled Anthropic HH-RLHF helpful-base test split (2,354 pairs, split 50/50 with a \
      seed) and LLMBar Natural (100 pairs): trains a Bradley–Terry head on hashed n-gram features, \
      saves and reloads the checkpoint, evaluates it on the held-out half and on LLMBar, and scores \
      a few responses.
      """)

  @Option(help: "Where to write the demo checkpoint.")
  var out = "runs/demo"

  @Option(help: "Seed for the split and training.")
  var seed: UInt64 = 0

  @Flag(help: "No progress output.")
  var quiet = false

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let hhPath = try DemoData.path("hh-rlhf-helpful-base-test.jsonl.gz")
    let llmbarPath = try DemoData.path("llmbar-natural.json")

    print("1. Data: Anthropic HH-RLHF helpful-base test (bundled)")
    let hh = try PreferenceReader.read([hhPath], options: ReadOptions(allowEmptyResponses: true))
    let (train, test) = PairSplit.split(hh.pairs, secondFraction: 0.5, seed: seed)
    print("   \(hh.pairs.count) pairs → \(train.count) to train, \(test.count) held out (seed \(seed))")

    print("2. Train: Bradley–Terry head on hashed word 1–2-grams (2^18 buckets)")
    var configuration = TrainingConfiguration()
    configuration.seed = seed
    let started = Date()
    let trained = try await RewardHeads.train(
      BradleyTerryFamily(), data: TrainingData(pairs: PreferenceDataset(files: hh.files, pairs: train)),
      featurizer: try HashedNGramFeaturizer(), configuration: configuration, progress: trainingProgress(terminal))
    let (checkpoint, result) = (trained.checkpoint, trained.result)
    try checkpoint.save(to: out)
    print(
      "   best epoch \(result.bestEpoch) of \(result.history.count) in \(format(Date().timeIntervalSince(started), 1)) s; saved \(out)/"
    )

    print("3. Evaluate the reloaded checkpoint (strict pairwise accuracy, ties count as wrong)")
    let model = try Checkpoint.load(from: out).rewardModel(name: out)
    let llmbar = try PreferenceReader.read([llmbarPath])
    var rows: [[String]] = []
    for (name, pairs) in [("HH-RLHF helpful-base, held-out half", test), ("LLMBar Natural", llmbar.pairs)] {
      let report = try await PairwiseEvaluation.evaluate(model, pairs: pairs)
      rows.append([
        name, String(report.overall.pairs), format(100 * report.overall.accuracy, 2) + "%",
        format(report.overall.meanMargin ?? 0, 3),
      ])
    }
    print(
      table(["data set", "pairs", "accuracy", "mean margin"], rows).split(separator: "\n").map { "   " + $0 }.joined(
        separator: "\n"))

    print("4. Score responses to one prompt")
    let prompt: Conversation = [.user("How do I make a cup of green tea?")]
    let responses = [
      "Heat water to about 80 °C (not boiling), pour it over one teaspoon of green tea leaves, steep for 2 to 3 minutes, then strain and enjoy. Longer steeping makes it bitter.",
      "Just use water.",
      "I don't know.",
    ]
    let rewards = try await model.score(responses.map { Candidate(prompt: prompt, response: $0) })
    for (response, reward) in zip(responses, rewards).sorted(by: { $0.1.value > $1.1.value }) {
      print(
        "   \(format(reward.value, 3).padding(toLength: 8, withPad: " ", startingAt: 0)) \(response.prefix(70))\(response.count > 70 ? "…" : "")"
      )
    }
    print("")
    print(
      "Next: reward data inspect FILE · reward train FILE --out DIR · reward eval --model DIR FILE · reward score --model DIR -"
    )
  }
}

/// The data files bundled with the tool for `reward demo`.
enum DemoData {
  static func path(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "DemoData") else {
      throw ConfigurationError("bundled demo file \(name) is missing from the installation")
    }
    return url.path
  }
}
