import Foundation
import RewardCore
import RewardData
import RewardFeatures
import Testing

@testable import RewardHeads

@Suite struct RegressionTests {
  @Test func gradientMatchesFiniteDifferencesWithMaskedRatingsAndPairs() {
    var g = SeededGenerator(seed: 21)
    let dimension = 4
    func dense() -> FeatureVector { FeatureVector(dense: (0..<dimension).map { _ in Float(g.nextGaussian()) }) }
    let samples: [RatingSample] = [
      .rated(dense(), [1, nil, 3]), .rated(dense(), [nil, 2, 0]), .rated(dense(), [4, 4, nil]),
      .pair(FeaturePair(chosen: dense(), rejected: dense(), chosenProbability: 0.8, margin: 0.3)),
      .pair(FeaturePair(chosen: dense(), rejected: dense())),
    ]
    let objective = RegressionObjective(dimension: dimension, coefficients: [0.5, 1, -0.4], pairWeight: 0.7)
    let parameters = (0..<objective.parameterCount).map { _ in Float(0.3 * g.nextGaussian()) }
    expectGradientMatchesFiniteDifferences(objective, samples: samples, parameters: parameters)
  }

  @Test func recoversLinearRatingsAndIgnoresMissingOnes() throws {
    // y_0 = 2 + x_0 − x_1; y_1 = 1 + 0.5·x_2, each missing a third of the time.
    var g = SeededGenerator(seed: 4)
    var samples: [RatingSample] = []
    for i in 0..<600 {
      let x = (0..<3).map { _ in g.nextGaussian() }
      let y0: Double? = i % 3 == 0 ? nil : 2 + x[0] - x[1]
      let y1: Double? = i % 3 == 1 ? nil : 1 + 0.5 * x[2]
      samples.append(.rated(FeatureVector(dense: x.map(Float.init)), [y0, y1]))
    }
    var configuration = TrainingConfiguration()
    configuration.epochs = 80
    configuration.learningRate = 0.05
    configuration.weightDecay = 0
    configuration.validationFraction = 0
    let objective = RegressionObjective(dimension: 3, coefficients: [1, 0])
    let fit = try ObjectiveTrainer(configuration: configuration).train(objective, train: samples, validation: [])
    let expected: [Float] = [1, -1, 0, 0, 0, 0.5, 2, 1]  // W row 0, W row 1, b
    for (value, target) in zip(fit.parameters, expected) { #expect(abs(value - target) < 0.05) }
  }

  @Test func ratingColumnsParseNamesFieldsAndLabelMaps() throws {
    #expect(try RatingColumn(parsing: "helpfulness") == RatingColumn(attribute: "helpfulness"))
    #expect(try RatingColumn(parsing: "score=rating") == RatingColumn(attribute: "score", field: "rating"))
    let mapped = try RatingColumn(parsing: "compliance=final_label:1_full_compliance=1,2_full_refusal=0")
    #expect(mapped.field == "final_label")
    #expect(mapped.labels == ["1_full_compliance": 1, "2_full_refusal": 0])
    #expect(throws: ConfigurationError.self) { try RatingColumn(parsing: "x=y:bad") }
  }

  @Test func readsXSTestLabelsThroughAMapping() throws {
    let column = try RatingColumn(
      parsing: "compliance=final_label:1_full_compliance=1,2_full_refusal=0,3_partial_refusal=0.5")
    let data = try RatedReader.read(
      [SharedData.path("data/safety/xstest-v2-completions-gpt4.csv")], columns: [column], responseField: "completion")
    #expect(data.samples.count == 450)
    #expect(data.samples.count(where: { $0.ratings == [1] }) == 230)
    #expect(data.samples.count(where: { $0.ratings == [0] }) == 211)
    #expect(data.samples.count(where: { $0.ratings == [0.5] }) == 9)
    // An unmapped label is an error naming the field.
    let partial = try RatingColumn(parsing: "compliance=final_label:1_full_compliance=1")
    let error = #expect(throws: InputError.self) {
      try RatedReader.read(
        [SharedData.path("data/safety/xstest-v2-completions-gpt4.csv")], columns: [partial], responseField: "completion"
      )
    }
    #expect(error?.kind == .invalidValue && error?.location.field == "final_label")
  }

