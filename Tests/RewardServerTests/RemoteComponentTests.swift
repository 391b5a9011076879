import Foundation
import RewardCore
import RewardServer
import RewardSpec
import Testing

@Suite struct RemoteComponentTests {
  /// `kind: remote` in a spec, served by RewardKit: RewardKit fronting a vLLM reward model and
  /// composing it with a rule.
  @Test func specWithARemoteVLLMComponent() async throws {
    let stub = StubVLLM()
    try await stub.serve { url in
      let served = try servedSpec(
        """
        name: fronted
        components:
          - name: rm
            kind: remote
            url: \(url)
            protocol: vllm-classify
            model: Skywork-Reward
            batch_size: 2
            timeout_s: 5
          - kind: format
            pattern: "^a"
            weight: 10
        """)
      try await ServerHarness.with(served) { server in
        let reply = try await server.post("/get_reward", #"{"query": ["abc", "b", "ab"]}"#)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.object["rewards"]?.doubles == [13, 1, 12])
        #expect(reply.object["extra_logs"]?.objectValue?["rm"]?.doubles == [3, 1, 2])
      }
      #expect(stub.requests.withLock { $0.count } == 2)
    }
  }

  @Test func remoteComponentErrorsNameTheParameter() throws {
    let cases: [(body: String, path: String)] = [
      ("url: ftp://x/classify", "components[0].url"),
      ("url: http://127.0.0.1:1/c\n    protocol: grpc", "components[0].protocol"),
      ("url: http://127.0.0.1:1/c\n    timeout_s: 0", "components[0].timeout_s"),
      ("url: http://127.0.0.1:1/c\n    api_key_env: REWARDKIT_TEST_UNSET_VARIABLE", "components[0].api_key_env"),
      ("url: http://127.0.0.1:1/c\n    retries: 2", "components[0].retries"),
      ("url: http://127.0.0.1:1/c\n    max_retry_after_s: -1", "components[0].max_retry_after_s"),
    ]
    for item in cases {
      #expect {
        try RewardSpecLoader.load(text: "components:\n  - kind: remote\n    \(item.body)\n")
      } throws: { error in
        (error as? SpecError)?.path == item.path
      }
    }
  }
}
