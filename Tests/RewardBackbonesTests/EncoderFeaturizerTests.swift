import Foundation
import RewardBackbones
import RewardCore
import RewardFeatures
import Testing

@Suite struct EncoderFeaturizerTests {
  static func candidate(user: String?, response: String) -> Candidate {
    Candidate(
      prompt: user.map { [.system("be nice"), .user("first turn"), .assistant("ok"), .user($0)] } ?? [],
      response: response)
  }

  static let candidates = [
    candidate(user: "hello world", response: "the cat sat on the mat."),
    candidate(user: "a big red dog", response: "the dog ran!"),
    candidate(user: nil, response: "hello world"),
    candidate(user: "hello world", response: "the cat sat on the mat."),  // a repeat: encoded once
  ]

  @Test func responseKeepsItsHeadAndTheUserTurnItsEnd() throws {
    let store = BackboneStore(cacheDirectory: try TestPaths.temporaryDirectory().path)
    let featurizer = try EncoderFeaturizer(
      backbone: TinyBertTests.directory, tokenBudget: 8, store: store, cacheEmbeddings: false)
    // the=5 cat=6 sat=7 on=8 mat=9 dog=10 ran=11 a=12 big=13 red=14; [CLS]=2 [SEP]=3
    let short = featurizer.encoding(for: Self.candidate(user: "a big red dog", response: "the cat"))
    #expect(short.ids == [2, 13, 14, 10, 3, 5, 6, 3], "the user turn keeps its last 3 tokens")
    #expect(short.typeIDs == [0, 0, 0, 0, 0, 1, 1, 1])
    let long = featurizer.encoding(
      for: Self.candidate(user: "a big red dog", response: "the cat sat on the mat the dog"))
    #expect(long.ids == [2, 5, 6, 7, 8, 5, 9, 3], "the response's head fills the budget; the user turn is left out")
    let noUser = featurizer.encoding(for: Self.candidate(user: nil, response: "the cat"))
    #expect(noUser.ids == [2, 5, 6, 3])
    let emptyResponse = featurizer.encoding(for: Self.candidate(user: "a big red dog ran", response: ""))
    #expect(emptyResponse.ids == [2, 12, 13, 14, 10, 11, 3, 3])
  }

  @Test func rejectsBudgetsBeyondTheModel() throws {
    let store = BackboneStore(cacheDirectory: try TestPaths.temporaryDirectory().path)
    #expect(throws: ConfigurationError.self) {
      try EncoderFeaturizer(backbone: TinyBertTests.directory, tokenBudget: 600, store: store)
    }
    #expect(throws: ConfigurationError.self) {
      try EncoderFeaturizer(backbone: TinyBertTests.directory, tokenBudget: 13, store: store)  // max positions 12
    }
  }

  @Test func secondRunReadsTheDiskCache() async throws {
    let store = BackboneStore(cacheDirectory: try TestPaths.temporaryDirectory().path)
    let first = try EncoderFeaturizer(backbone: TinyBertTests.directory, tokenBudget: 12, store: store)
    let vectors = try await first.features(for: Self.candidates)
    #expect(vectors.count == 4 && vectors.allSatisfy { $0.isDense && $0.values.count == first.dimension })
    #expect(first.statistics.encoded == 3 && first.statistics.cacheHits == 0)
    #expect(vectors[0] == vectors[3] && vectors[0] != vectors[1])

    let reports = ProgressLog()
    let withProgress = try EncoderFeaturizer(
      backbone: TinyBertTests.directory, tokenBudget: 12, store: store, cacheEmbeddings: false)
    _ = try withProgress.embeddings(for: Self.candidates) { reports.append($0, $1) }
    #expect(reports.entries.map(\.0).max() == 3 && reports.entries.allSatisfy { $0.1 == 3 })

    let second = try EncoderFeaturizer(backbone: TinyBertTests.directory, tokenBudget: 12, store: store)
    let again = try await second.features(for: Self.candidates)
    #expect(second.statistics.encoded == 0 && second.statistics.cacheHits == 4)
    #expect(again == vectors)

    // Other settings are another cache: nothing is reused across them.
    let other = try EncoderFeaturizer(backbone: TinyBertTests.directory, pooling: .cls, tokenBudget: 12, store: store)
    _ = try await other.features(for: Self.candidates)
    #expect(other.statistics.encoded == 3)
  }

  @Test func cacheSurvivesATornRecord() throws {
    let path = try TestPaths.temporaryDirectory().appendingPathComponent("e.embeddings").path
    let cache = try EmbeddingCache(path: path, dimension: 3)
    try cache.store([(EmbeddingKey(["a"]), [1, 2, 3])])
    // A killed run left half a record behind.
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data([1, 2, 3, 4, 5]))
    handle.closeFile()
    let reopened = try EmbeddingCache(path: path, dimension: 3)
    #expect(reopened.lookup(EmbeddingKey(["a"])) == [1, 2, 3])
    try reopened.store([(EmbeddingKey(["b"]), [4, 5, 6])])
    let third = try EmbeddingCache(path: path, dimension: 3)
    #expect(third.count == 2 && third.lookup(EmbeddingKey(["b"])) == [4, 5, 6])
    // A file with another dimension is discarded, not misread.
    #expect(try EmbeddingCache(path: path, dimension: 4).count == 0)
  }

  @Test func descriptorRebuildsTheSameFeaturizer() async throws {
    let store = BackboneStore(cacheDirectory: try TestPaths.temporaryDirectory().path)
    let featurizer = try EncoderFeaturizer(
      backbone: TinyBertTests.directory, normalize: true, tokenBudget: 10, store: store)
    let descriptor = featurizer.descriptor
    let object = try #require(descriptor.objectValue)
    #expect(object["kind"] == "encoder" && object["pooling"] == "mean" && object["normalize"] == true)
    #expect(object["max_length"] == 10 && object["backbone"]?.stringValue?.hasSuffix("tiny-bert") == true)
    let rebuilt = try EncoderFeaturizer.make(descriptor: try JSONParser.parse(descriptor.jsonText), store: store)
    #expect(rebuilt.descriptor == descriptor)
    let a = try await featurizer.features(for: Self.candidates)
    let b = try await rebuilt.features(for: Self.candidates)
    #expect(a == b)

    var changed = object
    changed["fingerprint"] = "0000000000000000"
    #expect {
      try EncoderFeaturizer.make(descriptor: .object(changed), store: store)
    } throws: { error in
      "\(error)".contains("has changed since this checkpoint was trained")
    }
    #expect(throws: ConfigurationError.self) { try EncoderFeaturizer.make(descriptor: ["kind": "hashed-ngrams"]) }
  }
}

