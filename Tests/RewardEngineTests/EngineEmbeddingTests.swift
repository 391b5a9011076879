import Foundation
import Hummingbird
import RewardBackbones
import RewardCore
import RewardData
import RewardEngine
import RewardHeads
import RewardLM
import RewardTestSupport
import Testing

/// A `/v1/embeddings` as vLLM and TEI answer it: 8 numbers per text, computed from the text
/// (length, words, question marks, …) so that heads have something to learn.
enum EmbeddingStub {
  static let dimension = 8

  static func vector(_ text: String) -> [Double] {
    let words = text.split(whereSeparator: \.isWhitespace)
    let count = Double(text.unicodeScalars.count)
    return [
      log1p(count), log1p(Double(words.count)), Double(text.filter { $0 == "?" }.count),
      Double(text.filter { $0 == "\n" }.count) / 10, Double(text.filter(\.isNumber).count) / max(count, 1),
      Double(text.filter(\.isUppercase).count) / max(count, 1), count.truncatingRemainder(dividingBy: 7) / 7, 1,
    ]
  }

  static func reply(_ body: JSONObject, dimension: Int = EmbeddingStub.dimension) -> Response {
    let inputs = body["input"]?.arrayValue?.compactMap(\.stringValue) ?? []
    let data: [JSONValue] = inputs.enumerated().map { index, text in
      [
        "object": "embedding", "index": .int(Int64(index)),
        "embedding": .array(vector(text).prefix(dimension).map { .double($0) }),
      ]
    }
    return StubEngine.json([
      "object": "list", "data": .array(data), "model": body["model"] ?? "stub",
      "usage": ["prompt_tokens": .int(Int64(inputs.count * 5)), "total_tokens": .int(Int64(inputs.count * 5))],
    ])
  }
}

@Suite struct EngineEmbeddingTests {
  static let llmbar = SharedData.path("data/preference/llmbar-natural.json")

  func temporaryStore() -> BackboneStore {
    BackboneStore(cacheDirectory: FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path)
  }

  func candidates(_ count: Int) throws -> [Candidate] {
    let pairs = try PreferenceReader.read([Self.llmbar]).pairs
    return pairs.prefix(count).flatMap { pair in
      [Candidate(prompt: pair.prompt, response: pair.chosen), Candidate(prompt: pair.prompt, response: pair.rejected)]
    }
  }

