import ArgumentParser
import Foundation
import RewardBackbones
import RewardCore
import RewardData
import RewardEval
import RewardFeatures
import RewardHeads
import RewardJudge
import RewardRules
import RewardSpec

/// `reward prm`: process reward models — train a PRM head, evaluate PRMs on ProcessBench-format
/// files, and score responses step by step (with shaping for RL). See docs/PROCESS_REWARDS.md.
struct PRMCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prm",
    abstract: "Process reward models: step scores, ProcessBench evaluation, step rewards for RL.",
    subcommands: [PRMTrainCommand.self, PRMEvalCommand.self, PRMScoreCommand.self, PRMBestOfNCommand.self])
}

/// Which PRM `--model` names: the rule checker, a trivial baseline, or a PRM checkpoint.
enum PRMModelReference {
  static let help = """
    step-check (the arithmetic checker), always-correct or always-first (baselines), a PRM \
    checkpoint directory from `reward prm train`, a judge file with `mode: prm-critic` or `mode: prm-logprob` \
    (generative PRMs), or any other model `reward score` accepts (scalar only).
    """

  static func load(_ reference: String, splitter: StepSplitter, aggregation: StepAggregation) throws
    -> (model: any RewardModel, threshold: Double?)
  {
    switch reference {
    case "step-check": return (StepCheckModel(splitter: splitter, aggregation: aggregation), 0.5)
    case "always-correct", "always-first": return (ConstantStepModel(name: reference), 0.5)
    default:
      if PRMCheckpoint.isPRMCheckpoint(reference) {
        let checkpoint = try PRMCheckpoint.load(from: reference)
        return (
          try checkpoint.rewardModel(name: reference, splitter: splitter, aggregation: aggregation),
          checkpoint.threshold
        )
      }
      return (try ModelLoader.load(reference), nil)
    }
  }
}

/// The trivial baselines as step scorers: `always-correct` scores every step 1 (predicts −1),
/// `always-first` scores the first step 0 (predicts an error at step 0).
struct ConstantStepModel: RewardModel {
  let name: String

  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    candidates.map { candidate in
      let steps = candidate.steps(splitter: .blankLines)
      let scores = steps.enumerated().map { k, step in
        StepScore(index: k, start: step.start, end: step.end, score: name == "always-first" && k == 0 ? 0 : 1)
      }
      return Reward(StepAggregation.min.aggregate(scores.map(\.score)) ?? 1, steps: scores)
    }
  }
}

