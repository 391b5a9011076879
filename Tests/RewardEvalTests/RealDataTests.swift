import Foundation
import RewardCore
import RewardData
import RewardRules
import Testing

@testable import RewardEval

@Suite struct RealDataTests {
  static let xstest = ["gpt4", "llama2new", "mistralinstruct"].map {
    SharedData.path("data/safety/xstest-v2-completions-\($0).csv")
  }

  @Test func xstestPairsFollowTheHumanLabels() throws {
    let pairs = try XSTestPairs.read(Self.xstest)
    let refuse = pairs.filter { $0.subset == "xstest-should-refuse" }
    let respond = pairs.filter { $0.subset == "xstest-should-respond" }
    // Unsafe prompts with a complying completion: 128 (Mistral) ∪ 1 (GPT-4), all refused by another model.
    #expect(refuse.count == 129)
    #expect(respond.count > 50 && respond.count < 250)
    #expect(pairs.allSatisfy { $0.chosen != $0.rejected && $0.chosenProbability == 1 })
    // Labels checked against the raw rows: the chosen completion of a should-respond pair is a full compliance.
    let (records, _) = try RecordReader.records(in: InputFile.read(Self.xstest[0]))
    let labels = Dictionary(
      records.map { ($0.fields["completion"]?.stringValue ?? "", $0.fields["final_label"]?.stringValue ?? "") },
      uniquingKeysWith: { a, _ in a })
    for pair in respond.prefix(40) {
      if let label = labels[pair.chosen] { #expect(label == "1_full_compliance") }
      if let label = labels[pair.rejected] { #expect(label != "1_full_compliance") }
    }
  }

  @Test func gsm8kGroupsAreLabelledByTheVerifier() throws {
    let groups = try GSM8KGroups.read(SharedData.path("data/math/gsm8k-test.jsonl"), limit: 40, seed: 3)
    #expect(groups.count == 40)
    for group in groups {
      #expect(group.responses.count == 8)
      // Gold and restated gold are right; the X+1 and 10·X variants are wrong; another problem's
      // solution is right only when its answer happens to be the same.
      #expect(group.correct.count(where: { $0 }) >= 2)
      #expect(group.correct.count(where: { !$0 }) >= 3)
    }
    let again = try GSM8KGroups.read(SharedData.path("data/math/gsm8k-test.jsonl"), limit: 40, seed: 3)
    #expect(again == groups)
    let restated = GSM8KGroups.restated("Half of 10 is <<10/2=5>>5.\n#### 5")
    #expect(restated == "Half of 10 is 5.\nThe answer is 5.")
    #expect(
      GSM8KGroups.replacingNumber("5", with: "6", in: "5 apples, 15 pears, 5.5 kg, $5")
        == "6 apples, 15 pears, 5.5 kg, $6")
  }

  @Test func llmbarPairwiseWithALengthModel() async throws {
    let dataset = try PreferenceReader.read([SharedData.path("data/preference/llmbar-natural.json")])
    let pairs = try dataset.strictPairs(skipInvalid: false).pairs
    let report = try await PairwiseEvaluation.evaluate(
      LengthModel(), pairs: pairs, options: EvaluationOptions(bootstrapResamples: 200))
    let expected = pairs.count(where: { $0.chosen.count > $0.rejected.count })
    #expect(report.overall.pairs == 100)
    #expect(report.overall.correct == expected)
    let interval = try #require(report.overall.interval)
    #expect(interval.lower <= report.overall.accuracy && report.overall.accuracy <= interval.upper)
    // A length model is right exactly when the chosen response is longer (in characters).
    let bias = try #require(report.lengthBias)
    #expect(bias.rewardLengthSpearman ?? 0 > 0.9)
  }
}

@Suite struct DetectionTests {
  @Test func detectionItemsGiveTheAUROCOfTheReward() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/items.csv"
    let csv =
      "text,label\nlonger human text,human\nhuman words here,human\nmodel,model\nai,model\nx,human\nmodel out,model\n"
    try csv.write(toFile: path, atomically: true, encoding: .utf8)
    let items = try DetectionItems.read([path], positiveLabel: "human")
    #expect(items.map(\.positive) == [true, true, false, false, true, false])
    let evaluation = try await EvaluationSuite.evaluate(
      LengthModel(), inputs: EvaluationInputs(detectionItems: items))
    // Positives lengths 17, 16, 1; negatives 5, 2, 9: wins 3 + 3 + 0 = 6 of 9.
    #expect(evaluation.detection?.auroc == 6.0 / 9)
    #expect(throws: InputError.self) { try DetectionItems.read([SharedData.path("data/math/gsm8k-test.jsonl")]) }
  }
}

@Suite struct ScoreCacheTests {
  @Test func anInterruptedRunResumesFromTheCache() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let candidates = (0..<50).map { Candidate(prompt: [.user("p\($0 % 5)")], response: "response \($0 % 40)") }
    let distinct = Set(candidates.map(ScoreCache.key)).count
    #expect(distinct == 40)

    let failing = CountingModel()
    failing.failAfter = 25
    let interrupted = BatchScorer(model: failing, batchSize: 10, cacheDirectory: directory, cacheKey: "m")
    await #expect(throws: CountingModel.Interrupted.self) { _ = try await interrupted.score(candidates) }
    #expect(failing.scored == 20)  // two batches of 10 done and saved, the third failed

    let resumed = CountingModel()
    let scorer = BatchScorer(model: resumed, batchSize: 10, cacheDirectory: directory, cacheKey: "m")
    let scores = try await scorer.score(candidates)
    #expect(resumed.scored == 20)  // only what was left
    let fresh = try await BatchScorer(model: CountingModel(), batchSize: 7).score(candidates)
    #expect(scores == fresh)

    let cached = CountingModel()
    _ = try await BatchScorer(model: cached, cacheDirectory: directory, cacheKey: "m").score(candidates)
    #expect(cached.scored == 0)
    let otherModel = CountingModel()
    _ = try await BatchScorer(model: otherModel, cacheDirectory: directory, cacheKey: "other").score(candidates)
    #expect(otherModel.scored == 40)
  }

  @Test func keysSeparateFieldsAndDependOnEveryByte() {
    let split = ScoreCache.key(Candidate(prompt: [.user("ab")], response: "c"))
    #expect(split != ScoreCache.key(Candidate(prompt: [.user("a")], response: "bc")))
    #expect(split != ScoreCache.key(Candidate(prompt: [.system("ab")], response: "c")))
    #expect(split == ScoreCache.key(Candidate(prompt: [.user("ab")], response: "c")))
    #expect(split.count == 32)
    // Every prefix of a 20-byte text (tails of 0…7 bytes after whole words) gets its own key.
    let text = "0123456789abcdefghij"
    let keys = (0...20).map { ScoreCache.key(Candidate(prompt: [], response: String(text.prefix($0)))) }
    #expect(Set(keys).count == 21)
  }

  @Test func aTornLastLineIsIgnored() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var cache = try ScoreCache(directory: directory, modelKey: "m")
    try cache.add([("a", 1.5), ("b", -2)])
    let handle = try #require(FileHandle(forWritingAtPath: cache.file))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"k\":\"c\",\"r\":".utf8))
    try handle.close()
    let reopened = try ScoreCache(directory: directory, modelKey: "m")
    #expect(reopened.scores == ["a": 1.5, "b": -2])
  }
}
