import AsyncHTTPClient
import Foundation
import NIOCore
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardLM

/// SmolLM2's native tokenizer against llama.cpp's, on the real llama-server (`/tokenize`) serving
/// the same GGUF: an implementation that owes nothing to ours or to `transformers`. SmolLM2's
/// split puts digits apart *before* the byte-level split (its hub tokenizer and llama.cpp's
/// "smollm" pre-tokenizer), so "\n\n5" is "\n\n" + "5" — where transformers' GGUF loader, which
/// ignores `tokenizer.ggml.pre`, gives "\n" + "\n" + "5". This test pins our default to the
/// model's own split, id for id.
@Suite struct LlamaServerTokenizerTests {
  static let engineURL = ProcessInfo.processInfo.environment["REWARDKIT_LLAMA_URL"]

  @Test(
    .enabled(if: engineURL != nil && SmolLM2File.isPresent, "REWARDKIT_LLAMA_URL unset or the SmolLM2 GGUF is absent"))
  func nativeIDsEqualLlamaServerTokenize() async throws {
    let base = try #require(Self.engineURL).replacingOccurrences(of: "/v1", with: "")
    let tokenizer = try BPETokenizer(ggufFile: SmolLM2File.path)
    let cases = try #require(try LMFixtures.json("smollm2/tokenizer_cases.json").objectValue?["cases"]?.arrayValue)
    var texts = cases.compactMap { $0.objectValue?["text"]?.stringValue }
    texts += ["Step:\n\n5 apples and  42 pears", "x\n\n\n12345.678", " 1 2  3\t4\n5"]
    let client = HTTPClient.shared
    var compared = 0
    for text in texts {
      // llama.cpp drops bytes it has no token for differently; those texts are not comparable.
      guard tokenizer.unrepresentableBytes(in: text).isEmpty else { continue }
      var request = HTTPClientRequest(url: base + "/tokenize")
      request.method = .POST
      request.headers.add(name: "Content-Type", value: "application/json")
      let body = JSONValue.object(JSONObject([("content", .string(text)), ("add_special", .bool(false))]))
      request.body = .bytes(ByteBuffer(string: body.jsonText))
      let response = try await client.execute(request, timeout: .seconds(30))
      let bytes = try await response.body.collect(upTo: 1 << 22)
      let reply = try JSONParser.parse(bytes: Array(buffer: bytes))
      let expected = try #require(reply.objectValue?["tokens"]?.arrayValue).map { value -> TokenID in
        guard case .int(let id) = value else { return -1 }
        return TokenID(id)
      }
      #expect(try tokenizer.encode(text, addSpecialTokens: false) == expected, "\(text.debugDescription)")
      compared += 1
    }
    #expect(compared > 200)
  }
}
