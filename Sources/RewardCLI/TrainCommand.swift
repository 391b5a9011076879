import ArgumentParser
import Foundation
import RewardBackbones
import RewardCore
import RewardData
import RewardFeatures
import RewardHeads

/// The learned-head families `reward train` can fit.
enum HeadKind: String, ExpressibleByArgument, CaseIterable {
  case bt
  case ensemble
  case gpm
  case mixture
  case regression
  case btRegression = "bt+regression"
  case armo
}

/// Options of the built-in hashed n-gram featurizer.
struct FeaturizerOptions: ParsableArguments {
  @Option(help: "Largest word n-gram of the hashed featurizer.")
  var ngram = 2

  @Option(help: "Hash buckets (feature dimension) of the hashed featurizer.")
  var buckets = 1 << 18

  @Option(help: "Seed of the feature hash.")
  var hashSeed: UInt64 = 0

  @Option(help: "Weight of the last user turn's features relative to the response's (0 ignores the prompt).")
  var contextWeight: Float = 0.5

  @Flag(help: "Leave out the response-length features.")
  var noLengthFeatures = false

  @Option(help: "Word budget of the text the model sees (the response is kept first, then the end of the prompt).")
  var maxWords = 1024

  func makeFeaturizer() throws -> HashedNGramFeaturizer {
    var configuration = HashedNGramFeaturizer.Configuration()
    configuration.maxN = ngram
    configuration.buckets = buckets
    configuration.seed = hashSeed
    configuration.contextWeight = contextWeight
    configuration.lengthFeatures = !noLengthFeatures
    configuration.maxWords = maxWords
    return try HashedNGramFeaturizer(configuration)
  }
}

