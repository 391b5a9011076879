import ArgumentParser
import Foundation
import RewardCore
import RewardData
import RewardEval
import RewardJudge
import RewardSpec

/// What the input files are and how to score them.
enum EvalBenchmark: String, ExpressibleByArgument, CaseIterable {
  /// Preference files in any format: pairwise accuracy (+ RewardBench sections when the subsets are
  /// RewardBench's); list-valued files as RewardBench 2 (best-of-4) or RM-Bench (k × k styles).
  case auto
  /// XSTest v2 completion CSVs → should-respond / should-refuse pairs from the human labels.
  case xstest
  /// GSM8K JSON Lines → best-of-8 groups labelled by the math verifier.
  case gsm8kBon = "gsm8k-bon"
  /// Your own best-of-N groups with correctness labels (`prompt`, `responses`, `correct`; or one
  /// record per response) → best-of-N curves against oracle, random and majority vote.
  case bestOfN = "best-of-n"
  /// Records with a response and a binary label → AUROC of the reward (e.g. human vs model text).
  case detection
  /// JudgeBench pairs: score the stored `judgments` (audit), or a pairwise judge given by --model.
  case judgebench
  /// As `auto`, but a judge file given by --model is scored by RewardBench's generative rules:
  /// pairs compared directly by a pairwise judge (win 1, loss 0, tie or error ½), RewardBench 2
  /// groups rated 1–10 per response (ties at the top share the credit, no rating ¼).
  case rewardbench
  /// MT-Bench human judgements (FastChat's `human_judgments.json` rows): agreement of a pairwise
  /// judge with the experts, per turn, with and without ties.
  case mtBenchHuman = "mt-bench-human"
}