  @Test func regressionCheckpointRoundTrips() async throws {
    let column = try RatingColumn(
      parsing: "compliance=final_label:1_full_compliance=1,2_full_refusal=0,3_partial_refusal=0.5")
    let rated = try RatedReader.read(
      [SharedData.path("data/safety/xstest-v2-completions-gpt4.csv")], columns: [column], responseField: "completion")
    var features = HashedNGramFeaturizer.Configuration()
    features.buckets = 1 << 12
    var configuration = TrainingConfiguration()
    configuration.epochs = 3
    let checkpoint = try await train(
      RegressionFamily(rewardWeights: ["compliance": 1]), data: TrainingData(rated: rated),
      featurizer: try HashedNGramFeaturizer(features), configuration: configuration
    ).checkpoint
    let directory = NSTemporaryDirectory() + "rewardkit-regression-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try checkpoint.save(to: directory)
    let candidates = rated.samples.prefix(10).map(\.candidate)
    let before = try await checkpoint.rewardModel(name: "a").score(Array(candidates))
    let after = try await Checkpoint.load(from: directory).rewardModel(name: "b").score(Array(candidates))
    #expect(before == after)
    #expect(after.allSatisfy { $0.components.map(\.name) == ["compliance"] })
  }
}

@Suite struct OrdinalRegressionTests {
  @Test func ordinalGradientMatchesFiniteDifferences() {
    var g = SeededGenerator(seed: 31)
    let dimension = 3
    func dense() -> FeatureVector { FeatureVector(dense: (0..<dimension).map { _ in Float(g.nextGaussian()) }) }
    let samples: [RatingSample] = [
      .rated(dense(), [0, 4]), .rated(dense(), [2, nil]), .rated(dense(), [nil, 3]), .rated(dense(), [4, 1]),
      .pair(FeaturePair(chosen: dense(), rejected: dense())),
    ]
    let objective = RegressionObjective(dimension: dimension, coefficients: [1, 0.5], ordinalLevels: 5)
    var parameters = objective.initialParameters(seed: 1)
    for i in 0..<(2 * dimension) { parameters[i] = Float(0.5 * g.nextGaussian()) }
    for i in objective.thresholdOffset..<parameters.count { parameters[i] += Float(0.3 * g.nextGaussian()) }
    expectGradientMatchesFiniteDifferences(objective, samples: samples, parameters: parameters)
  }

  @Test func ordinalLossLearnsGradesOfALatentScore() throws {
    // Grade = how many of the cut points −1.5, −0.5, 0.5, 1.5 the latent 2·x₀ passes.
    var g = SeededGenerator(seed: 12)
    var samples: [RatingSample] = []
    for _ in 0..<800 {
      let x = [g.nextGaussian(), g.nextGaussian()]
      let latent = 2 * x[0]
      let grade = [-1.5, -0.5, 0.5, 1.5].count(where: { $0 < latent })
      samples.append(.rated(FeatureVector(dense: x.map(Float.init)), [Double(grade)]))
    }
    var configuration = TrainingConfiguration()
    configuration.epochs = 60
    configuration.learningRate = 0.05
    configuration.weightDecay = 0
    configuration.validationFraction = 0
    let objective = RegressionObjective(dimension: 2, coefficients: [1], ordinalLevels: 5)
    let fit = try ObjectiveTrainer(configuration: configuration).train(
      objective, train: Array(samples[..<600]), validation: [])
    let heldOut = objective.evaluate(fit.parameters, Array(samples[600...]))
    #expect(heldOut.accuracy > 0.85, "ordinal grade accuracy \(heldOut.accuracy)")
    let theta = fit.parameters.withUnsafeBufferPointer { objective.thresholds($0, 0) }
    #expect(theta == theta.sorted())
  }
}
