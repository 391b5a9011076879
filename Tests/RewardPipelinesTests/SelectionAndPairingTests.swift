import Foundation
import RewardCore
import Testing

@testable import RewardPipelines

struct SelectionTests {
  let rewards = [0.2, 0.9, 0.5, 0.9, -1.0]

  @Test func topKKeepsTheBestInRewardOrderEarlierFirstOnTies() {
    #expect(SelectionRule.topK(1).select(rewards) == [1])
    #expect(SelectionRule.topK(3).select(rewards) == [1, 3, 2])
    #expect(SelectionRule.topK(10).select(rewards) == [1, 3, 2, 0, 4])
  }

  @Test func thresholdKeepsEveryResponseAtOrAboveIt() {
    #expect(SelectionRule.threshold(0.5).select(rewards) == [1, 3, 2])
    #expect(SelectionRule.threshold(2).select(rewards).isEmpty)
  }

  @Test func quantileInterpolatesLikeNumPy() {
    // sorted: -1, 0.2, 0.5, 0.9, 0.9; q = 0.5 → 0.5; q = 0.6 → 0.5 + 0.4·0.4 = 0.66.
    #expect(SelectionRule.quantileValue([0.2, 0.9, 0.5, 0.9, -1.0], 0.5) == 0.5)
    #expect(abs(SelectionRule.quantileValue([0.2, 0.9, 0.5, 0.9, -1.0], 0.6) - 0.66) < 1e-12)
    #expect(SelectionRule.quantileValue(rewards, 0.6).isFinite)
    #expect(SelectionRule.quantile(0.6).select(rewards) == [1, 3])
    #expect(SelectionRule.quantile(0).select(rewards).count == 5)
  }

  @Test func sftRecordsInBothLayouts() {
    let group = ScoredGroup(
      prompt: [.system("be brief"), .user("2+2?")], responses: ["4", "5"], rewards: [1, 0], id: "q1")
    let messages = SFTRecord.make(group, index: 0, rank: 1, format: .messages)
    #expect(
      messages["messages"]?.jsonText
        == #"[{"role":"system","content":"be brief"},{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]"#
    )
    #expect(messages["reward"] == .double(1))
    let completion = SFTRecord.make(group, index: 1, rank: 2, format: .promptCompletion)
    #expect(completion["completion"]?.jsonText == #"[{"role":"assistant","content":"5"}]"#)
    #expect(completion["prompt"]?.arrayValue?.count == 2)
    #expect(completion["rank"] == .int(2))
  }
}

struct PairingTests {
  @Test func bestVersusWorstKeepsTheGapAsMargin() {
    let outcome = PairBuilder(rule: .bestVersusWorst).pairs([0.25, 0.75, -0.25, 0.75])
    #expect(outcome.pairs == [IndexPair(chosen: 1, rejected: 2, margin: 1.0)])
    #expect(outcome.droppedTies == 0)
  }

  @Test func allEqualRewardsAreATieAndDropped() {
    let outcome = PairBuilder(rule: .bestVersusWorst).pairs([0.5, 0.5, 0.5])
    #expect(outcome.pairs.isEmpty)
    #expect(outcome.droppedTies == 1)
  }

  @Test func nearTiesAtOrBelowTheMarginAreDropped() {
    let builder = PairBuilder(rule: .allPairs, minimumMargin: 0.25)
    // Pairs: (0,1) gap 0.25 → dropped; (0,2) gap 1.0; (1,2) gap 0.75; (2,3) gap 0 → dropped;
    // (0,3) gap 1.0; (1,3) gap 0.75.
    let outcome = builder.pairs([1.0, 0.75, 0.0, 0.0])
    #expect(outcome.droppedTies == 2)
    #expect(outcome.pairs.count == 4)
    #expect(outcome.pairs.allSatisfy { $0.margin > 0.25 })
    #expect(outcome.pairs.contains(IndexPair(chosen: 1, rejected: 3, margin: 0.75)))
    // The better response is always the chosen one, whatever its position.
    let reversed = builder.pairs([0.0, 1.0])
    #expect(reversed.pairs == [IndexPair(chosen: 1, rejected: 0, margin: 1.0)])
  }

  @Test func bestVersusRandomIsSeededAndNeverPairsTheBestWithItself() {
    let rewards = [0.3, 0.9, 0.1, 0.4, 0.2, 0.8]
    var rejectedSeen = Set<Int>()
    for key in (0..<50).map({ "prompt-\($0)" }) {
      let first = PairBuilder(rule: .bestVersusRandom(seed: 7)).pairs(rewards, groupKey: key)
      let again = PairBuilder(rule: .bestVersusRandom(seed: 7)).pairs(rewards, groupKey: key)
      #expect(first == again)
      #expect(first.pairs.count == 1)
      #expect(first.pairs[0].chosen == 1)
      #expect(first.pairs[0].rejected != 1)
      rejectedSeen.insert(first.pairs[0].rejected)
    }
    // Over 50 groups every other response is drawn at least once.
    #expect(rejectedSeen == [0, 2, 3, 4, 5])
  }

  @Test func groupsOfOneGiveNoPairs() {
    #expect(PairBuilder(rule: .allPairs).pairs([1]) == PairingOutcome(pairs: [], droppedTies: 0))
  }

