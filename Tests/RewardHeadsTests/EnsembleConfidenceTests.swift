import Foundation
import RewardCore
import RewardData
import RewardFeatures
import Testing

@testable import RewardHeads

/// Reads a response written as space-separated numbers as its dense feature vector, so a test
/// controls exactly what the heads see.
struct NumberListFeaturizer: Featurizer {
  let dimension: Int
  var descriptor: JSONValue { ["kind": "number-list", "dimension": .int(Int64(dimension))] }

  func features(for candidates: [Candidate]) async throws -> [FeatureVector] {
    candidates.map { FeatureVector(dense: $0.response.split(separator: " ").map { Float($0)! }) }
  }
}

/// The ensemble's pair-level confidence (|mean|/std of the members' margins) must find the pairs
/// whose labels are noise; the std alone does not, because it grows with the margin.
@Suite struct EnsembleConfidenceTests {
  static let dimension = 8
  /// The true reward reads dimensions 0–3; pairs that differ only in 4–7 have coin-flip labels.
  static let truth: [Double] = [1.5, -1, 1, 0.5, 0, 0, 0, 0]

  /// Clean pairs differ in dimensions 0–3 and are labelled by the true reward; noisy pairs differ
  /// in dimensions 4–7 only and are labelled by a coin.
  static func pairs(clean: Int, noisy: Int, seed: UInt64) -> [PreferencePair] {
    var g = SeededGenerator(seed: seed)
    func vector(_ dimensions: Range<Int>) -> [Double] {
      (0..<dimension).map { dimensions.contains($0) ? g.nextGaussian() : 0 }
    }
    func text(_ values: [Double]) -> String { values.map { String(Float($0)) }.joined(separator: " ") }
    var result: [PreferencePair] = []
    for i in 0..<(clean + noisy) {
      let isNoisy = i >= clean
      let a = vector(isNoisy ? 4..<8 : 0..<4)
      let b = vector(isNoisy ? 4..<8 : 0..<4)
      let scoreA: Double = zip(a, truth).map(*).reduce(0, +)
      let scoreB: Double = zip(b, truth).map(*).reduce(0, +)
      let aWins = isNoisy ? g.nextUnit() < 0.5 : scoreA > scoreB
      let (chosen, rejected) = aWins ? (a, b) : (b, a)
      result.append(
        PreferencePair(
          prompt: [.user("p")], chosen: text(chosen), rejected: text(rejected), subset: isNoisy ? "noisy" : "clean",
          source: SourceLocation(file: "synthetic")))
    }
    return result
  }

  @Test func confidenceRanksTheNoisyPairsLeastConfident() async throws {
    let featurizer = NumberListFeaturizer(dimension: Self.dimension)
    let train = PreferenceDataset(pairs: Self.pairs(clean: 600, noisy: 600, seed: 1))
    let checkpoint = try await RewardHeads.train(
      EnsembleFamily(members: 5, aggregation: .mean), data: TrainingData(pairs: train), featurizer: featurizer
    ).checkpoint
    let head = try #require(checkpoint.head as? EnsembleHead)
    let model = try HeadRewardModel(name: "ensemble", featurizer: featurizer, head: head)

    let test = Self.pairs(clean: 150, noisy: 150, seed: 2)
    let strengths = try await PreferenceStrength.estimate(model, pairs: test)
    let isNoisy = test.map { $0.subset == "noisy" }

    // The least confident third (100 pairs) is the noisy pairs, the most confident the clean ones.
    let order = ConfidenceMeasure.signalToNoise.order(strengths)
    #expect(order.suffix(100).count(where: { isNoisy[$0] }) >= 90)
    #expect(order.prefix(100).allSatisfy { !isNoisy[$0] })
    let thirds = ConfidenceThirds(measure: .signalToNoise, strengths: strengths, labels: test.map(\.chosenProbability))
    #expect(thirds.pairsPerThird == 100)
    #expect(thirds.mostConfidentAccuracy > 0.95)
    #expect(thirds.leastConfidentAccuracy < 0.7)

    // The std alone points the wrong way: noisy pairs have small margins, so small spreads.
    let byStd = ConfidenceMeasure.standardDeviation.order(strengths)
    #expect(byStd.prefix(100).count(where: { isNoisy[$0] }) > 50)
    // Members agree on the clean pairs' direction.
    let cleanAgreement = strengths.indices.filter { !isNoisy[$0] }.map { strengths[$0].agreement }
    #expect(cleanAgreement.reduce(0, +) / Double(cleanAgreement.count) > 0.95)
  }

  @Test func thirdsOfAHandMadeCase() {
    // Six strict pairs and one tie (left out): confidence |mean|/std = 10, 5, 4, 2, 1, 0.5.
    let strengths = [
      PairStrength(mean: 1, std: 0.1), PairStrength(mean: -1, std: 0.2), PairStrength(mean: 2, std: 0.5),
      PairStrength(mean: 9, std: 0), PairStrength(mean: 0.4, std: 0.2), PairStrength(mean: -0.1, std: 0.1),
      PairStrength(mean: 0.05, std: 0.1),
    ]
    let labels = [1, 1, 1, 0.5, 1, 0, 1]
    // Strict pairs by confidence: 0 (10, right), 1 (5, wrong), 2 (4, right), 4 (2, right),
    // 5 (1, right: label 0 and mean < 0), 6 (0.5, right); thirds of two pairs each.
    let thirds = ConfidenceThirds(measure: .signalToNoise, strengths: strengths, labels: labels)
    #expect(thirds.pairsPerThird == 2)
    #expect(thirds.mostConfidentAccuracy == 0.5)
    #expect(thirds.leastConfidentAccuracy == 1)
    // By std (smallest first): 0, 5, 6 (0.1), then 1, 4 (0.2), then 2 (0.5).
    let byStd = ConfidenceThirds(measure: .standardDeviation, strengths: strengths, labels: labels)
    #expect(byStd.mostConfidentAccuracy == 1)
    #expect(byStd.leastConfidentAccuracy == 1)
    #expect(ConfidenceMeasure.margin.order(strengths).prefix(3) == [3, 2, 0])
  }

  @Test func strengthFromMembersMargins() {
    let strength = PairStrength(margins: [1, 2, -0.5, 3])
    #expect(strength.mean == 1.375)
    #expect(strength.agreement == 0.75)
    #expect(abs(strength.confidence - 1.375 / strength.std) < 1e-12)
    #expect(PairStrength(margins: [2]).confidence == .infinity)
    #expect(PairStrength(margins: [0, 0]).confidence == 0)
    #expect(PairStrength(margins: [0, 0]).agreement == 0)
  }
}
