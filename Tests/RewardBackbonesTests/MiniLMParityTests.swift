import Foundation
import RewardBackbones
import RewardCore
import RewardTestSupport
import Testing

/// The real all-MiniLM-L6-v2 against sentence-transformers' own embeddings.
@Suite struct MiniLMParityTests {
  @Test(.enabled(if: MiniLM.isFetched, Comment(rawValue: MiniLM.skipReason)))
  func matchesSentenceTransformersEmbeddings() throws {
    let encoder = try SentenceEncoder(directory: try TestPaths.miniLMDirectory())
    #expect(encoder.pooling == .mean && encoder.normalize && encoder.maxLength == 256 && encoder.dimension == 384)
    let records = try TestPaths.jsonLines(TestPaths.reference.appendingPathComponent("minilm-embeddings.jsonl"))
    #expect(records.count > 50)
    let texts = try records.map { try #require($0["text"]?.stringValue) }
    let expected = try records.map {
      try #require($0["embedding"]?.arrayValue).compactMap { $0.doubleValue.map(Float.init) }
    }
    let actual = encoder.embed(texts)
    var worst = (1.0, "")
    for (i, text) in texts.enumerated() {
      let similarity = cosine(actual[i], expected[i])
      if similarity < worst.0 { worst = (similarity, String(text.prefix(60))) }
    }
    #expect(worst.0 >= 0.9999, "lowest cosine \(worst.0) for \(worst.1.debugDescription)")
  }
}