/// Collects progress reports from worker threads.
final class ProgressLog: @unchecked Sendable {
  private let lock = NSLock()
  private var log: [(Int, Int)] = []

  func append(_ done: Int, _ total: Int) {
    lock.lock()
    defer { lock.unlock() }
    log.append((done, total))
  }

  var entries: [(Int, Int)] {
    lock.lock()
    defer { lock.unlock() }
    return log
  }
}

/// Models loaded in one process on one encoder share it (issue 13 leftover): a featurizer made
/// before another computed vectors still sees them, and checkpoints rebuilt on one backbone get
/// one featurizer, so each distinct text is encoded once.
@Suite struct SharedEncoderTests {
  @Test func featurizersOnOneBackboneEncodeEachTextOnce() async throws {
    let store = BackboneStore(cacheDirectory: try TestPaths.temporaryDirectory().path)
    let candidates = EncoderFeaturizerTests.candidates
    // Opened before anything is cached: it used to see only the file as it was then.
    let early = try EncoderFeaturizer(backbone: TinyBertTests.directory, tokenBudget: 12, store: store)
    let first = try EncoderFeaturizer.shared(backbone: TinyBertTests.directory, tokenBudget: 12, store: store)
    let second = try EncoderFeaturizer.shared(backbone: TinyBertTests.directory, tokenBudget: 12, store: store)
    #expect(first.statistics === second.statistics)
    let vectors = try await first.features(for: candidates)
    _ = try await second.features(for: candidates)
    let distinct = 3  // candidates 0 and 3 are the same text
    #expect(first.statistics.encoded == distinct && first.statistics.cacheHits == candidates.count)
    #expect(try await early.features(for: candidates) == vectors)
    #expect(early.statistics.encoded == 0 && early.statistics.cacheHits == candidates.count)
    // Checkpoints' descriptors rebuild one shared featurizer, which reads what `first` computed.
    let rebuilt = try EncoderFeaturizer.make(descriptor: first.descriptor, store: store)
    let again = try EncoderFeaturizer.make(descriptor: first.descriptor, store: store)
    #expect(rebuilt.statistics === again.statistics)
    #expect(try await rebuilt.features(for: candidates) == vectors)
    #expect(rebuilt.statistics.encoded == 0)
    // Other settings are another featurizer.
    let other = try EncoderFeaturizer.shared(backbone: TinyBertTests.directory, tokenBudget: 10, store: store)
    #expect(other.statistics !== first.statistics)
  }

  @Test func sharedCachesAreOnePerFile() throws {
    let path = try TestPaths.temporaryDirectory().appendingPathComponent("s.embeddings").path
    let a = try EmbeddingCache.shared(path: path, dimension: 2)
    let b = try EmbeddingCache.shared(path: path, dimension: 2)
    #expect(a === b)
    try a.store([(EmbeddingKey(["x"]), [1, 2])])
    #expect(b.lookup(EmbeddingKey(["x"])) == [1, 2])
  }
}