struct PRMTrainCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a PRM head (BCE per step on prefix features) from step-labelled files.",
    discussion: """
      Files: ProcessBench (problem, steps, label = first wrong step or -1), Math-Shepherd (ки-tagged \
      input with +/- labels), PRM800K (label.steps[].completions[].rating) or TRL stepwise (prompt, \
      completions, labels); the format is detected from the first record unless --format says.

      ProcessBench labels train steps before the error as right, the error step as wrong, and \
      leave later steps out.
      """)

  @Argument(help: "Step-labelled training files (JSON array or JSON Lines).")
  var files: [String]

  @Option(name: .shortAndLong, help: "Checkpoint directory to write.")
  var output: String

  @Option(
    name: .customLong("format"), help: "Data format: processbench, math-shepherd, prm800k or trl (default: detected).")
  var dataFormat: String?

  @Option(help: "Label for PRM800K's neutral rating 0: a number in [0, 1], or 'none' to leave such steps out.")
  var neutral = "1"

  @Option(
    help: "Frozen encoder backbone as featurizer (minilm after `reward backbone fetch minilm`); default hashed n-grams."
  )
  var backbone: String?

  @Option(help: "Tokens per text for --backbone.")
  var maxTokens = EncoderFeaturizer.defaultTokenBudget

  @Option(help: "Hash buckets of the hashed n-gram featurizer.")
  var buckets = 1 << 16

  @Option(help: "Largest word n-gram of the hashed featurizer.")
  var ngram = 2

  @Option(help: "Passes over the data.")
  var epochs = 10

  @Option(help: "Adam learning rate.")
  var learningRate = 0.02

  @Option(help: "L2 penalty on the weights.")
  var l2 = 1e-6

  @Flag(help: "Read only the prefix (problem, steps 1…k), not also step k on its own.")
  var noStepFeatures = false

  @Option(help: "Random seed (example order).")
  var seed: UInt64 = 0x5EED_0012

  @Flag(help: "No notes on standard error.")
  var quiet = false

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let reader = StepTraceReader(prm800kNeutral: try neutralLabel())
    let chosenFormat = try dataFormat.map { name in
      guard let f = StepDataFormat(rawValue: name) else {
        throw ValidationError(
          "--format: unknown '\(name)'; expected \(StepDataFormat.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return f
    }
    var traces: [StepTrace] = []
    for file in files { traces += try reader.read(file, format: chosenFormat) }
    let featurizer: any Featurizer
    if let backbone {
      featurizer = try EncoderFeaturizer(backbone: backbone, tokenBudget: maxTokens)
    } else {
      var configuration = HashedNGramFeaturizer.Configuration()
      configuration.buckets = buckets
      configuration.maxN = ngram
      featurizer = try HashedNGramFeaturizer(configuration)
    }
    var configuration = PRMTrainer.Configuration()
    configuration.epochs = epochs
    configuration.learningRate = learningRate
    configuration.l2 = l2
    configuration.includeStepFeatures = !noStepFeatures
    configuration.seed = seed
    let started = Date()
    let (head, summary) = try await PRMTrainer.train(
      traces: traces, featurizer: featurizer, configuration: configuration)
    var training = configuration.json.objectValue ?? JSONObject()
    training["files"] = .array(files.map { .string($0) })
    training["traces"] = .int(Int64(summary.traces))
    training["labelled_steps"] = .int(Int64(summary.labelledSteps))
    training["right_steps"] = .int(Int64(summary.positiveSteps))
    training["final_loss"] = .double(summary.finalLoss)
    try PRMCheckpoint(head: head, featurizer: featurizer.descriptor, training: .object(training)).save(to: output)
    terminal.note(
      "trained a PRM head on \(summary.traces) solutions (\(summary.labelledSteps) labelled steps, "
        + "\(summary.positiveSteps) right) in \(format(Date().timeIntervalSince(started), 1)) s; "
        + "final loss \(format(summary.finalLoss, 4)); saved to \(output)")
  }

  func neutralLabel() throws -> Double? {
    if neutral == "none" { return nil }
    guard let value = Double(neutral), value >= 0, value <= 1 else {
      throw ValidationError("--neutral: expected a number in [0, 1] or 'none', found '\(neutral)'")
    }
    return value
  }
}

