import Foundation
import RewardBackbones
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardLM

/// Featurizers on one LM backbone within a process (issue 13 leftover): one featurizer per model
/// files and settings, so each distinct text runs through the model once, whoever asks.
@Suite struct SharedBackboneTests {
  /// The tiny Llama with a byte-level tokenizer (RewardTestSupport).
  static let model = try! TinyLanguageModel.directory()

  static let candidates = [
    Candidate(prompt: [.user("Name a colour")], response: "Blue."),
    Candidate(prompt: [.user("Name a colour")], response: "Green, like grass."),
    Candidate(prompt: [.user("What is 2+2?")], response: "4"),
    Candidate(prompt: [.user("Name a colour")], response: "Blue."),
  ]

  @Test func featurizersWithTheSameSettingsAreOne() async throws {
    let store = BackboneStore(cacheDirectory: NSTemporaryDirectory() + "rewardlm-shared-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: store.cacheRoot) }
    let first = try LanguageModelLoader.featurizer(backbone: Self.model, tokenBudget: 64, store: store)
    let second = try LanguageModelLoader.featurizer(backbone: Self.model, tokenBudget: 64, store: store)
    #expect(first.statistics === second.statistics)
    #expect(first.cache === second.cache)
    let distinct = Set(try Self.candidates.map { try first.tokens(for: $0) }).count
    #expect(distinct == 3)
    let vectors = try await first.features(for: Self.candidates)
    #expect(try await second.features(for: Self.candidates) == vectors)
    #expect(first.statistics.encoded == distinct)
    #expect(first.statistics.cacheHits == Self.candidates.count)
    // Rebuilt from a checkpoint's descriptor: the same featurizer.
    let rebuilt = try LanguageModelLoader.featurizer(descriptor: first.descriptor, store: store)
    #expect(rebuilt.statistics === first.statistics)
    // Another layer is another featurizer and cache (its vectors differ) on the same weights.
    let layerCount = first.language.model.config.layerCount
    let other = try LanguageModelLoader.featurizer(
      backbone: Self.model, layer: layerCount - 1, tokenBudget: 64, store: store)
    #expect(other.statistics !== first.statistics && other.cache !== first.cache)
    _ = try await other.features(for: Self.candidates)
    #expect(other.statistics.encoded == distinct && first.statistics.encoded == distinct)
  }

  @Test func aFeaturizerMadeEarlierSeesVectorsComputedLater() async throws {
    let directory = NSTemporaryDirectory() + "rewardlm-shared-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let language = try LanguageModelLoader.loadShared(Self.model).model
    func make() throws -> DecoderFeaturizer {
      try DecoderFeaturizer(
        language: language, backbone: "tiny", fingerprint: "early", tokenBudget: 64, cacheDirectory: directory)
    }
    // Both open the cache before anything is in it (they used to snapshot the file at that point).
    let (early, late) = (try make(), try make())
    _ = try await late.features(for: Self.candidates)
    _ = try await early.features(for: Self.candidates)
    #expect(late.statistics.encoded == 3 && early.statistics.encoded == 0)
  }
}
