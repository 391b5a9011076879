import Foundation
import RewardCore
import RewardFeatures
import Testing

@testable import RewardHeads

/// The analytic gradient of the Bradley–Terry objective against central finite differences.
@Suite struct BradleyTerryGradientTests {
  func randomPairs(count: Int, dimension: Int, sparse: Bool, seed: UInt64) -> [FeaturePair] {
    var g = SeededGenerator(seed: seed)
    func vector() -> FeatureVector {
      if sparse {
        let indices = Array(Set((0..<5).map { _ in Int32(g.nextIndex(below: dimension)) })).sorted()
        return FeatureVector(sparseIndices: indices, values: indices.map { _ in Float(g.nextGaussian()) })
      }
      return FeatureVector(dense: (0..<dimension).map { _ in Float(g.nextGaussian()) })
    }
    return (0..<count).map { _ in
      FeaturePair(
        chosen: vector(), rejected: vector(), chosenProbability: 0.5 + 0.5 * g.nextUnit(), margin: g.nextGaussian())
    }
  }

  @Test(arguments: [
    (0.0, 0.0, false), (0.1, 0.0, false), (0.0, 0.05, false), (0.2, 0.3, true), (0.0, 0.0, true),
  ])
  func gradientMatchesFiniteDifferences(smoothing: Double, center: Double, sparse: Bool) {
    let dimension = 12
    let pairs = randomPairs(count: 9, dimension: dimension, sparse: sparse, seed: 11)
    let loss = BradleyTerryLoss(labelSmoothing: smoothing, centerRewardsCoefficient: center)
    var g = SeededGenerator(seed: 5)
    let weights = (0..<dimension).map { _ in Float(0.5 * g.nextGaussian()) }
    var gradient = [Float](repeating: 0, count: dimension)
    _ = loss.lossAndGradient(weights: weights, batch: pairs[...], gradient: &gradient)
    let h: Float = 1e-2
    for i in 0..<dimension {
      var plus = weights
      var minus = weights
      plus[i] += h
      minus[i] -= h
      var scratch = [Float](repeating: 0, count: dimension)
      let lossPlus = loss.lossAndGradient(weights: plus, batch: pairs[...], gradient: &scratch)
      let lossMinus = loss.lossAndGradient(weights: minus, batch: pairs[...], gradient: &scratch)
      let numeric = (lossPlus - lossMinus) / Double(2 * h)
      #expect(abs(numeric - Double(gradient[i])) < 2e-3, "dimension \(i): numeric \(numeric), analytic \(gradient[i])")
    }
  }

  @Test func hardLabelLossIsTRLs() {
    // −log σ(r_c − r_r − margin) for p = 1, ε = 0, no centring.
    let loss = BradleyTerryLoss()
    let pair = FeaturePair(chosen: FeatureVector(dense: [1]), rejected: FeatureVector(dense: [0]), margin: 0.5)
    let terms = loss.terms(chosenReward: 2, rejectedReward: 0.5, pair: pair)
    #expect(abs(terms.loss - (-logSigmoid(2 - 0.5 - 0.5))) < 1e-12)
  }
}

/// Training finds the optimum the objective defines.
@Suite struct BradleyTerryTrainingTests {
  func singlePairTraining(probability: Double, smoothing: Double) throws -> Double {
    // One feature that is on for chosen and off for rejected: the learned margin is the weight.
    let pair = FeaturePair(
      chosen: FeatureVector(dense: [1]), rejected: FeatureVector(dense: [0]), chosenProbability: probability)
    var configuration = TrainingConfiguration()
    configuration.epochs = 400
    configuration.batchSize = 8
    configuration.learningRate = 0.05
    configuration.weightDecay = 0
    configuration.validationFraction = 0
    configuration.labelSmoothing = smoothing
    let result = try BradleyTerryTrainer(configuration: configuration).train(
      Array(repeating: pair, count: 8), dimension: 1)
    return Double(result.weights[0])
  }

  @Test func softLabelsLearnTheirLogOdds() throws {
    // The optimum of −p log σ(z) − (1 − p) log σ(−z) is z = log(p / (1 − p)).
    #expect(abs(try singlePairTraining(probability: 0.8, smoothing: 0) - log(4)) < 0.02)
    #expect(abs(try singlePairTraining(probability: 0.5, smoothing: 0)) < 1e-6)
  }

  @Test func labelSmoothingCapsTheMargin() throws {
    #expect(abs(try singlePairTraining(probability: 1, smoothing: 0.1) - log(9)) < 0.02)
  }

  @Test func centringPullsRewardsToZero() throws {
    // Feature 1 is on for both responses: Bradley–Terry cannot see it, centring sets it.
    let pair = FeaturePair(chosen: FeatureVector(dense: [1, 1]), rejected: FeatureVector(dense: [0, 1]))
    var configuration = TrainingConfiguration()
    configuration.epochs = 300
    configuration.learningRate = 0.05
    configuration.weightDecay = 0
    configuration.validationFraction = 0
    configuration.centerRewardsCoefficient = 0.1
    let w = try BradleyTerryTrainer(configuration: configuration).train(Array(repeating: pair, count: 4), dimension: 2)
      .weights
    let (chosen, rejected) = (w[0] + w[1], w[1])
    #expect(abs(chosen + rejected) < 0.05)
    #expect(chosen - rejected > 1)
  }

  @Test func sameSeedSameWeightsOtherSeedOtherWeights() throws {
    let pairs = BradleyTerryGradientTests().randomPairs(count: 200, dimension: 30, sparse: true, seed: 3)
    var configuration = TrainingConfiguration()
    configuration.epochs = 3
    let a = try BradleyTerryTrainer(configuration: configuration).train(pairs, dimension: 30)
    let b = try BradleyTerryTrainer(configuration: configuration).train(pairs, dimension: 30)
    configuration.seed = 1
    let c = try BradleyTerryTrainer(configuration: configuration).train(pairs, dimension: 30)
    #expect(a.weights == b.weights)
    #expect(a.weights != c.weights)
    #expect(
      a.history
        == b.history.map {
          var m = $0; m.seconds = a.history[$0.epoch - 1].seconds; return m
        })
  }

  @Test func rejectsInvalidSettings() {
    var configuration = TrainingConfiguration()
    configuration.labelSmoothing = 0.7
    #expect(throws: ConfigurationError.self) {
      try BradleyTerryTrainer(configuration: configuration).train(
        [FeaturePair(chosen: FeatureVector(dense: [1]), rejected: FeatureVector(dense: [0]))], dimension: 1)
    }
  }
}
