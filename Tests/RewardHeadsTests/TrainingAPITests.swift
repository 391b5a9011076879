import Foundation
import RewardCore
import RewardData
import RewardFeatures
import Testing

@testable import RewardHeads

/// The one training API: every family trains through `train(_:data:featurizer:configuration:)`
/// on real data and records what it trained.
@Suite struct TrainingAPITests {
  static let llmbar = SharedData.path("data/preference/llmbar-natural.json")
  static let xstest = SharedData.path("data/safety/xstest-v2-completions-gpt4.csv")

  func pairs() throws -> PreferenceDataset { try PreferenceReader.read([Self.llmbar]) }

  func rated() throws -> RatedDataset {
    let column = try RatingColumn(
      parsing: "compliance=final_label:1_full_compliance=1,2_full_refusal=0,3_partial_refusal=0.5")
    return try RatedReader.read([Self.xstest], columns: [column], responseField: "completion")
  }

  func smallFeaturizer() throws -> HashedNGramFeaturizer {
    var features = HashedNGramFeaturizer.Configuration()
    features.buckets = 1 << 10
    return try HashedNGramFeaturizer(features)
  }

  func data(for family: any HeadFamily) throws -> TrainingData {
    switch type(of: family).input {
    case .pairs: TrainingData(pairs: try pairs())
    case .rated: TrainingData(rated: try rated())
    case .pairsAndRated: TrainingData(pairs: try pairs(), rated: try rated())
    }
  }

  static let families: [any HeadFamily] = [
    BradleyTerryFamily(), EnsembleFamily(members: 2), PreferenceEmbeddingFamily(blocks: 2), MixtureFamily(),
    RegressionFamily(), BradleyTerryRegressionFamily(), ArmoFamily(gateHidden: 4),
  ]

  @Test func everyRegisteredFamilyIsCovered() {
    #expect(HeadFamilies.names == ["bt", "ensemble", "gpm", "mixture", "regression", "bt+regression", "armo"])
    #expect(Self.families.map(\.name) == HeadFamilies.names)
  }

  /// Before this API, gpm and mixture checkpoints recorded "objective": "bradley-terry".
  @Test(arguments: TrainingAPITests.families.indices)
  func trainsAndRecordsItsTrueObjective(_ index: Int) async throws {
    let family = Self.families[index]
    var configuration = TrainingConfiguration()
    configuration.epochs = 2
    let trained = try await train(
      family, data: try data(for: family), featurizer: try smallFeaturizer(), configuration: configuration)
    let record = try #require(trained.checkpoint.training.objectValue)
    let expected = [
      "bt": "bradley-terry", "ensemble": "bradley-terry", "gpm": "general-preference",
      "mixture": "mixture-of-bradley-terry", "regression": "regression", "bt+regression": "bradley-terry+regression",
      "armo": "armo",
    ]
    #expect(record["objective"]?.stringValue == expected[family.name])
    #expect(record["head_family"]?.stringValue == family.name)
    #expect(trained.result.history.count >= 1)

    let directory = NSTemporaryDirectory() + "rewardkit-family-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try trained.checkpoint.save(to: directory)
    let loaded = try Checkpoint.load(from: directory)
    #expect(type(of: loaded.head).kind == type(of: trained.checkpoint.head).kind)
    #expect(loaded.training.objectValue?["objective"] == record["objective"])
  }

  @Test func dataTheFamilyDoesNotReadIsAnError() async throws {
    let error = await #expect(throws: ConfigurationError.self) {
      try await train(ArmoFamily(), data: TrainingData(pairs: try pairs()), featurizer: try smallFeaturizer())
    }
    #expect(error?.message.contains("armo head needs rated responses") == true)
  }

  @Test func familySettingsAreCheckedBeforeTraining() async throws {
    for family in [
      EnsembleFamily(members: 1) as any HeadFamily, PreferenceEmbeddingFamily(blocks: 0),
      PreferenceEmbeddingFamily(temperature: .nan), MixtureFamily(heads: 0),
      RegressionFamily(loss: .ordinal(levels: 1)),
      ArmoFamily(gateTemperature: -1),
    ] {
      #expect(throws: ConfigurationError.self) { try family.validate() }
    }
  }

  /// 16.4: `--learning-rate 1e30` made the loss NaN, no epoch was ever "best", and reading
  /// history[bestEpoch − 1] crashed (SIGILL).
  @Test(arguments: [0, 2])
  func divergenceIsAnErrorNamingTheEpoch(_ index: Int) async throws {
    var configuration = TrainingConfiguration()
    configuration.learningRate = 1e30
    configuration.epochs = 3
    let family = Self.families[index]
    let error = await #expect(throws: TrainingDiverged.self) {
      try await train(
        family, data: try data(for: family), featurizer: try smallFeaturizer(), configuration: configuration)
    }
    #expect(error?.epoch == 1)
    #expect(error?.description.contains("training diverged in epoch 1") == true)
    #expect(error?.description.contains("try a smaller one") == true)
  }

  @Test func hardLabelsLeaveTiesOutOnce() {
    let source = SourceLocation(file: "t")
    let pairs = [0.5, 1, 0.7].map {
      PreferencePair(prompt: [], chosen: "a", rejected: "b", chosenProbability: $0, source: source)
    }
    var configuration = TrainingConfiguration()
    #expect(configuration.usablePairs(pairs).count == 3)
    configuration.softLabels = false
    let usable = configuration.usablePairs(pairs)
    #expect(usable.map(\.chosenProbability) == [1, 0.7])
    #expect(usable.map(configuration.label(of:)) == [1, 1])
  }

  /// The split every family uses is the one the Bradley–Terry trainer always used: seeded
  /// shuffle of the indices, the first round(n·fraction) held out, nothing held out below 11.
  @Test func validationSplitIsSeededAndSkipsTinyData() {
    let items = Array(0..<100)
    let split = ValidationSplit(fraction: 0.1)
    let (train, validation) = split.split(items, seed: 7)
    #expect(validation.count == 10 && train.count == 90)
    #expect(Set(train + validation) == Set(items))
    #expect(split.split(items, seed: 7).validation == validation)
    #expect(split.split(items, seed: 8).validation != validation)
    #expect(split.split(Array(0..<10), seed: 7).validation.isEmpty)
    var generator = SeededGenerator(seed: 7)
    var order = Array(0..<100)
    generator.shuffle(&order)
    #expect(validation == Array(order.prefix(10)))
  }
}
