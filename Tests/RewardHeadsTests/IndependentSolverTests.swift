import Foundation
import RewardCore
import RewardData
import RewardFeatures
import Testing

@testable import RewardHeads

/// The trainer's held-out accuracy on real data matches a full-batch Newton solver of the same
/// logistic objective, written here independently of the trainer.
@Suite struct IndependentSolverTests {
  /// Newton's method for ridge logistic regression on difference vectors d = x_c − x_r with
  /// target 1: minimises Σ log(1 + exp(−w·d)) + (λ/2)|w|².
  func newton(_ differences: [[Double]], dimension: Int, lambda: Double) -> [Double] {
    var w = [Double](repeating: 0, count: dimension)
    for _ in 0..<25 {
      var gradient = w.map { lambda * $0 }
      var hessian = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: dimension)
      for i in 0..<dimension { hessian[i][i] = lambda }
      for d in differences {
        let z = zip(w, d).reduce(0) { $0 + $1.0 * $1.1 }
        let p = 1 / (1 + exp(-z))
        let nonzero = d.indices.filter { d[$0] != 0 }
        for i in nonzero {
          gradient[i] -= (1 - p) * d[i]
          for j in nonzero { hessian[i][j] += p * (1 - p) * d[i] * d[j] }
        }
      }
      let step = solve(hessian, gradient)
      for i in 0..<dimension { w[i] -= step[i] }
      if step.map(abs).max()! < 1e-9 { break }
    }
    return w
  }

  /// Cholesky solve of a symmetric positive definite system.
  func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
    let n = b.count
    var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in 0...i {
        var sum = a[i][j]
        for k in 0..<j { sum -= l[i][k] * l[j][k] }
        l[i][j] = i == j ? sum.squareRoot() : sum / l[j][j]
      }
    }
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n { y[i] = (b[i] - (0..<i).reduce(0) { $0 + l[i][$1] * y[$1] }) / l[i][i] }
    var x = [Double](repeating: 0, count: n)
    for i in stride(from: n - 1, through: 0, by: -1) {
      x[i] = (y[i] - (i + 1..<n).reduce(0) { $0 + l[$1][i] * x[$1] }) / l[i][i]
    }
    return x
  }

  func dense(_ v: FeatureVector, _ dimension: Int) -> [Double] {
    var out = [Double](repeating: 0, count: dimension)
    for (i, value) in zip(v.indices, v.values) { out[Int(i)] += Double(value) }
    return out
  }

  @Test func heldOutAccuracyMatchesNewtonWithinOnePoint() async throws {
    let path = SharedData.path("data/preference/hh-rlhf-helpful-base-test.jsonl.gz")
    let pairs = try PreferenceReader.read([path], options: ReadOptions(allowEmptyResponses: true)).pairs
    let (trainPairs, testPairs) = PairSplit.split(pairs, secondFraction: 0.5, seed: 0)
    var features = HashedNGramFeaturizer.Configuration()
    features.maxN = 1
    features.buckets = 128
    let featurizer = try HashedNGramFeaturizer(features)
    let dimension = featurizer.dimension

    var configuration = TrainingConfiguration()
    configuration.epochs = 150
    configuration.batchSize = 128
    configuration.learningRate = 0.02
    configuration.weightDecay = 0
    configuration.validationFraction = 0
    let trainer = BradleyTerryTrainer(configuration: configuration)
    let train = try await trainer.featurePairs(trainPairs, featurizer: featurizer)
    let test = try await trainer.featurePairs(testPairs, featurizer: featurizer)
    let ours = try trainer.train(train, dimension: dimension).weights

    let differences = train.map { zip(dense($0.chosen, dimension), dense($0.rejected, dimension)).map { $0 - $1 } }
    let reference = newton(differences, dimension: dimension, lambda: 1e-3)

    func accuracy(_ score: (FeatureVector) -> Double) -> Double {
      Double(test.count(where: { score($0.chosen) > score($0.rejected) })) / Double(test.count)
    }
    let ourAccuracy = accuracy { v in zip(v.indices, v.values).reduce(0) { $0 + Double(ours[Int($1.0)] * $1.1) } }
    let referenceAccuracy = accuracy { v in
      zip(v.indices, v.values).reduce(0) { $0 + reference[Int($1.0)] * Double($1.1) }
    }
    #expect(abs(ourAccuracy - referenceAccuracy) <= 0.01, "ours \(ourAccuracy), Newton \(referenceAccuracy)")
    #expect(ourAccuracy > 0.55)  // well above chance on this data
  }
}
