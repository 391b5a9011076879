import ArgumentParser
import Foundation
import RewardBackbones
import RewardCore
import RewardData
import RewardFeatures
import RewardHeads

/// The learned-head families `reward train --head` can fit: one case per `HeadFamilies.all`
/// entry, with the same names (a test checks they agree).
enum HeadKind: String, ExpressibleByArgument, CaseIterable {
  case bt
  case ensemble
  case gpm
  case mixture
  case regression
  case btRegression = "bt+regression"
  case armo

  /// The family with the settings of its option group.
  func family(_ command: TrainCommand) throws(ConfigurationError) -> any HeadFamily {
    switch self {
    case .bt: BradleyTerryFamily(calibrate: command.bradleyTerry.calibrate)
    case .ensemble: command.bradleyTerry.ensemble
    case .gpm: command.preferenceEmbedding.family
    case .mixture: MixtureFamily(heads: command.mixture.mixtureHeads)
    case .regression: try command.regression.family
    case .btRegression:
      BradleyTerryRegressionFamily(regression: try command.regression.family, pairWeight: command.regression.pairWeight)
    case .armo: command.armo.family
    }
  }
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
        bt            Bradley–Terry: loss −log σ(r_c − r_r − margin) as TRL's
                      RewardTrainer, with soft labels, optional label smoothing
                      and reward centring.
        ensemble      --members Bradley–Terry heads (seeds + bootstrap); reward
                      aggregated by --aggregate, uncertainty = the members' std;
                      a pair's confidence = |mean|/std of the members' margins
                      (see `reward data strength`).
        gpm           general preference model: preference embeddings,
                      P(a ≻ b) = σ(⟨v_a, R v_b⟩/τ) with R skew-symmetric;
                      represents cyclic preferences; pairwise only (no reward).
        mixture       --mixture-heads reward heads mixed by a router on the
                      prompt (and per-annotator offsets when the data has
                      `annotator`), trained on the mixture likelihood.
        regression    one output per rated attribute (--attribute), MSE with
                      missing ratings masked; the positional files are rated
                      responses; reward = Σ c_a s_a (--reward-weights).
        bt+regression regression on --ratings plus Bradley–Terry on the
                      positional pair files.
        armo          ArmoRM: ridge probes per rated objective (--ratings, λ on
                      validation), optional decorrelation from
                      --verbosity-attribute, then a gating MLP on the prompt
                      trained with Bradley–Terry on the pairs.

      All heads train with AdamW (weight decay), mini-batches and a seeded validation split with early stopping; the same seed and data give the same checkpoint. --calibrate fits a temperature for bt and ensemble. Training stops with an error if the loss stops being a finite number (lower --learning-rate).

      The checkpoint directory (config.json + model.safetensors, with the weights' checksum) works with `reward eval` and `reward score`. It is written beside the target and renamed into place, so an interrupted run leaves the previous checkpoint intact.
      """)

  @Argument(help: "Preference files (rated-response files for --head regression).")
  var files: [String]

  @Option(help: "Checkpoint directory to write (replaced if it exists).")
  var out: String

  @Option(help: "Reward head: \(HeadKind.allCases.map(\.rawValue).joined(separator: ", ")).")
  var head: HeadKind = .bt

  @OptionGroup(title: "Training (every head)") var training: TrainingOptions
  @OptionGroup(title: "bt and ensemble heads") var bradleyTerry: BradleyTerryOptions
  @OptionGroup(title: "gpm head") var preferenceEmbedding: PreferenceEmbeddingOptions
  @OptionGroup(title: "mixture head") var mixture: MixtureOptions
  @OptionGroup(title: "regression, bt+regression and armo heads (rated data)") var regression: RegressionOptions
  @OptionGroup(title: "armo head") var armo: ArmoOptions
  @OptionGroup(title: "Featurizer") var featurizer: FeaturizerChoice
  @OptionGroup(title: "Hashed n-gram featurizer") var features: FeaturizerOptions
  @OptionGroup(title: "Reading data") var data: DataOptions

  @Flag(help: "No progress output.")
  var quiet = false

  /// Everything checkable without data: the configuration, the family's settings, and that the
  /// data the head needs was named.
  func validate() throws {
    do {
      try training.configuration.validate()
      let family = try head.family(self)
      try family.validate()
      guard type(of: family).input != .pairsAndRated || !regression.ratings.isEmpty else {
        throw ConfigurationError("--head \(head.rawValue) needs rated data: --ratings FILE")
      }
      let calibrates = bradleyTerry.calibrate
      guard !calibrates || head == .bt || head == .ensemble else {
        throw ConfigurationError("--calibrate applies to reward heads (bt, ensemble); gpm and mixture report ECE only")
      }
      guard !calibrates || training.validationFraction > 0 else {
        throw ConfigurationError("--calibrate needs a validation split (--validation-fraction > 0)")
      }
      _ = try regression.columns()
    } catch let error as ConfigurationError {
      throw ValidationError(error.message)
    }
  }

  /// Reads what the family trains on: pairs, rated responses or both.
  func readData(for input: TrainingInput, terminal: Terminal) throws -> TrainingData {
    var data = TrainingData()
    switch input {
    case .rated:
      data.rated = try readRated(files, terminal: terminal)
    case .pairsAndRated:
      data.rated = try readRated(regression.ratings, terminal: terminal)
      data.pairs = try readPairs(terminal)
    case .pairs:
      data.pairs = try readPairs(terminal)
    }
    return data
  }

  func readPairs(_ terminal: Terminal) throws -> PreferenceDataset {
    let dataset = try data.read(files, terminal: terminal)
    for file in dataset.files { terminal.note("read \(file.path) as \(file.format.rawValue)") }
    terminal.note("\(dataset.allPairs.count) pairs")
    return dataset
  }

  func readRated(_ paths: [String], terminal: Terminal) throws -> RatedDataset {
    let rated = try RatedReader.read(
      paths, columns: try regression.columns(), responseField: regression.responseField,
      skipInvalid: data.skipInvalid, allowEmptyResponses: data.allowEmpty)
    reportSkipped(rated.skipped, terminal: terminal)
    terminal.note("\(rated.samples.count) rated responses on \(rated.attributes.joined(separator: ", "))")
    return rated
  }

  func run() async throws {
    let terminal = Terminal(quiet: quiet)
    let family = try head.family(self)
    let trainingData = try readData(for: type(of: family).input, terminal: terminal)
    let featurizer = try await self.featurizer.make(hashed: features)
    let trained = try await RewardHeads.train(
      family, data: trainingData, featurizer: featurizer, configuration: training.configuration,
      progress: trainingProgress(terminal))
    try trained.checkpoint.save(to: out)
    report(trained)
  }

  private func report(_ trained: TrainedModel) {
    let (checkpoint, result) = (trained.checkpoint, trained.result)
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
    let metrics = checkpoint.metrics.objectValue ?? JSONObject()
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
