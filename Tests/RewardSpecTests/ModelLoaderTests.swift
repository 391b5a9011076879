import Foundation
import RewardCore
import RewardRemote
import Testing

@testable import RewardSpec

/// What `--model` accepts, now a library type every front-end shares (issue 15.6).
@Suite struct ModelLoaderTests {
  func specFile(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "rewardspec-" + UUID().uuidString + ".yaml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func urlsAreRemoteModelsWithTheirWireProtocol() throws {
    let classify = try #require(try ModelLoader.load("http://127.0.0.1:9/classify") as? RemoteRewardModel)
    #expect(classify.settings.wireProtocol == .vllmClassify)
    let openrlhf = try #require(try ModelLoader.load("https://rm.example/get_reward") as? RemoteRewardModel)
    #expect(openrlhf.settings.wireProtocol == .openrlhf)
  }

  @Test func specFilesLoadAndSayWhetherTheyNeedWholeGroups() async throws {
    let plain = try specFile("components:\n  - {kind: format, pattern: 'a'}\n")
    let grouped = try specFile("components:\n  - {kind: format, pattern: 'a'}\nnormalize: {method: group}\n")
    defer {
      try? FileManager.default.removeItem(atPath: plain)
      try? FileManager.default.removeItem(atPath: grouped)
    }
    let model = try ModelLoader.load(plain)
    #expect(model is SpecRewardModel)
    #expect(!model.needsWholeGroups)
    #expect(try ModelLoader.load(grouped).needsWholeGroups)
    let rewards = try await model.score([Candidate(prompt: [.user("p")], response: "abc")])
    #expect(rewards.map(\.value) == [1])
  }

  @Test func aMissingReferenceSaysWhatWasExpected() {
    do {
      _ = try ModelLoader.load("/nonexistent/model")
      Issue.record("loaded a missing model")
    } catch {
      let message = "\(error)"
      #expect(message.hasPrefix("/nonexistent/model: no such checkpoint directory, judge file, spec file or URL"))
      #expect(message.contains("a checkpoint directory") && message.contains("a reward spec file"))
    }
  }

  /// A front-end can add a kind (e.g. an LLM judge) tried before the standard ones.
  struct Constant: RewardModel {
    var name: String
    func score(_ candidates: [Candidate]) async throws -> [Reward] { candidates.map { _ in Reward(7) } }
  }

  @Test func addedSourcesAreTriedFirst() async throws {
    let custom = ModelSource(name: "custom", summary: "custom:NAME") { reference in
      reference.hasPrefix("custom:") ? Constant(name: reference) : nil
    }
    let loader = ModelLoader.standard.adding(custom)
    #expect(
      loader.sources.map(\.name) == ["custom", "remote", "step-check", "language model", "checkpoint", "judge", "spec"])
    let model = try loader.loadRewardModel("custom:small")
    #expect(model.name == "custom:small")
    #expect(try await model.score([Candidate(prompt: [.user("p")], response: "r")]).map(\.value) == [7])
    // Other references still reach the standard sources.
    #expect(try loader.loadRewardModel("http://127.0.0.1:9/classify") is RemoteRewardModel)
    #expect(throws: ConfigurationError.self) { try ModelLoader.standard.loadRewardModel("custom:small") }
  }
}
