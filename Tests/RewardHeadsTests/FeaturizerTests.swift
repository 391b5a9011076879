import RewardCore
import RewardData
import RewardFeatures
import Testing

@Suite struct HashedFeaturizerTests {
  let featurizer = try! HashedNGramFeaturizer()

  @Test func sameTextGivesBitIdenticalFeaturesInAnyBatch() throws {
    let pairs = try PreferenceReader.read([SharedData.path("data/preference/llmbar-natural.json")]).pairs
    let candidates = pairs.map(\.chosenCandidate)
    let batch = featurizer.featuresSync(candidates)
    let single = candidates.map(featurizer.vector(for:))
    let rebuilt = try HashedNGramFeaturizer.make(descriptor: featurizer.descriptor).featuresSync(candidates)
    #expect(batch == single)
    #expect(batch == rebuilt)
  }

  @Test func vectorsAreSortedAndNormalised() {
    let vector = featurizer.vector(for: Candidate(prompt: [], response: "the cat sat on the mat. The cat!"))
    #expect(vector.indices == vector.indices.sorted())
    #expect(Set(vector.indices).count == vector.indices.count)
    let norm = vector.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
    #expect(abs(norm - 1) < 1e-5)  // only the response part, normalised to 1
  }

  @Test func aLongConversationNeverLosesTheResponse() {
    var configuration = HashedNGramFeaturizer.Configuration()
    configuration.maxWords = 50
    let text = ModelText(
      candidate: Candidate(
        prompt: [.user(String(repeating: "earlier turn ", count: 500)), .assistant("ok"), .user("last question here")],
        response: String(repeating: "answer ", count: 30)),
      maxWords: configuration.maxWords)
    #expect(text.responseTokens.count == 30)
    #expect(text.contextTokens.count == 3)  // the last user turn, whole: it fits
    let long = ModelText(
      candidate: Candidate(prompt: [.user("why")], response: String(repeating: "word ", count: 80)), maxWords: 50)
    #expect(long.responseTokens.count == 50)  // the response keeps the whole budget
    #expect(long.contextTokens.isEmpty)
    #expect(long.responseWordCount == 80)
  }

  @Test func theLastUserTurnKeepsItsEndWhenCut() {
    let text = ModelText(
      candidate: Candidate(prompt: [.user("alpha beta gamma delta")], response: "one two"), maxWords: 4)
    let expected = ModelText(candidate: Candidate(prompt: [.user("gamma delta")], response: "one two"), maxWords: 4)
    #expect(text.contextTokens == expected.contextTokens)
  }

  @Test func promptWordsLiveInTheirOwnNamespace() {
    let responseOnly = Set(featurizer.vector(for: Candidate(prompt: [], response: "x")).indices)
    let teaAsResponse = Set(featurizer.vector(for: Candidate(prompt: [], response: "tea")).indices)
      .subtracting(responseOnly)  // what "tea" adds as a response word
    let teaAsPrompt = Set(featurizer.vector(for: Candidate(prompt: [.user("tea")], response: "x")).indices)
      .subtracting(responseOnly)  // what "tea" adds as the last user turn
    #expect(!teaAsResponse.isEmpty && !teaAsPrompt.isEmpty)
    #expect(teaAsResponse.isDisjoint(with: teaAsPrompt))
    var noContext = HashedNGramFeaturizer.Configuration()
    noContext.contextWeight = 0
    let without = try! HashedNGramFeaturizer(noContext)
    #expect(
      without.vector(for: Candidate(prompt: [.user("tea")], response: "x"))
        == without.vector(for: Candidate(prompt: [.user("coffee")], response: "x")))
  }

  @Test func rejectsBadSettings() {
    var configuration = HashedNGramFeaturizer.Configuration()
    configuration.maxN = 0
    #expect(throws: ConfigurationError.self) { try HashedNGramFeaturizer(configuration) }
    configuration = HashedNGramFeaturizer.Configuration()
    configuration.buckets = 3
    #expect(throws: ConfigurationError.self) { try HashedNGramFeaturizer(configuration) }
  }
}