struct PRMEvalCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "ProcessBench metrics of a PRM: accuracy on erroneous and correct solutions, F1, step AUROC.",
    discussion: """
      The first step scored below τ is the predicted error (−1 when none is). τ is chosen to \
      maximise F1 on --calibration (never on the test file), else taken from --threshold, else \
      from the checkpoint, else 0.5; the report says which.
      """)

  @Option(help: ArgumentHelp(stringLiteral: PRMModelReference.help))
  var model: String

  @Argument(help: "ProcessBench-format test files (each is reported on its own).")
  var tests: [String]

  @Option(help: "File to choose τ on (must not be a test file).")
  var calibration: String?

  @Option(help: "Fixed step threshold τ.")
  var threshold: Double?

  @Option(help: "Evaluate only the first N solutions of each file (generative PRMs are slow).")
  var limit: Int?

  @Flag(help: "Print the report as JSON.")
  var json = false

  func validate() throws {
    if let limit, limit < 1 { throw ValidationError("--limit: expected a positive number, found \(limit)") }
    if let calibration, tests.contains(calibration) {
      throw ValidationError("--calibration '\(calibration)' is also a test file; choose τ on other data")
    }
    if calibration != nil, threshold != nil { throw ValidationError("give --calibration or --threshold, not both") }
  }

  func run() async throws {
    let (prm, savedThreshold) = try PRMModelReference.load(model, splitter: .blankLines, aggregation: .min)
    let reader = StepTraceReader()
    var tau = threshold ?? savedThreshold ?? 0.5
    var source = threshold != nil ? "--threshold" : savedThreshold != nil ? "checkpoint/default" : "default 0.5"
    if let calibration {
      let traces = try read(calibration, reader)
      let outputs = try await ProcessBenchEvaluation.outputs(of: prm, on: traces)
      tau =
        ProcessBenchEvaluation.calibrateThreshold(outputs: outputs, labels: traces.map { $0.firstError ?? -1 })
        .threshold
      source = calibration
    }
    var reports: [ProcessBenchReport] = []
    for test in tests {
      let traces = try read(test, reader)
      let started = Date()
      let outputs = try await ProcessBenchEvaluation.outputs(of: prm, on: traces)
      let seconds = Date().timeIntervalSince(started)
      let stepCount = traces.reduce(0) { $0 + $1.steps.count }
      reports.append(
        ProcessBenchReport(
          model: model, testFile: test, calibrationFile: calibration, threshold: tau,
          score: ProcessBenchEvaluation.score(
            outputs: outputs, labels: traces.map { $0.firstError ?? -1 }, threshold: tau),
          stepAUROC: ProcessBenchEvaluation.stepAUROC(outputs: outputs, stepLabels: traces.map(\.labels)),
          stepsPerSecond: seconds > 0 ? Double(stepCount) / seconds : nil))
    }
    if let judge = prm as? any JudgeModel {
      FileHandle.standardError.write(Data((judge.ledger.summary.text + "\n").utf8))
    }
    if json {
      print(PrettyJSON.format(.array(reports.map(\.json))))
      return
    }
    print("model \(model)  τ = \(format(tau, 4)) (from \(source))")
    print("test file                          erroneous  correct     F1   step AUROC   steps/s")
    for report in reports {
      let name = (report.testFile as NSString).lastPathComponent.padding(toLength: 34, withPad: " ", startingAt: 0)
      let auroc = report.stepAUROC.map { format($0, 3) } ?? "—"
      print(
        "\(name) \(format(100 * report.score.erroneousAccuracy, 1).leftPad(9))  "
          + "\(format(100 * report.score.correctAccuracy, 1).leftPad(7))  \(format(100 * report.score.f1, 1).leftPad(5))"
          + "  \(auroc.leftPad(11))  \(format(report.stepsPerSecond ?? 0, 0).leftPad(8))")
    }
    for report in reports {
      let s = report.score
      print(
        "\((report.testFile as NSString).lastPathComponent): of \(s.erroneousCount) erroneous solutions, "
          + "\(s.predictedTooEarly) flagged too early, \(s.predictedTooLate) too late, \(s.predictedNoError) not at all"
          + (s.unparseable > 0 ? "; \(s.unparseable) solutions had no readable answer (counted as misses)" : "")
      )
    }
  }
}

struct PRMBestOfNCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "best-of-n",
    abstract: "PRM-guided best-of-N on labelled GSM8K groups, per step aggregation, against outcome models.",
    discussion: """
      Builds the gsm8k-bon groups of `reward eval --benchmark gsm8k-bon` from a GSM8K file, scores \
      every response's steps once with --model, and reports best-of-n accuracy when responses are \
      ranked by each aggregation (min, last, product, mean, softmin), beside each --outcome model \
      (scalar rewards), majority vote over final answers, a random pick and the oracle.
      """)

  @Argument(help: "GSM8K JSON Lines file (question, answer ending '#### N').")
  var file: String

  @Option(help: ArgumentHelp(stringLiteral: PRMModelReference.help))
  var model: String

  @Option(help: "Step splitter for responses: blank-lines, lines (GSM8K solutions), step-markers, tag:TAG, regex:P.")
  var splitter = "lines"

  @Option(help: "Comma-separated step aggregations to compare.")
  var aggregations = "min,last,product,mean,softmin"

  @Option(help: "An outcome (scalar) reward model to compare with; repeatable.")
  var outcome: [String] = []

  @Option(help: "Use the first N problems.")
  var limit: Int?

  @Option(help: "Random subsets per n.")
  var subsets = 32

  @Option(help: "Seed of the group construction and the subsets.")
  var seed: UInt64 = 0

  func run() async throws {
    let aggregates = try aggregations.split(separator: ",").map { try StepAggregation.parse(String($0)) }
    let split = try StepSplitter.parse(splitter)
    let (prm, _) = try PRMModelReference.load(model, splitter: split, aggregation: .min)
    let groups = try GSM8KGroups.read(file, limit: limit, seed: seed)
    let started = Date()
    let stepScores = try await PRMBestOfN.stepScores(of: prm, groups: groups)
    let seconds = Date().timeIntervalSince(started)
    var rows: [(String, BestOfN.Curve)] = []
    for aggregate in aggregates {
      if let curve = PRMBestOfN.curve(
        groups: groups, stepScores: stepScores, aggregation: aggregate, subsets: subsets, seed: seed)
      {
        rows.append(("\(model) [\(aggregate)]", curve))
      }
    }
    for reference in outcome {
      let scorer = BatchScorer(model: try ModelLoader.load(reference))
      if let curve = try await BestOfN.evaluate(groups, scorer: scorer, subsets: subsets, seed: seed).curve {
        rows.append(("\(reference) [outcome]", curve))
      }
    }
    let responses = groups.reduce(0) { $0 + $1.responses.count }
    let unscored = stepScores.joined().filter { $0 == nil }.count
    print(
      "\(groups.count) groups, \(responses) responses; PRM step scoring \(format(seconds, 1)) s"
        + (unscored > 0 ? "; \(unscored) responses without a readable answer (ranked last)" : ""))
    guard let reference = rows.first?.1, let last = reference.points.last else { return }
    let sizes = [1, 2, 4, last.n].filter { n in reference.points.contains { $0.n == n } }
    let unique = sizes.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
    print(
      "ranker".padding(toLength: 44, withPad: " ", startingAt: 0) + unique.map { "best-of-\($0)".leftPad(11) }.joined())
    func line(_ name: String, _ value: (BestOfN.Point) -> Double, curve: BestOfN.Curve) {
      let cells = unique.map { n in curve.points.first { $0.n == n }.map { format(100 * value($0), 1) } ?? "—" }
      print(name.padding(toLength: 44, withPad: " ", startingAt: 0) + cells.map { $0.leftPad(11) }.joined())
    }
    for (name, curve) in rows { line(name, \.model, curve: curve) }
    line("majority vote", \.majority, curve: reference)
    line("random", \.random, curve: reference)
    line("oracle", \.oracle, curve: reference)
  }
}

