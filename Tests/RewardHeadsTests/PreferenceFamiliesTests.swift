import Foundation
import RewardCore
import RewardFeatures
import Testing

@testable import RewardHeads

/// Gradients of the general preference model and the mixture, and the behaviour each exists for.
@Suite struct PreferenceFamiliesTests {
  func randomPairs(count: Int, dimension: Int, seed: UInt64, annotators: Int = 0) -> [FeaturePair] {
    var g = SeededGenerator(seed: seed)
    func dense() -> FeatureVector { FeatureVector(dense: (0..<dimension).map { _ in Float(g.nextGaussian()) }) }
    return (0..<count).map { _ in
      FeaturePair(
        chosen: dense(), rejected: dense(), chosenProbability: 0.5 + 0.5 * g.nextUnit(), prompt: dense(),
        annotator: annotators > 0 ? g.nextIndex(below: annotators) : nil)
    }
  }

  func checkGradient(_ objective: some PairwiseObjective, pairs: [FeaturePair], seed: UInt64) {
    var g = SeededGenerator(seed: seed)
    let parameters = (0..<objective.parameterCount).map { _ in Float(0.3 * g.nextGaussian()) }
    expectGradientMatchesFiniteDifferences(objective, samples: pairs, parameters: parameters)
  }

  @Test func preferenceEmbeddingGradient() {
    checkGradient(
      PreferenceEmbeddingObjective(dimension: 4, blocks: 2, temperature: 0.7),
      pairs: randomPairs(count: 6, dimension: 4, seed: 1),
      seed: 2)
  }

  @Test func gatedPreferenceEmbeddingGradient() {
    checkGradient(
      PreferenceEmbeddingObjective(dimension: 3, blocks: 3, gated: true),
      pairs: randomPairs(count: 6, dimension: 3, seed: 3),
      seed: 4)
  }

  @Test func mixtureGradientWithAnnotators() {
    checkGradient(
      MixtureObjective(dimension: 3, heads: 2, annotators: 3),
      pairs: randomPairs(count: 8, dimension: 3, seed: 5, annotators: 3), seed: 6)
  }

  @Test func preferenceEmbeddingsAreSkewSymmetric() {
    let objective = PreferenceEmbeddingObjective(dimension: 4, blocks: 2)
    let parameters = objective.initialParameters(seed: 1)
    for pair in randomPairs(count: 5, dimension: 4, seed: 9) {
      let forward = objective.probability(parameters, pair: pair)
      let backward = objective.probability(parameters, pair: FeaturePair(chosen: pair.rejected, rejected: pair.chosen))
      #expect(abs(forward + backward - 1) < 1e-9)
      #expect(
        abs(objective.probability(parameters, pair: FeaturePair(chosen: pair.chosen, rejected: pair.chosen)) - 0.5)
          < 1e-12)
    }
  }

  /// Rock–paper–scissors: paper ≻ rock, scissors ≻ paper, rock ≻ scissors. No scalar reward can
  /// order a cycle, so Bradley–Terry stays at chance; preference embeddings learn it.
  @Test func cyclicPreferencesBreakBradleyTerryButNotPreferenceEmbeddings() throws {
    var g = SeededGenerator(seed: 42)
    let dimension = 6
    func item(_ kind: Int) -> FeatureVector {
      var values = (0..<dimension).map { _ in Float(0.1 * g.nextGaussian()) }
      values[kind] += 1
      return FeatureVector(dense: values)
    }
    func pairs(_ count: Int) -> [FeaturePair] {
      (0..<count).map { i in
        let loser = i % 3
        return FeaturePair(chosen: item((loser + 1) % 3), rejected: item(loser))
      }
    }
    let train = pairs(600)
    let test = pairs(300)
    var configuration = TrainingConfiguration()
    configuration.epochs = 60
    configuration.learningRate = 0.05
    configuration.validationFraction = 0
    configuration.weightDecay = 0
    let bt = try BradleyTerryTrainer(configuration: configuration).train(
      train: train, validation: [], dimension: dimension)
    let btAccuracy = BradleyTerryTrainer.evaluate(bt.weights, test, loss: BradleyTerryLoss()).accuracy
    let objective = PreferenceEmbeddingObjective(dimension: dimension, blocks: 2)
    let gpm = try ObjectiveTrainer(configuration: configuration).train(objective, train: train, validation: [])
    let gpmAccuracy = objective.evaluate(gpm.parameters, test).accuracy
    #expect(btAccuracy < 0.7, "Bradley–Terry \(btAccuracy)")  // at most 2 of the 3 relations
    #expect(gpmAccuracy > 0.95, "preference embeddings \(gpmAccuracy)")
  }

  /// Two annotator groups with opposed tastes (one prefers style A, the other style B): one
  /// scalar head is at chance; a mixture with per-annotator adaptation serves both.
  @Test func mixtureServesTwoOpposedAnnotatorGroups() throws {
    var g = SeededGenerator(seed: 7)
    let dimension = 5
    func response(_ style: Int) -> FeatureVector {
      var values = (0..<dimension).map { _ in Float(0.2 * g.nextGaussian()) }
      values[style] += 1
      return FeatureVector(dense: values)
    }
    func pairs(_ count: Int) -> [FeaturePair] {
      (0..<count).map { i in
        let annotator = i % 2
        // Annotator 0 prefers style 0, annotator 1 prefers style 1.
        return FeaturePair(
          chosen: response(annotator), rejected: response(1 - annotator),
          prompt: FeatureVector(dense: [Float](repeating: 0, count: dimension)), annotator: annotator)
      }
    }
    let train = pairs(800)
    let test = pairs(400)
    var configuration = TrainingConfiguration()
    configuration.epochs = 60
    configuration.learningRate = 0.05
    configuration.validationFraction = 0
    configuration.weightDecay = 0
    let bt = try BradleyTerryTrainer(configuration: configuration).train(
      train: train, validation: [], dimension: dimension)
    let btAccuracy = BradleyTerryTrainer.evaluate(bt.weights, test, loss: BradleyTerryLoss()).accuracy
    let objective = MixtureObjective(dimension: dimension, heads: 2, annotators: 2)
    let mixture = try ObjectiveTrainer(configuration: configuration).train(objective, train: train, validation: [])
    let mixtureAccuracy = objective.evaluate(mixture.parameters, test).accuracy
    #expect(btAccuracy < 0.6, "Bradley–Terry \(btAccuracy)")
    #expect(mixtureAccuracy > 0.95, "mixture \(mixtureAccuracy)")
  }
}
