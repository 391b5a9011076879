import Foundation
import RewardCore
import RewardData
import Testing

@testable import RewardEval

/// A model that gives NaN (or ∞) for responses containing a marker: as a checkpoint with NaN
/// weights would for every item, but only for some, so the rest of the report can be checked.
struct BrokenModel: RewardModel {
  var name = "broken"
  var marker: String
  var value = Double.nan
  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    candidates.map { $0.response.contains(marker) ? Reward(value) : Reward(Double($0.response.count)) }
  }
}

/// Issue 16.3: `reward eval` crashed (SIGILL in Diagnostics) on a NaN reward.
@Suite struct NonFiniteRewardTests {
  static func pairs() throws -> [PreferencePair] {
    let file = SharedData.path("data/preference/llmbar-natural.json")
    return try PreferenceReader.read([file]).strictPairs(skipInvalid: false).pairs
  }

  @Test func evaluationStopsWithAnErrorNamingTheModelAndTheItem() async throws {
    let pairs = try Self.pairs()
    let marker = String(pairs[3].rejected.prefix(30))
    let model = BrokenModel(marker: marker)
    do {
      _ = try await EvaluationSuite.evaluate(model, inputs: EvaluationInputs(pairs: pairs))
      Issue.record("a NaN reward was accepted")
    } catch let error as NonFiniteRewardError {
      #expect(error.model == "broken")
      #expect(error.value.isNaN)
      // The item is named by file and line (the first pair whose response has the marker).
      #expect(error.item.contains("llmbar-natural.json"))
      #expect(error.description.contains("NaN"))
    }
  }

  @Test(arguments: [Double.nan, .infinity, -.infinity])
  func optingInCountsThemAsWrongAndReportsThem(value: Double) async throws {
    let pairs = try Self.pairs()
    let marker = String(pairs[3].rejected.prefix(30))
    let affected = pairs.filter { $0.chosen.contains(marker) || $0.rejected.contains(marker) }
    let model = BrokenModel(marker: marker, value: value)
    let scorer = BatchScorer(model: model, nonFinite: .countAsInvalid)
    let evaluation = try await EvaluationSuite.evaluate(
      model, inputs: EvaluationInputs(pairs: pairs), options: EvaluationOptions(bootstrapResamples: 20),
      scorer: scorer)
    let pairwise = try #require(evaluation.pairwise)
    #expect(pairwise.nonFinitePairs == affected.count)
    #expect(evaluation.nonFiniteRewards ?? 0 >= 1)
    // Non-finite pairs are counted wrong whatever the sign (−∞ on the rejected side included).
    let finite = pairwise.scored.filter(\.isFinite)
    #expect(pairwise.overall.pairs == pairs.count)
    #expect(pairwise.overall.correct == finite.count(where: \.isCorrect))
    #expect(pairwise.calibration != nil)
    // Every report renders, and the JSON has no NaN (it would not parse).
    let suite = SuiteReport(title: "t", dataFiles: ["llmbar-natural.json"], models: [evaluation])
    let text = ReportJSON.encode(suite).jsonText
    let parsed = try JSONParser.parse(text).objectValue?["models"]?.arrayValue?.first?.objectValue
    #expect(parsed?["non_finite_rewards"] != nil)
    #expect(ReportTable.render(suite).contains("non-finite"))
    let html = ReportHTML.render(suite)
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("non-finite rewards"))
  }

  @Test func nonFiniteScoresAreNotCached() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let candidates = [
      Candidate(prompt: [.user("p")], response: "bad"), Candidate(prompt: [.user("p")], response: "good"),
    ]
    let broken = BatchScorer(
      model: BrokenModel(marker: "bad"), cacheDirectory: directory, cacheKey: "m", nonFinite: .countAsInvalid)
    let scores = try await broken.score(candidates)
    #expect(scores[0].isNaN && scores[1] == 4)
    #expect(broken.clock.nonFinite == 1)
    let cache = try ScoreCache(directory: directory, modelKey: "m")
    #expect(cache.scores.count == 1)
  }

  @Test func calibrationLeavesNonFiniteProbabilitiesOut() throws {
    let calibration = try #require(
      Calibration.measure(probabilities: [0.9, .nan, 0.2], labels: [1, 1, 0], bins: 10))
    #expect(calibration.bins.map(\.count).reduce(0, +) == 4)
    #expect(calibration.brierScore.isFinite)
  }
}
