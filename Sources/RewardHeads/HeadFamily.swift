import Foundation
import RewardCore
import RewardData
import RewardFeatures

/// One family of trainable heads (Bradley–Terry, ensembles, preference embeddings, …): its own
/// settings, the data it reads, and how it turns that data into a checkpoint. Every family
/// trains through `train(_:data:featurizer:configuration:progress:)`; adding a family is one
/// type conforming to this protocol and one line in `HeadFamilies.all`.
public protocol HeadFamily: Sendable {
  /// The family's name (`reward train --head NAME`), recorded in the checkpoint as `head_family`.
  static var name: String { get }
  /// What the family's positional data files hold, and whether it also reads rated responses.
  static var input: TrainingInput { get }
  /// The training objective, recorded in the checkpoint as `objective`.
  var objective: String { get }
  /// Checks the family's own settings, before any data is read.
  func validate() throws(ConfigurationError)
  /// Trains on `data` (already checked to hold what `input` asks for).
  func train(
    _ data: TrainingData, featurizer: any Featurizer, configuration: TrainingConfiguration,
    progress: (@Sendable (TrainingEvent) -> Void)?
  ) async throws -> TrainedModel
}

extension HeadFamily {
  public func validate() throws(ConfigurationError) {}
  public var name: String { Self.name }
}

/// The data kinds a family reads.
public enum TrainingInput: Sendable, Equatable {
  /// Preference pairs only.
  case pairs
  /// Rated responses only.
  case rated
  /// Preference pairs and rated responses.
  case pairsAndRated
}

/// What training reads: preference pairs, rated responses, or both, as the family's `input` says.
public struct TrainingData: Sendable {
  public var pairs: PreferenceDataset?
  public var rated: RatedDataset?

  public init(pairs: PreferenceDataset? = nil, rated: RatedDataset? = nil) {
    self.pairs = pairs
    self.rated = rated
  }

  /// The pairs, or an error naming the family that needs them.
  public func requirePairs(_ family: String) throws(ConfigurationError) -> PreferenceDataset {
    guard let pairs else { throw ConfigurationError("the \(family) head trains on preference pairs; none were given") }
    return pairs
  }

  /// The rated responses, or an error naming the family that needs them.
  public func requireRated(_ family: String) throws(ConfigurationError) -> RatedDataset {
    guard let rated else { throw ConfigurationError("the \(family) head needs rated responses; none were given") }
    return rated
  }
}

/// A trained head as a checkpoint, with the run's history and timings.
public struct TrainedModel: Sendable {
  public var checkpoint: Checkpoint
  public var result: TrainingResult

  public init(checkpoint: Checkpoint, result: TrainingResult) {
    self.checkpoint = checkpoint
    self.result = result
  }
}

/// The one registry of trainable families.
public enum HeadFamilies {
  public static let all: [any HeadFamily.Type] = [
    BradleyTerryFamily.self, EnsembleFamily.self, PreferenceEmbeddingFamily.self, MixtureFamily.self,
    RegressionFamily.self, BradleyTerryRegressionFamily.self, ArmoFamily.self,
  ]

  public static var names: [String] { all.map { $0.name } }
}

/// Trains any head family: the library call behind `reward train`. Checks the configuration, the
/// family's settings and that `data` holds what the family reads, then trains.
public func train(
  _ family: some HeadFamily, data: TrainingData, featurizer: any Featurizer,
  configuration: TrainingConfiguration = TrainingConfiguration(),
  progress: (@Sendable (TrainingEvent) -> Void)? = nil
) async throws -> TrainedModel {
  try configuration.validate()
  try family.validate()
  switch type(of: family).input {
  case .pairs: _ = try data.requirePairs(family.name)
  case .rated: _ = try data.requireRated(family.name)
  case .pairsAndRated:
    _ = try data.requirePairs(family.name)
    _ = try data.requireRated(family.name)
  }
  return try await family.train(data, featurizer: featurizer, configuration: configuration, progress: progress)
}

/// The seeded train/validation split every family uses: shuffle the indices, hold out the first
/// `fraction` of them (rounded). Data sets smaller than `minimumCount` are not split.
public struct ValidationSplit: Sendable {
  public var fraction: Double
  public var minimumCount: Int

  public init(fraction: Double, minimumCount: Int = 11) {
    self.fraction = fraction
    self.minimumCount = minimumCount
  }

  public func validationCount(of count: Int) -> Int {
    count >= minimumCount ? Int((Double(count) * fraction).rounded()) : 0
  }

  /// Index order and validation count, drawing the shuffle from `generator` (some families
  /// split twice from one generator).
  public func indices(count: Int, using generator: inout SeededGenerator) -> (train: [Int], validation: [Int]) {
    var order = Array(0..<count)
    generator.shuffle(&order)
    let held = validationCount(of: count)
    return (Array(order.dropFirst(held)), Array(order.prefix(held)))
  }

  public func split<T>(_ items: [T], using generator: inout SeededGenerator) -> (train: [T], validation: [T]) {
    let (train, validation) = indices(count: items.count, using: &generator)
    return (train.map { items[$0] }, validation.map { items[$0] })
  }

  public func split<T>(_ items: [T], seed: UInt64) -> (train: [T], validation: [T]) {
    var generator = SeededGenerator(seed: seed)
    return split(items, using: &generator)
  }
}

extension TrainingConfiguration {
  /// The pairs training uses: all of them with soft labels; without, ties are left out (they
  /// carry no direction for a hard label).
  public func usablePairs(_ pairs: [PreferencePair]) -> [PreferencePair] {
    softLabels ? pairs : pairs.filter { !$0.isTie }
  }

  /// The training target P(chosen ≻ rejected) of a usable pair.
  public func label(of pair: PreferencePair) -> Double {
    softLabels ? pair.chosenProbability : 1
  }

  var split: ValidationSplit { ValidationSplit(fraction: validationFraction) }
}

/// The `training` object of a checkpoint: what every family records, plus its own fields.
public func trainingRecord(
  _ family: some HeadFamily, configuration: TrainingConfiguration, pairs: PreferenceDataset?,
  extra: JSONObject = JSONObject()
) -> JSONValue {
  var record = JSONObject([
    ("objective", .string(family.objective)), ("head_family", .string(family.name)),
    ("configuration", configuration.json),
  ])
  if let pairs {
    record["data"] = .array(
      pairs.files.map { ["path": .string($0.path), "format": .string($0.format.rawValue)] })
    record["data_pairs"] = .int(Int64(pairs.allPairs.count))
    record["skipped_records"] = .int(Int64(pairs.skipped.count))
    record["data_hash"] = .string(pairs.contentHash)
  }
  for (key, value) in extra.entries { record[key] = value }
  return .object(record)
}

extension PreferenceDataset {
  /// A stable hash of the pairs' content (not file names), to tell training data sets apart.
  public var contentHash: String {
    var hasher = StableHasher()
    for pair in allPairs {
      pair.combineTexts(into: &hasher)
      hasher.combine(String(pair.chosenProbability))
      hasher.combine(pair.margin.map { String($0) } ?? "-")
    }
    return hasher.hexDigest
  }
}