struct EvalCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Evaluate reward models on preference data and benchmarks, with terminal, JSON and HTML reports.",
    discussion: """
      Each input file is its own data set: a row per file (and its subsets), then the pooled \
      accuracy over all pairs and the mean over files; --json writes one versioned schema, models \
      × data sets, whatever the number of models (docs/JSON.md).

      Accuracy is strict, as in RewardBench: a pair counts only when the chosen response scores \
      strictly higher (a tied score is wrong), with a seeded bootstrap 95% interval. Soft labels count \
      in their majority direction; tied labels are errors (or skipped with --skip-invalid). Per-subset \
      accuracy is shown when the data has subsets (RewardBench `subset`, AlpacaEval `dataset`, Auto-J \
      `scenario`); RewardBench subsets also give section scores (Chat, Chat Hard, Safety, Reasoning, \
      prior sets) with reward-bench's weights. Files with chosen/rejected lists are scored best-of-4 \
      as RewardBench 2 (Ties with its own formula), or as RM-Bench when every prompt has k chosen and \
      k rejected style variants. --benchmark best-of-n reads your own groups of N responses with \
      correctness labels, one record per prompt ({"prompt", "responses": [...], "correct": [true, \
      false, ...]}) or one per response ({"prompt", "response", "correct": 1, "group"?}, grouped by \
      `group`, else by prompt), and draws the best-of-n curve against the oracle, a random pick and \
      majority vote; --prompt-field, --label-field (the correctness labels), --id-field, \
      --response-field, --group-field, --reference-field and --answer-field map other field names \
      (verl's validation dumps: --prompt-field input --response-field output --label-field score, or \
      acc where the score is graded). Diagnostics: length bias, calibration of σ(r_c − r_r) (ECE, \
      Brier), AUROC of chosen vs rejected rewards, agreement between models (several --model), and \
      with --position-check the order consistency of pairwise models.

      Scores are cached per (model, item) under --cache (default ~/.cache/rewardkit/scores, or \
      $REWARDKIT_CACHE/scores), so an interrupted run resumes where it stopped; --no-cache turns this \
      off. See docs/EVALUATION.md.
      """)

  @Option(
    name: .customLong("model"),
    help: "A model to evaluate (checkpoint directory, spec file, judge file or URL); repeat to compare models.")
  var models: [String] = []

  @Argument(help: "Input files (preference data, or what --benchmark names).")
  var files: [String]

  @Option(help: "How to read the files: \(EvalBenchmark.allCases.map(\.rawValue).joined(separator: ", ")).")
  var benchmark: EvalBenchmark = .auto

  @OptionGroup var data: DataOptions

  @Flag(help: "Print the results as JSON (every number).")
  var json = false

  @Option(help: "Also write a self-contained HTML report with charts to this file.")
  var html: String?

  @Option(help: "Bootstrap resamples for the 95% intervals (0: none).")
  var bootstrap = 1_000

  @Option(help: "Seed for the bootstrap, best-of-n subsets and data construction.")
  var seed: UInt64 = 0

  @Option(help: "Random subsets per n for best-of-n curves.")
  var bonSubsets = 32

  @Option(help: "With --benchmark detection: the label value that marks a positive item (besides true/1).")
  var positiveLabel = "1"

  @Option(help: "With --benchmark best-of-n: the field holding the responses (default responses, else response).")
  var responseField: String?

  @Option(
    help:
      "With --benchmark best-of-n: the field grouping one-record-per-response files (default group, else the prompt)."
  )
  var groupField: String?

  @Option(
    help: "With --benchmark best-of-n: the field holding the reference answer (default reference, ground_truth, gts).")
  var referenceField: String?

  @Option(
    help:
      "With --benchmark best-of-n: the field holding final answers for majority vote (default: extracted as for math)."
  )
  var answerField: String?

  @Option(help: "Use only the first N pairs / groups of the input.")
  var limit: Int?

  @Option(help: "Candidates per scoring call.")
  var batchSize = 256

  @Option(
    help:
      "Directory of the per-(model, item) score cache (default: $REWARDKIT_CACHE/scores or ~/.cache/rewardkit/scores).")
  var cache: String?

  @Flag(help: "Do not read or write the score cache.")
  var noCache = false

  @Flag(help: "Also ask every pair in both orders (order consistency of pairwise models).")
  var positionCheck = false

  @Flag(help: "Also time plain model.score over every candidate first (benchmark of the harness overhead).")
  var timeRawScoring = false

  @Flag(
    help: """
      Count NaN or infinite rewards (their pairs are wrong, reported as non_finite_rewards) \
      instead of stopping at the first with an error naming the model and item.
      """)
  var allowNonFinite = false

  @Flag(help: "No progress output.")
  var quiet = false

  @Flag(
    name: .customLong("no-engine-check"),
    help: "Do not check at start that the engines of LLM judges answer (`check: false` per engine).")
  var noEngineCheck = false

  func validate() throws {
    guard !models.isEmpty || benchmark == .judgebench else { throw ValidationError("give at least one --model") }
    guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be ≥ 0") }
    guard bonSubsets >= 1 else { throw ValidationError("--bon-subsets must be ≥ 1") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
    if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
    if benchmark != .bestOfN, responseField ?? groupField ?? referenceField ?? answerField != nil {
      throw ValidationError(
        "--response-field, --group-field, --reference-field and --answer-field apply to --benchmark best-of-n")
    }
  }

  func run() async throws {
    if benchmark == .judgebench {
      return try await JudgeBenchEval.run(
        files: files, models: models, limit: limit, json: json, terminal: Terminal(quiet: quiet),
        checkEngines: !noEngineCheck)
    }
    if benchmark == .mtBenchHuman {
      return try await MTBenchHumanEval.run(
        files: files, models: models, limit: limit, json: json, terminal: Terminal(quiet: quiet),
        checkEngines: !noEngineCheck)
    }
    let terminal = Terminal(quiet: quiet)
    let dataset = benchmark == .rewardbench ? try data.read(files, terminal: terminal) : nil
    let inputs = try readInputs(terminal: terminal, dataset: dataset)
    let options = EvaluationOptions(bootstrapResamples: bootstrap, seed: seed)
    var evaluations: [ModelEvaluation] = []
    for path in models {
      let started = Date()
      let progress: @Sendable (String, Int, Int) -> Void = { stage, done, total in
        terminal.progress("\(path) \(stage)", done: done, total: total, started: started)
      }
      if let dataset, JudgeConfiguration.isJudgeFile(path) {
        let judge = try JudgeConfiguration.load(path: path, engineFactory: JudgeComponent.engineFactory)
        if !noEngineCheck { try await JudgeEngines.checkReachable(judge.preferenceModel) }
        evaluations.append(
          try await GenerativeBenchEval.evaluate(
            judge, name: path, dataset: dataset, skipInvalid: data.skipInvalid, limit: limit, terminal: terminal))
        continue
      }
      let loaded = try ModelLoader.loadPreferenceModel(path)
      if !noEngineCheck { try await JudgeEngines.checkReachable(loaded) }
      guard let model = loaded as? any RewardModel else {
        // A pairwise-only model (P(a ≻ b), no scalar reward) is evaluated on the pairs alone.
        evaluations.append(
          try await PreferenceEvaluation.evaluate(
            loaded, pairs: inputs.pairs, skipped: inputs.skipped, options: options, batchSize: batchSize,
            positionCheck: positionCheck, progress: { progress("pairs", $0, $1) }))
        continue
      }
      let scorer = BatchScorer(
        model: model, batchSize: batchSize,
        cacheDirectory: noCache ? nil : cache ?? ScoreCache.defaultDirectory(),
        cacheKey: ScoreCache.modelKey(path), nonFinite: allowNonFinite ? .countAsInvalid : .fail)
      let raw =
        timeRawScoring ? try await EvaluationSuite.rawScoringSeconds(model, inputs: inputs, batchSize: batchSize) : nil
      var evaluation = try await EvaluationSuite.evaluate(
        model, inputs: inputs, options: options, scorer: scorer, bestOfNSubsets: bonSubsets,
        positionCheck: positionCheck, progress: progress)
      evaluation.rawScoringSeconds = raw
      evaluations.append(evaluation)
    }
    let suite = SuiteReport(title: "Reward model evaluation", dataFiles: files, models: evaluations)
    if let html {
      try writeOutput(ReportHTML.render(suite), to: html)
      terminal.note("wrote \(html)")
    }
    print(json ? ReportJSON.encode(suite).jsonText : ReportTable.render(suite))
  }

  private func readInputs(terminal: Terminal, dataset: PreferenceDataset?) throws -> EvaluationInputs {
    switch benchmark {
    case .auto, .rewardbench:
      let dataset = try dataset ?? data.read(files, terminal: terminal)
      let (pairs, ties) = try dataset.strictPairs(skipInvalid: data.skipInvalid)
      reportSkipped(ties, terminal: terminal)
      let groups = Array(dataset.groups.prefix(limit ?? dataset.groups.count))
      let rmBench = EvaluationInputs.looksLikeRMBench(groups)
      // RM-Bench's own score uses the groups; pairs then come from the groups, one per style pair.
      return EvaluationInputs(
        pairs: Array(pairs.prefix(limit ?? pairs.count)), groups: groups, skipped: dataset.skipped + ties,
        groupsAreRMBench: rmBench)
    case .xstest:
      let pairs = try XSTestPairs.read(files)
      return EvaluationInputs(pairs: Array(pairs.prefix(limit ?? pairs.count)))
    case .gsm8kBon:
      var groups: [LabeledGroup] = []
      for file in files { groups += try GSM8KGroups.read(file, limit: limit, seed: seed) }
      return EvaluationInputs(
        pairs: EvaluationInputs.pairs(from: groups, subset: "gsm8k"), labeledGroups: groups)
    case .bestOfN:
      let fields = BestOfNFile.Fields(
        prompt: data.promptField, responses: responseField, correct: data.labelField, group: groupField,
        id: data.idField, reference: referenceField, answers: answerField)
      let (all, skipped) = try BestOfNFile.read(
        files, options: BestOfNFile.Options(fields: fields, skipInvalid: data.skipInvalid, allowEmpty: data.allowEmpty))
      reportSkipped(skipped, terminal: terminal)
      let groups = Array(all.prefix(limit ?? all.count))
      return EvaluationInputs(
        pairs: EvaluationInputs.pairs(from: groups, subset: "best-of-n"), labeledGroups: groups, skipped: skipped)
    case .detection:
      let items = try DetectionItems.read(files, positiveLabel: positiveLabel)
      return EvaluationInputs(detectionItems: Array(items.prefix(limit ?? items.count)))
    case .judgebench, .mtBenchHuman:
      throw ValidationError("--benchmark \(benchmark.rawValue) is evaluated on its own")
    }
  }
}
