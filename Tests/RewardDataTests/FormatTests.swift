import RewardCore
import Testing

@testable import RewardData

/// Each supported format, read from a small fixture, with the values a user would expect.
@Suite struct FormatTests {
  func read(_ name: String, _ options: ReadOptions = ReadOptions()) throws -> PreferenceDataset {
    try PreferenceReader.read([SharedData.fixture(name)], options: options)
  }

  @Test func trlStandardExplicitPromptWithMargin() throws {
    let data = try read("trl-standard-explicit.jsonl")
    #expect(data.files.map(\.format) == [.trl])
    #expect(data.pairs.count == 2)
    #expect(data.pairs[0].prompt == [.user("The sky is")])
    #expect(data.pairs[0].chosen == " blue.")
    #expect(data.pairs[0].rejected == " green.")
    #expect(data.pairs[0].margin == 1.5)
    #expect(data.pairs[1].margin == nil)
  }

  @Test func trlStandardImplicitPromptIsTheCommonStart() throws {
    let data = try read("trl-standard-implicit.jsonl")
    // As TRL's extract_prompt: the shared start, minus the space before the response …
    #expect(data.pairs[0].prompt == [.user("The sky is")])
    #expect(data.pairs[0].chosen == " blue.")
    #expect(data.pairs[0].rejected == " green.")
    // … but never inside a word (TRL would give "The sun is in the s" + "ky." / "ea.").
    #expect(data.pairs[1].prompt == [.user("The sun is in the")])
    #expect(data.pairs[1].chosen == " sky.")
    #expect(data.pairs[1].rejected == " sea.")
  }

  @Test func trlConversationalExplicit() throws {
    let data = try read("trl-conversational-explicit.jsonl")
    #expect(data.pairs[0].prompt == [.system("Be brief."), .user("What color is the sky?")])
    #expect(data.pairs[0].chosen == "It is blue.")
    #expect(data.pairs[1].prompt == [.user("Where is the sun?")])  // content given as text parts
    #expect(data.pairs[1].margin == 0.25)
  }

  @Test func trlConversationalImplicitSplitsAtTheAssistantTurn() throws {
    let data = try read("trl-conversational-implicit.jsonl")
    #expect(data.pairs[0].prompt == [.user("What color is the sky?")])
    #expect(data.pairs[0].chosen == "It is blue.")
    #expect(data.pairs[0].rejected == "It is green.")
  }

  @Test func pandaLMVotesBecomeSoftLabels() throws {
    let data = try read("pandalm.json")
    #expect(data.files.map(\.format) == [.pandalm])
    // Votes 1, 1, tie → P(response1) = 2.5 / 3.
    #expect(data.pairs[0].chosen == "Bonjour")
    #expect(abs(data.pairs[0].chosenProbability - 2.5 / 3) < 1e-12)
    #expect(data.pairs[0].prompt == [.user("Translate to French.\n\nGood morning")])
    #expect(data.pairs[1].chosen == "Seven.")
    #expect(data.pairs[1].chosenProbability == 1)
    #expect(data.pairs[2].isTie)
  }

  @Test func autoJLabelsAndScenarioSubsets() throws {
    let data = try read("autoj.jsonl")
    #expect(data.files.map(\.format) == [.autoj])
    #expect(data.pairs[0].chosen == "print('hello world')")
    #expect(data.pairs[1].chosen == "I'm well, thanks for asking!")
    #expect(data.pairs[2].isTie)
    #expect(data.pairs.map(\.subset) == ["code_generation", "chitchat", "chitchat"])
  }

  @Test func rewardBenchV1() throws {
    let data = try read("rewardbench.jsonl")
    #expect(data.files.map(\.format) == [.rewardBench])
    #expect(data.pairs.map(\.subset) == ["math-prm", "alpacaeval-easy"])
    #expect(data.pairs.map(\.id) == ["7", "8"])
    #expect(data.pairs[0].prompt == [.user("What is 2+2?")])
  }

