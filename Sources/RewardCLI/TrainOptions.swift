import ArgumentParser
import RewardBackbones
import RewardCore
import RewardData
import RewardFeatures
import RewardHeads
import RewardLM

// `reward train`'s options, one group per head family. Every default comes from the library
// type the group configures (`TrainingConfiguration`, the families), so it is declared once.

private let defaults = TrainingConfiguration()

/// Settings every head trains with: `TrainingConfiguration`.
struct TrainingOptions: ParsableArguments {
  @Option(help: "Seed for the split, shuffles and initialisation (same seed and data → same checkpoint).")
  var seed: UInt64 = defaults.seed

  @Option(help: "Maximum number of epochs.")
  var epochs = defaults.epochs

  @Option(help: "Pairs per mini-batch.")
  var batchSize = defaults.batchSize

  @Option(help: "AdamW learning rate.")
  var learningRate: Float = defaults.learningRate

  @Option(help: "AdamW decoupled weight decay.")
  var weightDecay: Float = defaults.weightDecay

  @Option(help: "Label smoothing ε: targets become 1 − ε / ε.")
  var labelSmoothing = defaults.labelSmoothing

  @Option(help: "Coefficient of the reward-centring term c·(r_c + r_r)² (TRL's center_rewards_coefficient).")
  var centerRewards = defaults.centerRewardsCoefficient

  @Flag(help: "Treat continuous preferences as hard labels (majority direction) and leave ties out.")
  var hardLabels = !defaults.softLabels

  @Flag(help: "Ignore the data's margin field.")
  var noMargins = !defaults.useMargins

  @Option(help: "Share of pairs held out for validation and early stopping.")
  var validationFraction = defaults.validationFraction

  @Option(help: "Epochs without validation improvement before stopping.")
  var patience = defaults.patience

  @Flag(help: "Resample the training pairs with replacement (always on for ensemble members).")
  var bootstrap = defaults.bootstrap

  var configuration: TrainingConfiguration {
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
}

/// How an ensemble aggregates its members' rewards.
enum AggregateChoice: String, ExpressibleByArgument, CaseIterable {
  case mean, min, conservative
}

struct BradleyTerryOptions: ParsableArguments {
  @Flag(help: "Fit a temperature on the validation split so σ((r_c − r_r)/T) is calibrated; reports ECE before/after.")
  var calibrate = false

  @Option(help: "Ensemble members: heads from different seeds and bootstrap resamples.")
  var members = EnsembleFamily().members

  @Option(help: "How an ensemble aggregates its members: mean, min (worst case) or conservative (mean − k·std).")
  var aggregate = AggregateChoice.mean

  @Option(help: "k of the conservative aggregation mean − k·std.")
  var conservativeK = 1.0

  var ensemble: EnsembleFamily {
    let aggregation: EnsembleAggregation =
      switch aggregate {
      case .mean: .mean
      case .min: .minimum
      case .conservative: .conservative(k: conservativeK)
      }
    return EnsembleFamily(members: members, aggregation: aggregation, calibrate: calibrate)
  }
}

struct PreferenceEmbeddingOptions: ParsableArguments {
  @Option(help: "Preference-embedding blocks k: each response maps to 2k numbers.")
  var blocks = PreferenceEmbeddingFamily().blocks

  @Option(help: "Temperature τ of the preference-embedding score ⟨v_a, R v_b⟩ / τ.")
  var gpmTemperature = PreferenceEmbeddingFamily().temperature

  @Flag(help: "Scale each preference-embedding block by a prompt-dependent gate.")
  var gated = PreferenceEmbeddingFamily().gated

  var family: PreferenceEmbeddingFamily {
    PreferenceEmbeddingFamily(blocks: blocks, temperature: gpmTemperature, gated: gated)
  }
}

struct MixtureOptions: ParsableArguments {
  @Option(help: "Reward heads in the mixture; annotator ids, if the data has them, adapt the router.")
  var mixtureHeads = MixtureFamily().heads
}

/// The regression loss.
enum LossChoice: String, ExpressibleByArgument, CaseIterable {
  case mse, ordinal
}

struct RegressionOptions: ParsableArguments {
  @Option(
    name: .customLong("attribute"),
    help: """
      A rated attribute: NAME, NAME=FIELD, or NAME=FIELD:LABEL=VALUE,… to map labels to numbers. \
      Repeat for several. Default: HelpSteer2's five.
      """)
  var attributes: [String] = []

  @Option(help: "Rated-response files for --head bt+regression and armo (the positional files are the pairs).")
  var ratings: [String] = []

  @Option(help: "Field holding the rated response (e.g. `completion` for XSTest).")
  var responseField = "response"

  @Option(help: "How attributes combine into the reward, e.g. helpfulness=1,verbosity=-0.2 (default: the first, 1).")
  var rewardWeights: String?

