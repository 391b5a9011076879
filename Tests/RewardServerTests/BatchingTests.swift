import Foundation
import RewardCore
import RewardServer
import Testing

@Suite struct BatchingTests {
  /// Two concurrent requests land in one micro-batch, yet each one's groups are normalised only
  /// with its own items: the results equal those of each request served alone.
  @Test func concurrentRequestsShareABatchButNotTheirGroups() async throws {
    let first = """
      {"items": [{"response": "\\\\boxed{1}", "reference": "1", "group": "g"},
                 {"response": "\\\\boxed{2}", "reference": "1", "group": "g"}]}
      """
    let second = """
      {"items": [{"response": "\\\\boxed{1}", "reference": "1", "group": "g"},
                 {"response": "\\\\boxed{1}", "reference": "1", "group": "g"},
                 {"response": "\\\\boxed{5}", "reference": "1", "group": "g"}]}
      """
    func rewards(_ reply: ServerHarness.Reply) -> [Double] {
      reply.object["results"]?.arrayValue?.compactMap { $0.objectValue?["reward"]?.doubleValue } ?? []
    }
    var alone: [[Double]] = []
    try await ServerHarness.with(servedSpec(groupSpec)) { server in
      alone = [
        rewards(try await server.post("/v1/rewards", first)), rewards(try await server.post("/v1/rewards", second)),
      ]
    }
    // The zero-valued model component makes the spec one that waits to gather batches.
    let batchingSpec = groupSpec.replacingOccurrences(of: "normalize:", with: "  - kind: zero\nnormalize:")
    let served = try servedSpec(batchingSpec, registry: registryWithBatchingModel)
    let rulesOnly = try servedSpec(groupSpec)
    #expect(served.model.benefitsFromBatching && !rulesOnly.model.benefitsFromBatching)
    // The batch is sent when it holds 5 items, i.e. both requests, however late the second one
    // comes on a loaded machine; a 500 ms wait for it used to decide that instead.
    let joined: (inout ServerConfiguration) -> Void = {
      $0.maxBatchSize = 5
      $0.maxWaitMilliseconds = 60_000
    }
    try await ServerHarness.with(served, configure: joined) { server in
      async let a = server.post("/v1/rewards", first)
      async let b = server.post("/v1/rewards", second)
      let together = [rewards(try await a), rewards(try await b)]
      #expect(together == alone)
      #expect(alone[0].count == 2 && alone[1].count == 3)
      let metrics = try await server.get("/metrics").text
      #expect(metrics.contains("rewardkit_batch_size_count 1\n"), "\(metrics)")
      #expect(metrics.contains("rewardkit_batch_size_sum 5.0\n"))
    }
  }

  /// A batch is scored as soon as it is full, not after `max_wait_ms`: the one worker used to sleep
  /// out the whole wait although the second request had filled its batch.
  @Test func aFullBatchIsScoredWithoutWaitingOutMaxWait() async throws {
    let started = ContinuousClock.now
    try await ServerHarness.with(served(FailingModel()), configure: Self.patient) { server in
      async let a = server.post("/get_reward", #"{"query": ["a"]}"#)
      async let b = server.post("/get_reward", #"{"query": ["b"]}"#)
      let statuses = try await [a.status, b.status]
      #expect(statuses == [200, 200])
      #expect(ContinuousClock.now - started < .seconds(30), "waited out max_wait_ms for a full batch")
      let metrics = try await server.get("/metrics").text
      #expect(metrics.contains("rewardkit_batch_size_count 1\n"), "\(metrics)")
    }
  }

  /// Graceful shutdown does not wait out `max_wait_ms` either: the request waiting for company is
  /// scored alone at once and answered.
  @Test func shutdownScoresAHalfFullBatchAtOnce() async throws {
    let started = ContinuousClock.now
    var waiting: Task<ServerHarness.Reply, any Error>?
    try await ServerHarness.with(served(FailingModel()), configure: Self.patient) { server in
      waiting = Task { try await server.post("/get_reward", #"{"query": ["a"]}"#) }
      #expect(await eventually { server.server.metrics.queuedItems == 1 })
    }
    let reply = try await waiting!.value
    #expect(reply.status == 200 && reply.object["rewards"]?.doubles == [1])
    #expect(ContinuousClock.now - started < .seconds(30), "shutdown waited out max_wait_ms")
  }

  /// One worker, batches of two, and a minute's wait for the second item.
  static func patient(_ configuration: inout ServerConfiguration) {
    configuration.maxBatchSize = 2
    configuration.maxWaitMilliseconds = 60_000
    configuration.scoringThreads = 1
  }

  /// A spec of rules alone gains nothing from batching, so a request never waits for others to
  /// join, however long `max_wait_ms` is.
  @Test func ruleSpecsDoNotWaitForABatch() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec), configure: { $0.maxWaitMilliseconds = 30_000 }) {
      server in
      let started = ContinuousClock.now
      let reply = try await server.post("/get_reward", #"{"query": ["\\boxed{1}"], "labels": ["1"]}"#)
      #expect(reply.status == 200 && reply.object["rewards"]?.doubles == [1])
      #expect(ContinuousClock.now - started < .seconds(15), "waited for a batch that could not help")
    }
  }

  /// A batch never exceeds `max_batch_size` items (a larger single request is scored alone).
  @Test func batchesRespectMaxBatchSize() async throws {
    try await ServerHarness.with(
      servedSpec(mathFormatSpec),
      configure: {
        $0.maxBatchSize = 3
        $0.maxWaitMilliseconds = 200
        $0.scoringThreads = 1
      }
    ) { server in
      async let a = server.post("/get_reward", #"{"query": ["a", "b"]}"#)
      async let b = server.post("/get_reward", #"{"query": ["c", "d"]}"#)
      async let c = server.post("/get_reward", #"{"query": ["e", "f", "g", "h"]}"#)
      let statuses = try await [a.status, b.status, c.status]
      #expect(statuses == [200, 200, 200])
      let metrics = try await server.get("/metrics").text
      #expect(metrics.contains("rewardkit_batch_size_count 3\n"), "\(metrics)")
      #expect(metrics.contains("rewardkit_batch_size_sum 8.0\n"))
    }
  }
}
