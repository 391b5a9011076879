import Foundation
import RewardCore
import RewardData
import RewardFeatures
import Testing

@testable import RewardHeads

@Suite struct ArmoTests {
  @Test func gateGradientMatchesFiniteDifferences() {
    var g = SeededGenerator(seed: 8)
    let objective = GatingObjective(dimension: 4, hidden: 3, objectives: 3, temperature: 0.8)
    let pairs = (0..<6).map { _ in
      GatedPair(
        prompt: FeatureVector(dense: (0..<4).map { _ in Float(g.nextGaussian()) }),
        chosenScores: (0..<3).map { _ in g.nextGaussian() }, rejectedScores: (0..<3).map { _ in g.nextGaussian() },
        chosenProbability: 0.5 + 0.5 * g.nextUnit())
    }
    var parameters = objective.initialParameters(seed: 3)
    for i in parameters.indices { parameters[i] += Float(0.3 * g.nextGaussian()) }
    expectGradientMatchesFiniteDifferences(objective, samples: pairs, parameters: parameters)
  }

  @Test func ridgeByConjugateGradientsMatchesTheNormalEquations() {
    var g = SeededGenerator(seed: 5)
    let (n, d, lambda) = (40, 5, 0.7)
    let x = (0..<n).map { _ in (0..<d).map { _ in g.nextGaussian() } }
    let y = x.map { row in 1.5 + row[0] - 2 * row[3] + 0.1 * g.nextGaussian() }
    let fit = RidgeRegression.fit(x.map { FeatureVector(dense: $0.map(Float.init)) }, y, dimension: d, lambda: lambda)
    // Independent: (XᵀX + λI) w = Xᵀ(y − ȳ) by Gaussian elimination.
    let mean = y.reduce(0, +) / Double(n)
    var a = (0..<d).map { i in
      (0..<d).map { j in (0..<n).reduce(0.0) { $0 + x[$1][i] * x[$1][j] } + (i == j ? lambda : 0) }
    }
    var b = (0..<d).map { i in (0..<n).reduce(0.0) { $0 + x[$1][i] * (y[$1] - mean) } }
    for column in 0..<d {
      for row in column + 1..<d {
        let factor = a[row][column] / a[column][column]
        for k in column..<d { a[row][k] -= factor * a[column][k] }
        b[row] -= factor * b[column]
      }
    }
    var w = [Double](repeating: 0, count: d)
    for i in stride(from: d - 1, through: 0, by: -1) {
      w[i] = (b[i] - (i + 1..<d).reduce(0) { $0 + a[i][$1] * w[$1] }) / a[i][i]
    }
    for i in 0..<d { #expect(abs(Double(fit.weights[i]) - w[i]) < 1e-3) }
  }

  @Test func decorrelationRemovesTheVerbosityComponent() {
    var g = SeededGenerator(seed: 2)
    let verbosity = (0..<500).map { _ in g.nextGaussian() }
    let scores = verbosity.map { 0.8 * $0 + 0.5 * g.nextGaussian() }
    #expect(spearmanCorrelation(scores, verbosity) > 0.7)
    let (lambda, rho) = VerbosityDecorrelation.coefficient(scores: scores, verbosity: verbosity, threshold: 0.03)
    #expect(abs(rho) < 0.03)
    #expect(abs(lambda - 0.8) < 0.15)
  }

  /// Prompts about topic A are judged by objective 0, topic B by objective 1; no single objective
  /// ranks both. The gate learns which objective each prompt calls for.
  @Test func theGateLearnsWhichObjectiveAPromptCallsFor() async throws {
    var g = SeededGenerator(seed: 11)
    func response(alpha: Int, beta: Int) -> String {
      var words = Array(repeating: "alpha", count: alpha) + Array(repeating: "beta", count: beta)
      words += (0..<3).map { _ in ["the", "a", "of", "and"][g.nextIndex(below: 4)] }
      g.shuffle(&words)
      return words.joined(separator: " ")
    }
    var rated: [RatedSample] = []
    var pairs: [PreferencePair] = []
    let source = SourceLocation(file: "synthetic")
    for i in 0..<400 {
      let (a, b) = (g.nextIndex(below: 5), g.nextIndex(below: 5))
      rated.append(
        RatedSample(
          prompt: [.user("question")], response: response(alpha: a, beta: b), ratings: [Double(a), Double(b)],
          source: source))
      let topicA = i % 2 == 0
      // Chosen wins on the topic's objective and loses on the other.
      let chosen = topicA ? response(alpha: 4, beta: 0) : response(alpha: 0, beta: 4)
      let rejected = topicA ? response(alpha: 1, beta: 4) : response(alpha: 4, beta: 1)
      pairs.append(
        PreferencePair(
          prompt: [.user(topicA ? "tell me about apples" : "tell me about bicycles")], chosen: chosen,
          rejected: rejected, source: source))
    }
    var features = HashedNGramFeaturizer.Configuration()
    features.buckets = 1 << 10
    features.maxN = 1
    features.lengthFeatures = false
    var configuration = TrainingConfiguration()
    configuration.epochs = 40
    configuration.learningRate = 0.05
    configuration.weightDecay = 0
    let checkpoint = try await train(
      ArmoFamily(gateHidden: 8),
      data: TrainingData(
        pairs: PreferenceDataset(pairs: pairs),
        rated: RatedDataset(attributes: ["alpha", "beta"], samples: rated, skipped: [])),
      featurizer: try HashedNGramFeaturizer(features), configuration: configuration
    ).checkpoint
    let accuracy = checkpoint.metrics.objectValue?["validation_accuracy"]?.doubleValue ?? 0
    #expect(accuracy > 0.9, "validation accuracy \(accuracy)")
    let model = try checkpoint.rewardModel(name: "armo")
    let rewards = try await model.score([
      Candidate(prompt: [.user("tell me about apples")], response: "alpha"),
      Candidate(prompt: [.user("tell me about bicycles")], response: "alpha"),
    ])
    let gateA = rewards[0].components.first { $0.name == "gate_alpha" }?.value ?? 0
    let gateB = rewards[1].components.first { $0.name == "gate_alpha" }?.value ?? 1
    #expect(gateA > 0.5 && gateB < 0.5, "gate on objective alpha: apples \(gateA), bicycles \(gateB)")
    #expect(rewards[0].components.map { $0.name } == ["alpha", "beta", "gate_alpha", "gate_beta"])

    let directory = NSTemporaryDirectory() + "rewardkit-armo-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try checkpoint.save(to: directory)
    let reloaded = try await Checkpoint.load(from: directory).rewardModel(name: "b").score([
      Candidate(prompt: [.user("tell me about apples")], response: "alpha")
    ])
    #expect(reloaded[0] == rewards[0])
  }
}
