import Testing

@testable import RewardCore

/// The one check every consumer runs on a model's rewards (issue 16.3).
@Suite struct FiniteRewardTests {
  @Test func finiteRewardsPassUnchanged() throws {
    let rewards = [Reward(1), Reward(-2.5, components: [("a", 0)]), Reward(0, uncertainty: .infinity)]
    #expect(try Reward.validatedFinite(rewards, model: "m") == rewards)
  }

  @Test(arguments: [(Double.nan, "NaN"), (.infinity, "+inf"), (-.infinity, "-inf")])
  func aNonFiniteRewardNamesTheModelTheItemAndTheValue(value: Double, spelled: String) {
    let rewards = [Reward(1), Reward(value)]
    #expect(throws: NonFiniteRewardError.self) { try Reward.validatedFinite(rewards, model: "ckpt") }
    do {
      try Reward.validatedFinite(rewards, model: "ckpt", item: { "data.jsonl:\($0 + 10)" })
    } catch {
      #expect(error.model == "ckpt" && error.item == "data.jsonl:11")
      #expect(error.description == "model 'ckpt' gave a non-finite reward (\(spelled)) for data.jsonl:11")
    }
  }

  @Test func aNonFiniteComponentIsNamed() {
    let reward = Reward(1, components: [("math", 1), ("length", .nan)])
    #expect(!reward.isFinite)
    let error = reward.nonFiniteError(model: "spec", item: "item 1")
    #expect(error?.component == "length")
    #expect(error?.description == "model 'spec' gave a non-finite component 'length' of the reward (NaN) for item 1")
  }
}

/// One cache-root lookup for backbones and score caches.
@Suite struct CacheRootTests {
  @Test func followsTheEnvironment() {
    #expect(CacheRoot.path(environment: ["REWARDKIT_CACHE": "/data/rk", "HOME": "/home/x"]) == "/data/rk")
    #expect(CacheRoot.path(environment: ["REWARDKIT_CACHE": "", "HOME": "/home/x"]) == "/home/x/.cache/rewardkit")
    #expect(CacheRoot.folder("scores", environment: ["HOME": "/home/x"]) == "/home/x/.cache/rewardkit/scores")
    #expect(CacheRoot.folder("scores", explicit: "/tmp/s", environment: ["HOME": "/home/x"]) == "/tmp/s")
  }
}
