import Foundation
import RewardCore
import RewardHeads
import RewardRemote
import RewardServer
import RewardSpec

/// Loads what `--model` names, in one place so every command accepts the same things:
/// - a checkpoint directory written by `reward train`;
/// - a reward spec file (`.yaml`, `.yml`, `.json`), whose components may be checkpoints;
/// - a remote reward model URL: vLLM's `/classify` endpoint, or an OpenRLHF `/get_reward` server
///   (any other http(s) URL).
enum ModelLoader {
  static func load(_ reference: String) throws -> any RewardModel {
    if reference.hasPrefix("http://") || reference.hasPrefix("https://") {
      let wire: RemoteProtocol = reference.hasSuffix("/classify") ? .vllmClassify : .openrlhf
      return RemoteRewardModel(name: reference, settings: RemoteSettings(url: reference, wireProtocol: wire))
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory) else {
      throw ConfigurationError("\(reference): no such checkpoint directory, spec file or URL")
    }
    if isDirectory.boolValue {
      // A process reward model: step scores, aggregated by min into the scalar.
      if PRMCheckpoint.isPRMCheckpoint(reference) {
        return try PRMCheckpoint.load(from: reference).rewardModel(name: reference)
      }
      return try Checkpoint.load(from: reference).rewardModel(name: reference)
    }
    return try ServedModel.spec(path: reference).model
  }

  /// Like `load`, but also accepts pairwise-only checkpoints (preference embeddings).
  static func loadPreferenceModel(_ reference: String) throws -> any PreferenceModel {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory), isDirectory.boolValue {
      return try Checkpoint.load(from: reference).preferenceModel(name: reference)
    }
    return try load(reference)
  }
}
