import Foundation
import RewardCore
import RewardData
import RewardFeatures
import Testing

@testable import RewardHeads

@Suite struct CalibrationTests {
  /// Margins drawn so that the true P(chosen ≻ rejected) is σ(d / 2): the fit must find T ≈ 2.
  @Test func temperatureFitRecoversAKnownTemperature() {
    var g = SeededGenerator(seed: 9)
    var margins: [Double] = []
    var targets: [Double] = []
    for _ in 0..<20_000 {
      let d = 3 * g.nextGaussian()
      margins.append(d)
      targets.append(g.nextUnit() < sigmoid(d / 2) ? 1 : 0)
    }
    let temperature = TemperatureCalibration.fit(margins: margins, targets: targets)
    #expect(abs(temperature - 2) < 0.1)
    let before = TemperatureCalibration.expectedCalibrationError(margins: margins, targets: targets)
    let after = TemperatureCalibration.expectedCalibrationError(
      margins: margins, targets: targets, temperature: temperature)
    #expect(after < before / 3)
  }

  @Test func eceOfAPerfectlyCalibratedHandComputedCase() {
    // Two pairs at σ(d) = 0.75 (one right, one wrong direction of the label) in one bin:
    // confidence 0.75, accuracy 0.5 → ECE 0.25.
    let d = log(3.0)
    let ece = TemperatureCalibration.expectedCalibrationError(margins: [d, d], targets: [1, 0])
    #expect(abs(ece - 0.25) < 1e-12)
  }
}

@Suite struct EnsembleTests {
  func tinyData() throws -> PreferenceDataset {
    try PreferenceReader.read(
      [SharedData.path("data/preference/llmbar-adversarial-neighbor.json")])
  }

  @Test func ensembleSavesLoadsAndReportsUncertainty() async throws {
    var features = HashedNGramFeaturizer.Configuration()
    features.buckets = 1 << 12
    var configuration = TrainingConfiguration()
    configuration.epochs = 4
    let checkpoint = try await train(
      EnsembleFamily(members: 3, aggregation: .conservative(k: 1), calibrate: true),
      data: TrainingData(pairs: tinyData()), featurizer: try HashedNGramFeaturizer(features),
      configuration: configuration
    ).checkpoint
    let directory = NSTemporaryDirectory() + "rewardkit-ensemble-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try checkpoint.save(to: directory)
    let loaded = try Checkpoint.load(from: directory)
    let ensemble = try #require(loaded.head as? EnsembleHead)
    #expect(ensemble.members.count == 3)
    #expect(ensemble.aggregation == .conservative(k: 1))
    #expect(loaded.temperature == checkpoint.temperature)

    let model = try loaded.rewardModel(name: "ensemble")
    let candidates = try tinyData().pairs.prefix(20).map(\.chosenCandidate)
    let rewards = try await model.score(Array(candidates))
    let original = try await checkpoint.rewardModel(name: "original").score(Array(candidates))
    #expect(rewards == original)  // loading gives identical scores
    for reward in rewards {
      let members = reward.components.map(\.value)
      #expect(members.count == 3)
      let (mean, std) = meanAndStandardDeviation(members)
      #expect(abs(reward.uncertainty! - std) < 1e-9)
      #expect(abs(reward.value - (mean - std)) < 1e-9)
      // Members differ (seeds and bootstrap), so there is real uncertainty.
      #expect(std > 0)
    }
  }

  @Test func singleHeadCheckpointRoundTripsExactly() async throws {
    let checkpoint = try await train(
      BradleyTerryFamily(), data: TrainingData(pairs: tinyData()), featurizer: try HashedNGramFeaturizer()
    ).checkpoint
    let directory = NSTemporaryDirectory() + "rewardkit-bt-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try checkpoint.save(to: directory)
    let candidates = try tinyData().pairs.map(\.rejectedCandidate)
    let before = try await checkpoint.rewardModel(name: "a").score(candidates)
    let after = try await Checkpoint.load(from: directory).rewardModel(name: "b").score(candidates)
    #expect(before == after)
  }

  @Test func loadingRejectsBrokenCheckpoints() throws {
    let directory = NSTemporaryDirectory() + "rewardkit-broken-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect(throws: ConfigurationError.self) { try Checkpoint.load(from: directory) }
    let config =
      #"{"format": "rewardkit-checkpoint", "head": {"kind": "bradley-terry-linear", "dimension": 4}, "featurizer": {"kind": "hashed-ngrams"}}"#
    try config.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
    try SafeTensorsWriterShim.write(values: [1, 2, 3], to: directory + "/model.safetensors")
    let error = #expect(throws: ConfigurationError.self) { try Checkpoint.load(from: directory) }
    #expect(error?.message.contains("has 3 values, config.json says 4") == true)
    let unknown = config.replacingOccurrences(of: "bradley-terry-linear", with: "mystery")
    try unknown.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
    let kindError = #expect(throws: ConfigurationError.self) { try Checkpoint.load(from: directory) }
    #expect(kindError?.message.contains("unknown head 'mystery'") == true)
  }
}

@Suite struct StrengthPolicyTests {
  let source = SourceLocation(file: "t")

  func pairs() -> [PreferencePair] {
    (0..<4).map { PreferencePair(prompt: [], chosen: "c\($0)", rejected: "r\($0)", source: source) }
  }

  let strengths = [
    PairStrength(mean: 2, std: 0.1), PairStrength(mean: -3, std: 0.2), PairStrength(mean: 0.2, std: 1),
    PairStrength(mean: -0.5, std: 0.3),
  ]

  @Test func flipsSuspectsAndSetsAdaptiveMargins() {
    let outcome = StrengthPolicy(suspectBelow: -1, action: .flip, adaptiveMarginScale: 0.5).apply(
      pairs(), strengths: strengths)
    #expect(outcome.suspects == 1 && outcome.flipped == 1)
    #expect(outcome.pairs[1].pair.chosen == "r1")
    #expect(outcome.pairs.map(\.pair.margin) == [1, 1.5, 0.1, 0])
  }

  @Test func dropsSuspectsAndSmoothsWeakPairs() {
    let outcome = StrengthPolicy(suspectBelow: -1, action: .drop, smoothBelow: 0.5, smoothing: 0.2).apply(
      pairs(), strengths: strengths)
    #expect(outcome.dropped == 1)
    #expect(outcome.pairs.map(\.pair.chosen) == ["c0", "c2", "c3"])
    #expect(outcome.pairs.map(\.pair.chosenProbability) == [1, 0.8, 0.8])
    #expect(outcome.smoothed == 2)
  }
}