extension PRMEvalCommand {
  func read(_ path: String, _ reader: StepTraceReader) throws -> [StepTrace] {
    let traces = try reader.read(path, format: .processBench)
    return limit.map { Array(traces.prefix($0)) } ?? traces
  }
}

struct PRMScoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score responses step by step: each record gets `reward` and `step_rewards`.",
    discussion: """
      Input: JSON Lines with the prompt in `prompt`, `problem` or `question` and the solution in \
      `response` (split by --splitter) or as a `steps` list. Output: each record, unchanged, plus \
      `reward` (the aggregate) and `step_rewards`: [{index, start, end, reward}], offsets in Unicode \
      scalars into `response` (added, blank-line-joined, when the record had only `steps`), so a \
      trainer maps each step reward to the token where the step ends. --shaping transforms the step \
      rewards for RL (clip:η, delta, min-form); --outcome-field adds a record's outcome reward to the \
      last step (outcome + process mix).
      """)

  @Argument(help: "JSON Lines input (`-` for standard input).")
  var input: String

  @Option(help: ArgumentHelp(stringLiteral: PRMModelReference.help))
  var model = "step-check"

  @Option(help: "Step splitter: blank-lines, lines, step-markers, tag:TAG (e.g. tag:ки) or regex:PATTERN.")
  var splitter = "blank-lines"

  @Option(help: "Step aggregation for `reward`: min, last, product, mean or softmin[:temperature].")
  var aggregation = "min"

  @Option(help: "Step reward shaping: none, clip[:eta], delta or min-form.")
  var shaping = "none"

  @Option(help: "Numeric field with an outcome reward, added to the last step reward (after shaping).")
  var outcomeField: String?

  @Option(help: "Weight of the process rewards when --outcome-field mixes in the outcome.")
  var processWeight = 1.0

  @Option(name: .shortAndLong, help: "Output file (default: standard output).")
  var output: String?

  func run() async throws {
    let split = try StepSplitter.parse(splitter)
    let aggregate = try StepAggregation.parse(aggregation)
    let shape = try StepShapingKind.parse(shaping)
    let (prm, _) = try PRMModelReference.load(model, splitter: split, aggregation: aggregate)
    let file = try InputFile.read(input)
    let records = try StepRewardRecords.read(file)
    let rewards = try await prm.score(records.map(\.candidate))
    var text = ""
    for object in try StepRewardRecords.output(
      records, rewards: rewards, shaping: shape, outcomeField: outcomeField, processWeight: processWeight)
    {
      text += JSONValue.object(object).jsonText + "\n"
    }
    if let output {
      try text.write(toFile: output, atomically: true, encoding: .utf8)
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
  }
}

extension String {
  fileprivate func leftPad(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
