import Foundation
import RewardCore
import Testing

/// Steps on `Reward`: aggregation, splitting with offsets, and the RL shaping transforms' defining
/// properties.
struct StepTests {
  func substring(_ text: String, _ step: TextStep) -> String {
    let scalars = Array(text.unicodeScalars)
    return String(String.UnicodeScalarView(scalars[step.start..<step.end]))
  }

  @Test func aggregationsMatchHandComputations() throws {
    let scores = [0.9, 0.2, 0.6]
    #expect(StepAggregation.min.aggregate(scores) == 0.2)
    #expect(StepAggregation.last.aggregate(scores) == 0.6)
    #expect(abs(StepAggregation.product.aggregate(scores)! - 0.108) < 1e-12)
    #expect(abs(StepAggregation.mean.aggregate(scores)! - 1.7 / 3) < 1e-12)
    #expect(StepAggregation.mean.aggregate([]) == nil)
    // −τ log(mean exp(−r/τ)) by hand for τ = 1.
    let expected = -log((exp(-0.9) + exp(-0.2) + exp(-0.6)) / 3)
    #expect(abs(StepAggregation.softMin(temperature: 1).aggregate(scores)! - expected) < 1e-12)
  }

  @Test func softMinLiesBetweenMinAndMeanAndTendsToThem() {
    let scores = [0.95, 0.1, 0.7, 0.4]
    let mean = StepAggregation.mean.aggregate(scores)!
    for t in [0.001, 0.05, 0.5, 5, 500] {
      let value = StepAggregation.softMin(temperature: t).aggregate(scores)!
      #expect(value >= 0.1 - 1e-12 && value <= mean + 1e-12)
    }
    #expect(abs(StepAggregation.softMin(temperature: 1e-4).aggregate(scores)! - 0.1) < 1e-3)
    #expect(abs(StepAggregation.softMin(temperature: 1e4).aggregate(scores)! - mean) < 1e-4)
  }

  @Test func aggregationNamesParse() throws {
    #expect(try StepAggregation.parse("softmin:0.5") == .softMin(temperature: 0.5))
    #expect(try StepAggregation.parse("product") == .product)
    #expect(throws: ConfigurationError.self) { try StepAggregation.parse("softmin:-1") }
    #expect(throws: ConfigurationError.self) { try StepAggregation.parse("median") }
  }

  @Test func blankLineSplitKeepsOffsetsOfTrimmedParagraphs() {
    let text = "  First step.\n\n\nSecond — with é and 🙂.\n  \nThird\nstill third.\n"
    let steps = StepSplitter.blankLines.split(text)
    #expect(steps.map(\.text) == ["First step.", "Second — with é and 🙂.", "Third\nstill third."])
    for step in steps { #expect(substring(text, step) == step.text) }
  }

  @Test func lineMarkerTagAndRegexSplits() throws {
    let lines = "a = 1\n\nb = 2\nc = 3"
    #expect(StepSplitter.lines.split(lines).map(\.text) == ["a = 1", "b = 2", "c = 3"])

    let marked = "Let us solve.\nStep 1: add.\nmore of one\nStep 2. multiply\n## Step 3: done"
    let steps = StepSplitter.stepMarkers.split(marked)
    #expect(steps.map(\.text) == ["Let us solve.", "Step 1: add.\nmore of one", "Step 2. multiply", "## Step 3: done"])
    for step in steps { #expect(substring(marked, step) == step.text) }

    let shepherd = "Step 1: 2 + 2 = 4 ки\nStep 2: so 4 ки"
    let tagged = try StepSplitter.parse("tag:ки").split(shepherd)
    #expect(tagged.map(\.text) == ["Step 1: 2 + 2 = 4", "Step 2: so 4"])
    for step in tagged { #expect(substring(shepherd, step) == step.text) }

    let regex = try StepSplitter.parse("regex:\\s*;\\s*").split("one; two ;three")
    #expect(regex.map(\.text) == ["one", "two", "three"])
    #expect(throws: ConfigurationError.self) { try StepSplitter.parse("regex:(") }
  }

  @Test func explicitStepsAreLocatedOrJoined() {
    let located = StepSplitter.locate(["b = 2", "c"], in: "a; b = 2; c")
    #expect(located?.map(\.start) == [3, 10])
    #expect(StepSplitter.locate(["zz"], in: "abc") == nil)
    let (text, steps) = StepSplitter.join(["x", "yé"])
    #expect(text == "x\n\nyé")
    #expect(steps.map { substring(text, $0) } == ["x", "yé"])
    var candidate = Candidate(prompt: [.user("q")], response: "p\n\nq r")
    candidate.metadata["steps"] = ["q", "r"]
    #expect(candidate.steps(splitter: .blankLines).map(\.start) == [3, 5])
  }

  @Test func rewardEqualityIncludesSteps() {
    let step = StepScore(index: 0, start: 0, end: 3, score: 0.5)
    #expect(Reward(0.5, steps: [step]) != Reward(0.5))
    #expect(Reward(0.5, steps: [step]) == Reward(0.5, steps: [step]))
  }

  static let rewardSequences: [[Double]] = [
    [0.9, 0.3, 0.8, 0.1], [0.5], [0.2, 0.9, 0.95], [1, 1, 1], [0.4, -0.3, 0.7],
  ]

  @Test(arguments: rewardSequences)
  func clipIsNeverPositive(rewards: [Double]) {
    for eta in [0.0, 0.5, 1.0] {
      let clipped = StepShaping.clip(rewards, eta: eta)
      #expect(clipped.allSatisfy { $0 <= 0 })
      #expect(zip(clipped, rewards).allSatisfy { $0 == min($1 - eta, 0) })
    }
  }

  @Test(arguments: rewardSequences)
  func deltaTelescopesToFirstMinusLast(rewards: [Double]) {
    let delta = StepShaping.delta(rewards)
    let returns = StepShaping.returns(delta)
    for k in rewards.indices { #expect(abs(returns[k] - (rewards[k] - rewards.last!)) < 1e-12) }
    #expect(abs(delta.reduce(0, +) - (rewards.first! - rewards.last!)) < 1e-12)
  }

  @Test(arguments: rewardSequences)
  func minFormReturnIsTheMinimumOfFutureRewards(rewards: [Double]) {
    let returns = StepShaping.returns(StepShaping.minForm(rewards))
    for k in rewards.indices { #expect(abs(returns[k] - rewards[k...].min()!) < 1e-12) }
  }

  @Test func mixAddsTheOutcomeToTheLastStepOnly() throws {
    let mixed = StepShaping.mix([0.5, 0.25], outcome: 1, processWeight: 0.5)
    #expect(mixed == [0.25, 1.125])
    #expect(try StepShapingKind.parse("clip:0.2") == .clip(eta: 0.2))
    #expect(throws: ConfigurationError.self) { try StepShapingKind.parse("sum") }
  }
}