  @Test func rewardBenchV2GroupsExpandToPairs() throws {
    let data = try read("rewardbench2.jsonl")
    #expect(data.files.map(\.format) == [.rewardBench2])
    #expect(data.groups.count == 2)
    #expect(data.groups[0].rejected.count == 3)
    #expect(data.groups[1].chosen.count == 2)
    #expect(data.allPairs.count == 3 + 2)
    #expect(data.groups.map(\.subset) == ["Focus", "Ties"])
  }

  @Test func alpacaEvalInAGzippedJSONArray() throws {
    let data = try read("alpacaeval.json.gz")
    #expect(data.files.map(\.format) == [.alpacaEval])
    // "1.1" (a string, as the data set's documentation says) → output_1 with P = 0.9.
    #expect(data.pairs[0].chosen == "Apple.")
    #expect(abs(data.pairs[0].chosenProbability - 0.9) < 1e-12)
    #expect(data.pairs[1].chosen == "Toyota.")
    #expect(data.pairs[2].isTie)
    #expect(data.pairs.map(\.subset) == ["helpful_base", "koala", "koala"])
  }

  @Test func csvWithQuotedMultilineFieldsPlainAndGzipped() throws {
    for name in ["trl-standard.csv", "trl-standard-copy.csv.gz"] {
      let data = try read(name)
      #expect(data.pairs.count == 2)
      #expect(data.pairs[0].chosen == "An old silent pond,\nA frog jumps into the pond—\n\"splash!\" Silence again.")
      #expect(data.pairs[0].margin == 2)
      #expect(data.pairs[1].margin == nil)
      #expect(data.pairs[1].source.line == 5)  // the first record spans lines 2–4
    }
  }

  @Test func fieldMappingReadsOtherNames() throws {
    let file = try TemporaryFile(
      "custom.jsonl", #"{"question": "Q?", "good": "Yes.", "bad": "No.", "group": "g1"}"# + "\n")
    let data = try PreferenceReader.read(
      [file.path],
      options: ReadOptions(
        format: .trl, fields: FieldMapping(prompt: "question", chosen: "good", rejected: "bad")))
    #expect(data.pairs[0].prompt == [.user("Q?")])
    #expect(data.pairs[0].chosen == "Yes.")
    #expect(data.pairs[0].rejected == "No.")
    // Without --format, the mapping alone implies TRL.
    let detected = try PreferenceReader.read(
      [file.path], options: ReadOptions(fields: FieldMapping(prompt: "question", chosen: "good", rejected: "bad")))
    #expect(detected.files.map(\.format) == [.trl])
  }

  @Test func writerRoundTripsPairs() throws {
    let original =
      try read("alpacaeval.json.gz").pairs + read("trl-conversational-explicit.jsonl").pairs
      + read("rewardbench.jsonl").pairs
    let file = try TemporaryFile("round-trip.jsonl", PreferenceWriter.jsonLines(original))
    let back = try PreferenceReader.read([file.path]).pairs
    #expect(back.count == original.count)
    for (a, b) in zip(original, back) {
      #expect(a.prompt == b.prompt)
      #expect(a.chosen == b.chosen)
      #expect(a.rejected == b.rejected)
      #expect(a.chosenProbability == b.chosenProbability)
      #expect(a.margin == b.margin)
      #expect(a.subset == b.subset)
      #expect(a.id == b.id)
    }
  }

  @Test func seededSplitIsReproducibleAndComplete() throws {
    let pairs = try PreferenceReader.read(
      [SharedData.path("data/preference/llmbar-adversarial-neighbor.json")]
    ).pairs
    let a = PairSplit.split(pairs, secondFraction: 0.5, seed: 7)
    let b = PairSplit.split(pairs, secondFraction: 0.5, seed: 7)
    let c = PairSplit.split(pairs, secondFraction: 0.5, seed: 8)
    #expect(a.first == b.first && a.second == b.second)
    #expect(a.second != c.second)
    #expect(a.first.count + a.second.count == pairs.count)
    #expect(a.second.count == 67)
    #expect(Set(a.first.map(\.source.line)).isDisjoint(with: a.second.map(\.source.line)))
  }
}