  @Test func preferenceLayouts() {
    let group = ScoredGroup(prompt: [.user("hi")], responses: ["hello", "go away"], rewards: [2, -1], id: "g")
    let pair = IndexPair(chosen: 0, rejected: 1, margin: 3)
    let explicit = PreferenceLayout().record(group, pair)
    #expect(explicit["prompt"]?.jsonText == #"[{"role":"user","content":"hi"}]"#)
    #expect(explicit["chosen"]?.jsonText == #"[{"role":"assistant","content":"hello"}]"#)
    #expect(explicit["margin"] == .double(3))
    let implicit = PreferenceLayout(explicitPrompt: false).record(group, pair)
    #expect(implicit["prompt"] == nil)
    #expect(implicit["rejected"]?.arrayValue?.count == 2)
    let text = PreferenceLayout(explicitPrompt: true, conversational: false).record(group, pair)
    #expect(text["prompt"] == .string("hi"))
    #expect(text["chosen"] == .string("hello"))
  }
}

struct RelabelTests {
  /// Hand computation: 50 pairs, confusion [[20, 5], [10, 15]] (human rows, model columns).
  /// p_o = 35/50 = 0.7; human "first" = 25/50 = 0.5, model "first" = 30/50 = 0.6;
  /// p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
  @Test func cohensKappaMatchesAHandComputation() {
    var counter = AgreementCounter()
    counter.add(human: 0, model: 0, count: 20)
    counter.add(human: 0, model: 1, count: 5)
    counter.add(human: 1, model: 0, count: 10)
    counter.add(human: 1, model: 1, count: 15)
    #expect(counter.total == 50)
    #expect(abs(counter.rate - 0.7) < 1e-12)
    #expect(abs(counter.kappa - 0.4) < 1e-12)
  }

  @Test func kappaOfPerfectAgreementIsOneAndOfChanceIsZero() {
    var perfect = AgreementCounter()
    perfect.add(human: 0, model: 0, count: 3)
    perfect.add(human: 1, model: 1, count: 7)
    #expect(perfect.kappa == 1)
    var chance = AgreementCounter()
    for human in 0...1 { for model in 0...1 { chance.add(human: human, model: model, count: 5) } }
    #expect(abs(chance.kappa) < 1e-12)
    #expect(AgreementCounter().kappa.isNaN)
  }

  @Test func orientationDoesNotChangeAgreementAndTiesAreNotCounted() {
    var counter = AgreementCounter()
    counter.add(humanProbability: 1, modelProbability: 0.9, chosenShownFirst: true)  // agree, first
    counter.add(humanProbability: 1, modelProbability: 0.8, chosenShownFirst: false)  // agree, second
    counter.add(humanProbability: 1, modelProbability: 0.1, chosenShownFirst: true)  // disagree
    counter.add(humanProbability: 0.5, modelProbability: 0.9, chosenShownFirst: true)  // human tie
    counter.add(humanProbability: 1, modelProbability: 0.5, chosenShownFirst: true)  // model tie
    #expect(counter.total == 3)
    #expect(counter.agreements == 2)
    #expect(counter.skippedTies == 2)
    #expect(counter.counts == [[1, 1], [0, 1]])
  }

  func pair(_ extra: [(String, JSONValue)] = []) throws -> LabelledPair {
    var record = JSONObject([("prompt", "q"), ("chosen", "a"), ("rejected", "b"), ("margin", 2.0)])
    for (key, value) in extra { record[key] = value }
    return try LabelledPair(record, at: SourceLocation(file: "pairs.jsonl", line: 3))
  }

  @Test func relabelFlagsFlipsAndWritesSoftLabels() throws {
    let policy = RelabelPolicy(flagBelow: 0.3, flipBelow: 0.1)
    let agreeing = policy.apply(try pair(), modelProbability: 0.8)
    #expect(agreeing.record["model_probability"] == .double(0.8))
    #expect(agreeing.record["disagreement"] == nil)
    #expect(agreeing.record["chosen"] == .string("a"))
    #expect(!agreeing.flipped)

    let doubtful = policy.apply(try pair(), modelProbability: 0.2)
    #expect(doubtful.record["disagreement"] == .bool(true))
    #expect(doubtful.record["chosen"] == .string("a"))

    let flipped = policy.apply(try pair([("chosen_probability", 0.9)]), modelProbability: 0.05)
    #expect(flipped.flipped)
    #expect(flipped.record["chosen"] == .string("b"))
    #expect(flipped.record["rejected"] == .string("a"))
    #expect(flipped.record["margin"] == nil)
    #expect(flipped.record["chosen_probability"] == nil)

    let replaced = RelabelPolicy(flagBelow: 0.3, flipBelow: 0.1, replaceLabel: true)
    #expect(replaced.apply(try pair(), modelProbability: 0.7).record["chosen_probability"] == .double(0.7))
    let replacedFlip = replaced.apply(try pair(), modelProbability: 0.05).record["chosen_probability"]?.doubleValue
    #expect(abs((replacedFlip ?? 0) - 0.95) < 1e-12)
  }

  @Test func implicitPromptPairsSplitTheLastTurn() throws {
    let record = try JSONParser.parse(
      #"{"chosen":[{"role":"user","content":"q"},{"role":"assistant","content":"good"}],"rejected":[{"role":"user","content":"q"},{"role":"assistant","content":"bad"}]}"#
    ).objectValue!
    let pair = try LabelledPair(record, at: SourceLocation(file: "x", line: 1))
    #expect(pair.prompt == [.user("q")])
    #expect(pair.chosen == "good")
    #expect(pair.rejected == "bad")
  }

  @Test func badLabelIsALocatedError() throws {
    #expect(throws: InputError.self) { try pair([("chosen_probability", 1.5)]) }
    do {
      _ = try pair([("chosen_probability", 1.5)])
    } catch {
      #expect("\(error)".hasPrefix("pairs.jsonl:3: field 'chosen_probability'"))
    }
  }
}
