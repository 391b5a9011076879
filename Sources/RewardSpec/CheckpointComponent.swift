import Foundation
import RewardCore
import RewardHeads

/// `kind: checkpoint`: a model trained with `reward train` (`path`: its directory, relative to the
/// spec file). Its features are rebuilt from what the checkpoint records (hashed n-grams or a
/// native encoder), so a spec composes rules and learned rewards with no other set-up.
enum CheckpointComponent {
  static func make(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let path = try p.string("path")
    let directory =
      path.hasPrefix("/") || p.file == nil
      ? path : URL(fileURLWithPath: p.file!).deletingLastPathComponent().appendingPathComponent(path).path
    do {
      return ModelComponent(try Checkpoint.load(from: directory).rewardModel(name: path))
    } catch {
      throw p.error("path", "cannot load the checkpoint at \(directory): \(error)")
    }
  }
}