  @Test func backboneSyntaxNamesURLAndModel() throws {
    let configuration = try #require(
      try EngineEmbeddingFeaturizer.configuration(fromBackbone: "engine:http://10.0.0.1:8000/v1#BAAI/bge-m3"))
    #expect(configuration.baseURLs == ["http://10.0.0.1:8000/v1"])
    #expect(configuration.model == "BAAI/bge-m3")
    #expect(try EngineEmbeddingFeaturizer.configuration(fromBackbone: "minilm") == nil)
    #expect(throws: ConfigurationError.self) {
      try EngineEmbeddingFeaturizer.configuration(fromBackbone: "engine:http://10.0.0.1:8000/v1")
    }
    #expect(throws: ConfigurationError.self) {
      try EngineEmbeddingFeaturizer.configuration(fromBackbone: "engine:ftp://host#model")
    }
  }

  @Test func probesTheDimensionBatchesAndCachesOnDisk() async throws {
    let stub = StubEngine { _, body, _ in EmbeddingStub.reply(body) }
    let store = temporaryStore()
    let items = try candidates(35)  // 70 texts: 3 batches of at most 32
    let (first, second) = try await stub.serve { url in
      let configuration = EngineConfiguration(baseURLs: [url], model: "stub-embedder")
      let featurizer = try await EngineEmbeddingFeaturizer.probing(configuration: configuration, store: store)
      #expect(featurizer.dimension == EmbeddingStub.dimension)
      let first = try await featurizer.features(for: items)
      #expect(stub.requestCount == 1 + 3)
      // A new featurizer on the same cache: no request for texts already embedded.
      let again = try EngineEmbeddingFeaturizer(configuration: configuration, dimension: 8, store: store)
      let second = try await again.features(for: items)
      #expect(stub.requestCount == 1 + 3)
      return (first, second)
    }
    #expect(first == second)
    let batchSizes = stub.bodies.dropFirst().map { $0["input"]?.arrayValue?.count ?? 0 }
    #expect(batchSizes.sorted() == [6, 32, 32])
    // The vectors are the engine's, in candidate order.
    let featurizer = try EngineEmbeddingFeaturizer(
      configuration: EngineConfiguration(baseURLs: ["http://127.0.0.1:9/v1"], model: "stub-embedder"), dimension: 8,
      store: nil)
    for (candidate, vector) in zip(items, first) {
      #expect(vector.values == EmbeddingStub.vector(featurizer.text(for: candidate)).map { Float($0) })
    }
  }

  @Test func aVectorOfAnotherDimensionIsAnError() async throws {
    let stub = StubEngine { _, body, _ in EmbeddingStub.reply(body, dimension: 6) }
    await #expect {
      try await stub.serve { url in
        let featurizer = try EngineEmbeddingFeaturizer(
          configuration: EngineConfiguration(baseURLs: [url], model: "stub-embedder"), dimension: 8, store: nil)
        return try await featurizer.features(for: try candidates(1))
      }
    } throws: { error in
      "\(error)".contains("6-dimensional") && "\(error)".contains("expected 8")
    }
  }

  /// A Bradley–Terry head trained on engine embeddings of real pairs reloads from its checkpoint
  /// (the descriptor names the engine and dimension) and scores exactly as before saving.
  @Test func aHeadTrainedOnEngineEmbeddingsReloadsFromItsCheckpoint() async throws {
    let stub = StubEngine { _, body, _ in EmbeddingStub.reply(body) }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let items = try candidates(20)
    let (before, after, descriptor) = try await stub.serve { url in
      let featurizer = try await EngineEmbeddingFeaturizer.probing(
        configuration: EngineConfiguration(baseURLs: [url], model: "rewardkit-test-stub-embedder"),
        store: temporaryStore())
      var configuration = TrainingConfiguration()
      configuration.epochs = 3
      let trained = try await train(
        BradleyTerryFamily(), data: TrainingData(pairs: try PreferenceReader.read([Self.llmbar])),
        featurizer: featurizer, configuration: configuration)
      try trained.checkpoint.save(to: directory)
      let before = try await trained.checkpoint.rewardModel(name: "trained").score(items)
      let reloaded = try Checkpoint.load(from: directory)
      let after = try await reloaded.rewardModel(name: directory).score(items)
      return (before, after, reloaded.featurizer)
    }
    #expect(before.map(\.value) == after.map(\.value))
    #expect(Set(before.map(\.value)).count > 1)
    #expect(descriptor.objectValue?["kind"] == "engine_embeddings")
    #expect(descriptor.objectValue?["dimension"] == 8)
  }
}

/// llama-server serves /v1/embeddings only when started with --embeddings: the one scripts/test.sh
/// starts for the other tests does not, and the error must say how to fix it.
@Suite(.enabled(if: LlamaServer.available, LlamaServer.skipReason))
struct LlamaServerEmbeddingTests {
  @Test func aServerWithoutEmbeddingsIsRefusedWithAdvice() async throws {
    let url = try await LlamaServer.baseURL()
    await #expect {
      try await EngineEmbeddingFeaturizer.probing(
        configuration: EngineConfiguration(baseURLs: [url], model: "smollm2"), store: nil)
    } throws: { error in
      "\(error)".contains("--embeddings") && "\(error)".contains("does not serve embeddings")
    }
  }

  static let embeddingsURL = ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_EMBEDDINGS_URL"]

  /// The data path against a real engine (scripts/test.sh starts a second llama-server with
  /// `--embeddings --pooling mean` and sets REWARDKIT_LLAMA_EMBEDDINGS_URL).
  @Test(.enabled(if: embeddingsURL != nil, "REWARDKIT_LLAMA_EMBEDDINGS_URL is not set"))
  func smolLM2EmbeddingsOfRealPairs() async throws {
    let configuration = EngineConfiguration(baseURLs: [Self.embeddingsURL!], model: "smollm2", timeoutSeconds: 120)
    let featurizer = try await EngineEmbeddingFeaturizer.probing(configuration: configuration, batchSize: 4, store: nil)
    #expect(featurizer.dimension == 576)  // SmolLM2-135M's hidden size
    let pairs = try PreferenceReader.read([EngineEmbeddingTests.llmbar]).pairs.prefix(2)
    let items = pairs.flatMap { pair in
      [Candidate(prompt: pair.prompt, response: pair.chosen), Candidate(prompt: pair.prompt, response: pair.rejected)]
    }
    let vectors = try await featurizer.features(for: items)
    #expect(vectors.count == 4)
    #expect(vectors.allSatisfy { vector in vector.values.count == 576 && vector.values.allSatisfy { $0.isFinite } })
    #expect(vectors[0] != vectors[1])
  }
}
