import RewardCore

/// Settings of Bradley–Terry training; every field is recorded in the checkpoint.
public struct TrainingConfiguration: Sendable, Equatable {
  public var epochs = 20
  public var batchSize = 64
  public var learningRate: Float = 0.02
  public var weightDecay: Float = 0.01
  public var labelSmoothing = 0.0
  public var centerRewardsCoefficient = 0.0
  /// Use continuous labels (AlpacaEval, annotator votes) as soft targets; when false every
  /// non-tie pair counts as a hard label in its majority direction and ties are left out.
  public var softLabels = true
  /// Use the data's `margin` field in the loss (TRL's behaviour).
  public var useMargins = true
  /// Share of pairs held out for early stopping and reported metrics.
  public var validationFraction = 0.1
  /// Epochs without a better validation loss before stopping.
  public var patience = 3
  public var seed: UInt64 = 0
  /// Resample the training pairs with replacement before training (ensemble members).
  public var bootstrap = false

  public init() {}

  public func validate() throws(ConfigurationError) {
    guard epochs >= 1 else { throw ConfigurationError("epochs must be ≥ 1, got \(epochs)") }
    guard batchSize >= 1 else { throw ConfigurationError("batch size must be ≥ 1, got \(batchSize)") }
    guard learningRate > 0 && learningRate.isFinite else { throw ConfigurationError("learning rate must be > 0") }
    guard weightDecay >= 0 else { throw ConfigurationError("weight decay must be ≥ 0") }
    guard (0..<0.5).contains(labelSmoothing) else { throw ConfigurationError("label smoothing must be in [0, 0.5)") }
    guard centerRewardsCoefficient >= 0 else { throw ConfigurationError("center-rewards coefficient must be ≥ 0") }
    guard (0..<1).contains(validationFraction) else {
      throw ConfigurationError("validation fraction must be in [0, 1)")
    }
    guard patience >= 1 else { throw ConfigurationError("patience must be ≥ 1") }
  }

  public var json: JSONValue {
    [
      "epochs": .int(Int64(epochs)), "batch_size": .int(Int64(batchSize)),
      "learning_rate": .double(Double(learningRate)), "weight_decay": .double(Double(weightDecay)),
      "label_smoothing": .double(labelSmoothing), "center_rewards_coefficient": .double(centerRewardsCoefficient),
      "soft_labels": .bool(softLabels), "use_margins": .bool(useMargins),
      "validation_fraction": .double(validationFraction), "patience": .int(Int64(patience)),
      "seed": .int(Int64(bitPattern: seed)), "bootstrap": .bool(bootstrap),
    ]
  }
}
