import RewardCore
import RewardHeads

/// Loads what `--model` names. One place, so every command accepts the same things.
enum ModelLoader {
  static func load(_ path: String) throws -> any RewardModel {
    try Checkpoint.load(from: path).rewardModel(name: path)
  }
}