  @Option(help: "Weight of the Bradley–Terry term against the regression term (bt+regression).")
  var pairWeight = BradleyTerryRegressionFamily().pairWeight

  @Option(help: "Regression loss: mse, or ordinal over grades 0…--levels−1 (cumulative-link logistic).")
  var loss = LossChoice.mse

  @Option(help: "Number of grades for --loss ordinal (HelpSteer2: 5).")
  var levels = 5

  func columns() throws(ConfigurationError) -> [RatingColumn] {
    guard !attributes.isEmpty else { return RatingColumn.helpSteer2 }
    return try attributes.map { text throws(ConfigurationError) in try RatingColumn(parsing: text) }
  }

  /// `--reward-weights` as attribute → weight (names are checked against the data later).
  func parsedRewardWeights() throws(ConfigurationError) -> [String: Double] {
    guard let rewardWeights else { return [:] }
    var weights: [String: Double] = [:]
    for entry in rewardWeights.split(separator: ",") {
      let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, let value = Double(parts[1]), value.isFinite else {
        throw ConfigurationError("--reward-weights: '\(entry)' should be ATTRIBUTE=NUMBER")
      }
      guard weights.updateValue(value, forKey: parts[0]) == nil else {
        throw ConfigurationError("--reward-weights: '\(parts[0])' is given twice")
      }
    }
    return weights
  }

  var family: RegressionFamily {
    get throws(ConfigurationError) {
      RegressionFamily(
        rewardWeights: try parsedRewardWeights(), loss: loss == .ordinal ? .ordinal(levels: levels) : .mse)
    }
  }
}

struct ArmoOptions: ParsableArguments {
  @Option(help: "The rated attribute that measures verbosity; the others are decorrelated from it.")
  var verbosityAttribute: String?

  @Option(help: "Decorrelate until |Spearman(objective, verbosity)| is below this.")
  var correlationThreshold = ArmoFamily().correlationThreshold

  @Option(help: "Hidden units of the gating MLP.")
  var gateHidden = ArmoFamily().gateHidden

  @Option(help: "Softmax temperature of the gate.")
  var gateTemperature = ArmoFamily().gateTemperature

  var family: ArmoFamily {
    ArmoFamily(
      verbosityAttribute: verbosityAttribute, correlationThreshold: correlationThreshold, gateHidden: gateHidden,
      gateTemperature: gateTemperature)
  }
}

/// Which featurizer turns texts into features: a frozen encoder backbone or the hashed n-grams.
struct FeaturizerChoice: ParsableArguments {
  @Option(
    help: """
      Frozen backbone as featurizer: `minilm` (after `reward backbone fetch minilm`) or a local \
      BERT-family Hugging Face directory; a decoder LM — `smollm2`, a .gguf file or a \
      Llama/Qwen2/Qwen3/Mistral directory — whose hidden states become the features; or an \
      engine's /v1/embeddings as `engine:URL#MODEL` (e.g. engine:http://127.0.0.1:8000/v1#BAAI/bge-m3). \
      Without it, the built-in hashed n-gram featurizer is used.
      """)
  var backbone: String?

  @Option(
    help: "Token budget of the backbone (encoder: last user turn + response, at most 512; LM: prompt + response).")
  var maxTokens = EncoderFeaturizer.defaultTokenBudget

  @Option(help: "Texts per /v1/embeddings request for an engine backbone.")
  var embeddingBatchSize = EngineEmbeddingFeaturizer.defaultBatchSize

  @Option(
    help: "LM backbones: the hidden-state layer (0 = embeddings … the layer count = after the final norm, default).")
  var lmLayer: Int?

  @Option(help: "LM backbones: pool the hidden states at the last token (`last`, default) or over all tokens (`mean`).")
  var lmPooling: String = HiddenStatePooling.lastToken.rawValue

  func make(hashed: FeaturizerOptions) async throws -> any Featurizer {
    guard let backbone else { return try hashed.makeFeaturizer() }
    if let engine = try EngineEmbeddingFeaturizer.configuration(fromBackbone: backbone) {
      return try await EngineEmbeddingFeaturizer.probing(configuration: engine, batchSize: embeddingBatchSize)
    }
    if LanguageModelLoader.isLanguageModel(backbone) {
      guard let pooling = HiddenStatePooling(rawValue: lmPooling) else {
        throw ValidationError("--lm-pooling must be `last` or `mean`, got '\(lmPooling)'")
      }
      return try LanguageModelLoader.featurizer(
        backbone: backbone, layer: lmLayer, pooling: pooling, tokenBudget: maxTokens)
    }
    return try EncoderFeaturizer(backbone: backbone, tokenBudget: maxTokens)
  }
}
