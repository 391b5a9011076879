import Foundation
import RewardCore
import RewardData
import RewardFeatures
import Testing

@testable import RewardHeads

/// The learned PRM head: it learns step labels, uses only labelled steps, and round-trips through
/// its checkpoint with identical scores.
struct PRMHeadTests {
  /// Solutions whose wrong step says "carelessly" (a learnable marker) and whose right steps vary.
  static func traces(count: Int, seed: UInt64) -> [StepTrace] {
    var random = SeededGenerator(seed: seed)
    let verbs = ["add", "multiply", "subtract", "divide", "compare", "count", "sum", "convert"]
    return (0..<count).map { i in
      let n = 2 + random.nextIndex(below: 4)
      let error = random.nextIndex(below: 3) == 0 ? -1 : random.nextIndex(below: n)
      let steps = (0..<n).map { k in
        let verb = verbs[random.nextIndex(below: verbs.count)]
        return k == error
          ? "We carelessly \(verb) the \(k) numbers and get a result." : "We \(verb) the \(k) numbers and get a result."
      }
      return StepTrace(
        id: "\(i)", problem: "Problem \(i % 7)", steps: steps,
        labels: StepTrace.labels(firstError: error, stepCount: n), firstError: error,
        location: SourceLocation(file: "synthetic", line: i + 1))
    }
  }

  func featurizer() throws -> HashedNGramFeaturizer {
    var configuration = HashedNGramFeaturizer.Configuration()
    configuration.buckets = 1 << 12
    return try HashedNGramFeaturizer(configuration)
  }

  @Test func learnsStepLabelsAndPredictsHeldOutFirstErrors() async throws {
    let featurizer = try featurizer()
    var configuration = PRMTrainer.Configuration()
    configuration.epochs = 15
    let train = Self.traces(count: 200, seed: 1)
    let (head, summary) = try await PRMTrainer.train(
      traces: train, featurizer: featurizer, configuration: configuration)
    // Steps after the first error are unlabelled and left out.
    #expect(summary.labelledSteps == train.reduce(0) { $0 + $1.labels.count(where: { $0 != nil }) })
    #expect(summary.labelledSteps < train.reduce(0) { $0 + $1.steps.count })
    let model = PRMRewardModel(name: "prm", featurizer: featurizer, head: head, aggregation: .min)
    let test = Self.traces(count: 60, seed: 2)
    var hits = 0
    for trace in test {
      var candidate = Candidate(prompt: [.user(trace.problem)], response: trace.joined.text)
      candidate.metadata["steps"] = .array(trace.steps.map { .string($0) })
      let reward = try await model.score([candidate])[0]
      let steps = try #require(reward.steps)
      #expect(steps.count == trace.steps.count)
      #expect(reward.value == steps.map(\.score).min())
      let predicted = steps.firstIndex(where: { $0.score < 0.5 }) ?? -1
      if predicted == trace.firstError { hits += 1 }
    }
    #expect(hits >= 57, "\(hits) of 60 first errors predicted")
  }

  @Test func softLabelsPullTowardsTheirValue() async throws {
    let featurizer = try featurizer()
    let traces = (0..<40).map { i in
      StepTrace(
        id: nil, problem: "p", steps: ["maybe fine \(i % 3)", "surely wrong", "surely right"], labels: [0.7, 0, 1],
        firstError: 1, location: SourceLocation(file: "soft"))
    }
    var configuration = PRMTrainer.Configuration()
    configuration.balanceClasses = false
    configuration.epochs = 60
    configuration.includeStepFeatures = true
    let (head, _) = try await PRMTrainer.train(traces: traces, featurizer: featurizer, configuration: configuration)
    let vectors = try await PRMFeatures.vectors(
      for: [([.user("p")], ["maybe fine 1"])], featurizer: featurizer, includeStepFeatures: true)
    let p = head.probability(vectors[0][0])
    #expect(p > 0.55 && p < 0.85, "P = \(p) for a step labelled 0.7")
  }

  @Test func checkpointRoundTripGivesIdenticalStepScores() async throws {
    let featurizer = try featurizer()
    var configuration = PRMTrainer.Configuration()
    configuration.epochs = 2
    let (head, _) = try await PRMTrainer.train(
      traces: Self.traces(count: 30, seed: 3), featurizer: featurizer, configuration: configuration)
    let directory = NSTemporaryDirectory() + "rewardkit-prm-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try PRMCheckpoint(head: head, featurizer: featurizer.descriptor, training: .null, threshold: 0.4).save(
      to: directory)
    #expect(PRMCheckpoint.isPRMCheckpoint(directory))
    let loaded = try PRMCheckpoint.load(from: directory)
    #expect(loaded.head == head)
    #expect(loaded.threshold == 0.4)
    let candidate = Candidate(prompt: [.user("q")], response: "We add.\n\nWe carelessly divide.")
    let before = try await PRMRewardModel(name: "a", featurizer: featurizer, head: head).score([candidate])
    let after = try await loaded.rewardModel(name: "b").score([candidate])
    #expect(before == after)
    // A preference checkpoint loader refuses it; a truncated weight file is reported.
    #expect(throws: (any Error).self) { _ = try Checkpoint.load(from: directory) }
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
    #expect(throws: (any Error).self) { _ = try PRMCheckpoint.load(from: directory) }
  }

  @Test func trainingWithoutWrongStepsIsRefused() async throws {
    let traces = [
      StepTrace(id: nil, problem: "p", steps: ["a"], labels: [1], firstError: -1, location: SourceLocation(file: "x"))
    ]
    await #expect(throws: ConfigurationError.self) {
      _ = try await PRMTrainer.train(traces: traces, featurizer: try featurizer(), configuration: .init())
    }
  }
}