struct TrainCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a reward model on preference files and save a checkpoint directory.",
    discussion: """
      Heads (--head):
        bt        Bradley–Terry: loss −log σ(r_c − r_r − margin) as TRL's RewardTrainer, with soft
                  labels, optional label smoothing and reward centring.
        ensemble  --members Bradley–Terry heads (seeds + bootstrap); reward aggregated by --aggregate,
                  uncertainty = the members' std; a pair's confidence = |mean|/std of the
                  members' margins (see `reward data strength`).
        gpm       general preference model: preference embeddings P(a ≻ b) = σ(⟨v_a, R v_b⟩/τ),
                  R skew-symmetric; represents cyclic preferences; pairwise only (no scalar reward).
        mixture   --mixture-heads reward heads mixed by a router on the prompt (and per-annotator
                  offsets when the data has `annotator`), trained on the mixture likelihood.
        regression  one output per rated attribute (--attribute), MSE with missing ratings masked;
                  the positional files are rated responses; reward = Σ c_a s_a (--reward-weights).
        bt+regression  regression on --ratings plus Bradley–Terry on the positional pair files.
        armo      ArmoRM: ridge probes per rated objective (--ratings, λ on validation), optional
                  decorrelation from --verbosity-attribute, then a gating MLP on the prompt trained
                  with Bradley–Terry on the pairs; components = objective scores and gate weights.
      All train with AdamW (weight decay), mini-batches, a seeded validation split with early
      stopping; --calibrate fits a temperature for bt and ensemble.
      The checkpoint (config.json + model.safetensors) works with `reward eval` and `reward score`.
      """)

  @Argument(help: "Preference files (any supported format; see `reward data inspect`).")
  var files: [String]

  @Option(help: "Checkpoint directory to write.")
  var out: String

  @Option(help: "Reward head: \(HeadKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var head: HeadKind = .bt

  @Option(help: "Seed for the split, shuffles and initialisation (same seed and data → same checkpoint).")
  var seed: UInt64 = 0

  @Option(help: "Maximum number of epochs.")
  var epochs = 20

  @Option(help: "Pairs per mini-batch.")
  var batchSize = 64

  @Option(help: "AdamW learning rate.")
  var learningRate: Float = 0.02

  @Option(help: "AdamW decoupled weight decay.")
  var weightDecay: Float = 0.01

  @Option(help: "Label smoothing ε: targets become 1 − ε / ε.")
  var labelSmoothing = 0.0

  @Option(help: "Coefficient of the reward-centring term c·(r_c + r_r)² (TRL's center_rewards_coefficient).")
  var centerRewards = 0.0

  @Flag(help: "Treat continuous preferences as hard labels (majority direction) and leave ties out.")
  var hardLabels = false

  @Flag(help: "Ignore the data's margin field.")
  var noMargins = false

  @Option(help: "Share of pairs held out for validation and early stopping.")
  var validationFraction = 0.1

  @Option(help: "Epochs without validation improvement before stopping.")
  var patience = 3

  @Option(help: "Ensemble members (--head ensemble): heads from different seeds and bootstrap resamples.")
  var members = 5

  @Option(help: "How an ensemble aggregates its members: mean, min (worst case) or conservative (mean − k·std).")
  var aggregate = "mean"

  @Option(help: "k of the conservative aggregation mean − k·std.")
  var conservativeK = 1.0

  @Option(help: "Preference-embedding blocks k (--head gpm): each response maps to 2k numbers.")
  var blocks = 4

  @Option(help: "Temperature τ of the preference-embedding score ⟨v_a, R v_b⟩ / τ (--head gpm).")
  var gpmTemperature = 1.0

  @Flag(help: "Scale each preference-embedding block by a prompt-dependent gate (--head gpm).")
  var gated = false

  @Option(help: "Reward heads in the mixture (--head mixture); annotator ids, if the data has them, adapt the router.")
  var mixtureHeads = 2

  @Option(
    name: .customLong("attribute"),
    help: """
      A rated attribute (--head regression, bt+regression): NAME, NAME=FIELD, or NAME=FIELD:LABEL=VALUE,… \
      to map labels to numbers. Repeat for several. Default: HelpSteer2's five.
      """)
  var attributes: [String] = []

  @Option(help: "Rated-response files for --head bt+regression (the positional files are the pairs).")
  var ratings: [String] = []

  @Option(help: "Field holding the rated response (e.g. `completion` for XSTest).")
  var responseField = "response"

  @Option(help: "How attributes combine into the reward, e.g. helpfulness=1,verbosity=-0.2 (default: the first, 1).")
  var rewardWeights: String?

  @Option(help: "Weight of the Bradley–Terry term against the regression term (--head bt+regression).")
  var pairWeight = 1.0

  @Option(help: "Regression loss: mse, or ordinal over grades 0…--levels−1 (cumulative-link logistic).")
  var loss = "mse"

  @Option(help: "Number of grades for --loss ordinal (HelpSteer2: 5).")
  var levels = 5

  @Option(help: "ArmoRM: the rated attribute that measures verbosity; the others are decorrelated from it.")
  var verbosityAttribute: String?

  @Option(help: "ArmoRM: decorrelate until |Spearman(objective, verbosity)| is below this.")
  var correlationThreshold = 0.03

  @Option(help: "ArmoRM: hidden units of the gating MLP.")
  var gateHidden = 16

  @Option(help: "ArmoRM: softmax temperature of the gate.")
  var gateTemperature = 1.0

  @Flag(help: "Resample the training pairs with replacement (always on for ensemble members).")
  var bootstrap = false

  @Flag(help: "Fit a temperature on the validation split so σ((r_c − r_r)/T) is calibrated; reports ECE before/after.")
  var calibrate = false

  @Option(
    help: """
      Frozen encoder backbone as featurizer: `minilm` (after `reward backbone fetch minilm`) or a local \
      BERT-family Hugging Face directory. Without it, the built-in hashed n-gram featurizer is used.
      """)
  var backbone: String?

  @Option(help: "Token budget of the encoder (last user turn + response; at most 512).")
  var maxTokens = EncoderFeaturizer.defaultTokenBudget

  @OptionGroup(title: "Hashed n-gram featurizer") var features: FeaturizerOptions
  @OptionGroup(title: "Reading data") var data: DataOptions

  @Flag(help: "No progress output.")
  var quiet = false

  var trainingConfiguration: TrainingConfiguration {
    var configuration = TrainingConfiguration()
    configuration.epochs = epochs
    configuration.batchSize = batchSize
    configuration.learningRate = learningRate
    configuration.weightDecay = weightDecay
    configuration.labelSmoothing = labelSmoothing
    configuration.centerRewardsCoefficient = centerRewards
    configuration.softLabels = !hardLabels
    configuration.useMargins = !noMargins
    configuration.validationFraction = validationFraction
    configuration.patience = patience
    configuration.seed = seed
    configuration.bootstrap = bootstrap
    return configuration
  }

  func validate() throws {
    do {
      try trainingConfiguration.validate()
    } catch {
      throw ValidationError(error.message)
    }
    guard head != .ensemble || members >= 2 else { throw ValidationError("--members must be ≥ 2 for an ensemble") }
    guard ["mean", "min", "conservative"].contains(aggregate) else {
      throw ValidationError("--aggregate must be mean, min or conservative, got '\(aggregate)'")
    }
    guard (head != .btRegression && head != .armo) || !ratings.isEmpty else {
      throw ValidationError("--head \(head.rawValue) needs rated data: --ratings FILE")
    }
    guard !calibrate || head == .bt || head == .ensemble else {
      throw ValidationError("--calibrate applies to reward heads (bt, ensemble); gpm and mixture report ECE only")
    }
    guard blocks >= 1, gpmTemperature > 0, mixtureHeads >= 1 else {
      throw ValidationError("--blocks and --mixture-heads must be ≥ 1 and --gpm-temperature > 0")
    }
    guard !calibrate || validationFraction > 0 else {
      throw ValidationError("--calibrate needs a validation split (--validation-fraction > 0)")
    }
  }

  func makeFeaturizer() throws -> any Featurizer {
    guard let backbone else { return try features.makeFeaturizer() }
    return try EncoderFeaturizer(backbone: backbone, tokenBudget: maxTokens)
  }

  func family() throws -> HeadFamily {
    switch head {
    case .bt: .bradleyTerry
    case .ensemble:
      .ensemble(members: members, aggregation: try EnsembleAggregation.parse(aggregate, k: conservativeK))
    case .gpm: .preferenceEmbedding(blocks: blocks, temperature: gpmTemperature, gated: gated)
    case .mixture: .mixture(heads: mixtureHeads)
    case .regression, .btRegression, .armo:
      throw ValidationError("\(head.rawValue) is trained from rated data (RegressionRun / ArmoRun)")
    }
  }

  /// --head regression (positional files are rated responses) or bt+regression (positional files
  /// are pairs, --ratings the rated responses).
  func readRated(_ terminal: Terminal) throws -> RatedDataset {
    let columns = try attributes.isEmpty ? RatingColumn.helpSteer2 : attributes.map { try RatingColumn(parsing: $0) }
    let ratedFiles = head == .regression ? files : ratings
    let rated = try RatedReader.read(
      ratedFiles, columns: columns, responseField: responseField, skipInvalid: data.skipInvalid,
      allowEmptyResponses: data.allowEmpty)
    reportSkipped(rated.skipped, terminal: terminal)
    terminal.note("\(rated.samples.count) rated responses on \(rated.attributes.joined(separator: ", "))")
    return rated
  }

  /// --head armo: ridge probes on --ratings, then the gate on the positional pair files.
  func runArmo(_ terminal: Terminal) async throws -> (Checkpoint, TrainingResult) {
    let rated = try readRated(terminal)
    let pairs = try data.read(files, terminal: terminal)
    let run = ArmoRun(
      featurizer: try makeFeaturizer(), configuration: trainingConfiguration, verbosityAttribute: verbosityAttribute,
      correlationThreshold: correlationThreshold, gateHidden: gateHidden, gateTemperature: gateTemperature)
    return try await run.run(rated: rated, pairs: pairs, progress: trainingProgress(terminal))
  }

  func runRegression(_ terminal: Terminal) async throws -> (Checkpoint, TrainingResult) {
    let rated = try readRated(terminal)
    let columns = rated.attributes
    var coefficients = [Double](repeating: 0, count: columns.count)
    coefficients[0] = 1
    if let rewardWeights {
      coefficients = [Double](repeating: 0, count: columns.count)
      for entry in rewardWeights.split(separator: ",") {
        let parts = entry.split(separator: "=").map(String.init)
        guard parts.count == 2, let index = rated.attributes.firstIndex(of: parts[0]), let value = Double(parts[1])
        else {
          throw ValidationError("--reward-weights: '\(entry)' should be ATTRIBUTE=NUMBER with a known attribute")
        }
        coefficients[index] = value
      }
    }
    let pairs = head == .btRegression ? try data.read(files, terminal: terminal) : nil
    guard loss == "mse" || loss == "ordinal", levels >= 2 else {
      throw ValidationError("--loss must be mse or ordinal, and --levels ≥ 2")
    }
    let run = RegressionRun(
      featurizer: try makeFeaturizer(), configuration: trainingConfiguration, coefficients: coefficients,
      pairWeight: pairWeight, ordinalLevels: loss == "ordinal" ? levels : nil)
    return try await run.run(rated: rated, pairs: pairs, progress: trainingProgress(terminal))
  }

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let checkpoint: Checkpoint
    let result: TrainingResult
    if head == .regression || head == .btRegression {
      (checkpoint, result) = try await runRegression(terminal)
    } else if head == .armo {
      (checkpoint, result) = try await runArmo(terminal)
    } else {
      let dataset = try data.read(files, terminal: terminal)
      for file in dataset.files { terminal.note("read \(file.path) as \(file.format.rawValue)") }
      terminal.note("\(dataset.allPairs.count) pairs")
      let run = TrainingRun(
        featurizer: try makeFeaturizer(), configuration: trainingConfiguration, family: try family(),
        calibrate: calibrate)
      (checkpoint, result) = try await run.run(dataset, progress: trainingProgress(terminal))
    }
    try checkpoint.save(to: out)
    let best = result.history[result.bestEpoch - 1]
    print("saved \(out) (best epoch \(result.bestEpoch) of \(result.history.count))")
    let unit = head == .regression || head == .btRegression ? "samples" : "pairs"
    print(
      "train \(unit) \(result.trainPairs): loss \(format(best.trainLoss, 4)), accuracy \(format(100 * best.trainAccuracy, 2))%"
    )
    print(
      "featurized \(result.featurizedTexts) texts in \(format(result.featurizeSeconds, 2)) s "
        + "(\(format(Double(result.featurizedTexts) / max(result.featurizeSeconds, 1e-9), 0)) texts/s); "
        + "trained \(result.history.count) epochs in \(format(result.trainSeconds, 2)) s "
        + "(\(format(result.pairsPerSecond, 0)) pairs/s)")
    let metrics = checkpoint.config.objectValue?["metrics"]?.objectValue ?? JSONObject()
    if let accuracy = metrics["validation_accuracy"]?.doubleValue {
      var line = "validation \(unit) \(result.validationPairs): accuracy \(format(100 * accuracy, 2))%"
      if let loss = best.validationLoss, head == .bt { line += ", loss \(format(loss, 4))" }
      if let ece = metrics["validation_ece"]?.doubleValue { line += ", ECE \(format(ece, 4))" }
      if let calibrated = metrics["validation_ece_calibrated"]?.doubleValue,
        let temperature = metrics["calibration_temperature"]?.doubleValue
      {
        line += " → \(format(calibrated, 4)) after calibration (T = \(format(temperature, 3)))"
      }
      print(line)
    }
    if let confident = metrics["validation_confident_third_accuracy"]?.doubleValue,
      let uncertain = metrics["validation_uncertain_third_accuracy"]?.doubleValue
    {
      print(
        "validation accuracy on the ensemble's most / least confident third (|mean|/std of the members' margins): "
          + "\(format(100 * confident, 2))% / \(format(100 * uncertain, 2))%")
    }
  }
}

/// Prints featurization and epoch progress on stderr.
func trainingProgress(_ terminal: Terminal) -> @Sendable (TrainingEvent) -> Void {
  let started = Date()
  return { event in
    switch event {
    case .featurized(let done, let total):
      terminal.progress("featurizing", done: done, total: total, started: started)
    case .step(let epoch, let done, let total, let loss):
      terminal.progress("epoch \(epoch)", done: done, total: total, started: started, extra: "loss \(format(loss, 4))")
    case .epochEnded(let metrics):
      var line =
        "epoch \(metrics.epoch): train loss \(format(metrics.trainLoss, 4)) acc \(format(100 * metrics.trainAccuracy, 2))%"
      if let loss = metrics.validationLoss, let accuracy = metrics.validationAccuracy {
        line += " | val loss \(format(loss, 4)) acc \(format(100 * accuracy, 2))%"
      }
      line += " | margin \(format(metrics.meanMargin, 3)) | \(format(metrics.seconds, 2))s"
      terminal.note(line)
    }
  }
}
