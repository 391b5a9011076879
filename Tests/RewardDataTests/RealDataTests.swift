import RewardCore
import Testing

@testable import RewardData

/// Every file in ../shared/data/preference loads with the right counts and format.
@Suite struct RealPreferenceDataTests {
  @Test func hhRLHFHelpfulBase() throws {
    let path = SharedData.path("data/preference/hh-rlhf-helpful-base-test.jsonl.gz")
    // Four rejected responses are empty (line 121 is the first): an error unless allowed or skipped.
    let error = #expect(throws: InputError.self) { try PreferenceReader.read([path]) }
    #expect(error?.kind == .emptyResponse)
    #expect(error?.location == SourceLocation(file: path, line: 121, field: "rejected"))
    let skipping = try PreferenceReader.read([path], options: ReadOptions(skipInvalid: true))
    #expect(skipping.pairs.count == 2350)
    #expect(skipping.skipped.map(\.location.line) == [121, 741, 1215, 2064])
    let dataset = try PreferenceReader.read([path], options: ReadOptions(allowEmptyResponses: true))
    #expect(dataset.files.map(\.format) == [.hhRLHF])
    #expect(dataset.pairs.count == 2354)
    #expect(dataset.skipped.isEmpty)
    let first = try #require(dataset.pairs.first)
    #expect(first.prompt == [.user("Do you know why turkeys became the official food of thanksgiving?")])
    #expect(first.chosen.hasPrefix("To be honest, I don’t know anything about that."))
    #expect(first.rejected.hasPrefix("I know that the American Indians were the first"))
    // Multi-turn prompts keep every earlier turn.
    let second = dataset.pairs[1]
    #expect(second.prompt.first?.role == .user && second.prompt.last?.role == .user)
    #expect(second.prompt.count == 5)
    #expect(second.prompt[2].content == "I am in Oregon.")
    // Nine transcripts go on for more turns on one side: those turns stay in the response.
    func spansTurns(_ text: String) -> Bool { text.contains("\n\nHuman:") || text.contains("\n\nAssistant:") }
    #expect(dataset.pairs.count(where: { spansTurns($0.chosen) || spansTurns($0.rejected) }) == 9)
  }

  @Test func hhRLHFHelpfulOnline() throws {
    let path = SharedData.path("data/preference/hh-rlhf-helpful-online-test.jsonl.gz")
    let dataset = try PreferenceReader.read([path], options: ReadOptions(allowEmptyResponses: true))
    #expect(dataset.pairs.count == 1137)
    let skipping = try PreferenceReader.read([path], options: ReadOptions(skipInvalid: true))
    #expect(skipping.skipped.map(\.location.line) == [553, 894, 1054])
    #expect(dataset.files.map(\.format) == [.hhRLHF])
  }

  @Test func llmbar() throws {
    let natural = try PreferenceReader.read([SharedData.path("data/preference/llmbar-natural.json")])
    #expect(natural.files.map(\.format) == [.llmbar])
    #expect(natural.pairs.count == 100)
    let adversarial = try PreferenceReader.read([SharedData.path("data/preference/llmbar-adversarial-neighbor.json")])
    #expect(adversarial.pairs.count == 134)
    // Record 2 of the adversarial file: label 2, so output_2 ("59.0° Fahrenheit") is chosen.
    let second = adversarial.pairs[1]
    #expect(second.chosen == "59.0° Fahrenheit")
    #expect(second.rejected == "77°F")
    #expect(second.source.line == 8)
  }

  @Test func alpacaEvalSoftLabels() throws {
    let path = SharedData.path("data/preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz")
    // 22 records have an empty output: an error by default …
    #expect(throws: InputError.self) { try PreferenceReader.read([path]) }
    // … kept with --allow-empty …
    let all = try PreferenceReader.read([path], options: ReadOptions(allowEmptyResponses: true))
    #expect(all.files.map(\.format) == [.alpacaEval])
    #expect(all.pairs.count == 24145)
    #expect(all.pairs.count(where: \.isTie) == 69)
    #expect(all.pairs.allSatisfy { $0.chosenProbability >= 0.5 && $0.chosenProbability <= 1 })
    // Line 1: preference 1.7328323962 means output_2 is preferred with probability 0.7328…
    let first = all.pairs[0]
    #expect(abs(first.chosenProbability - 0.7328323962) < 1e-12)
    #expect(first.chosen.hasPrefix("Several famous actors") == false)
    #expect(first.subset == "helpful_base")
    // … and skipped, with the reason, under --skip-invalid.
    let skipping = try PreferenceReader.read([path], options: ReadOptions(skipInvalid: true))
    #expect(skipping.pairs.count == 24145 - 22)
    #expect(skipping.skipped.count == 22)
    #expect(skipping.skipped.allSatisfy { $0.kind == .emptyResponse && $0.location.field == "output_2" })
    #expect(skipping.skipped.first?.location.line == 18574)
  }
}
