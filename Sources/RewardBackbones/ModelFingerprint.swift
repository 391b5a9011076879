import Foundation
import RewardCore

/// A stable identity of a model directory's contents, for cache keys and for checking that a
/// checkpoint is rebuilt on the backbone it was trained with. It hashes config.json and
/// tokenizer.json whole, and of model.safetensors the size, the header and 64 evenly spread
/// 4 KiB samples of the data (a fine-tuned copy with the same shapes changes every tensor, so
/// the samples tell it apart without reading 90 MB on every start).
public enum ModelFingerprint {
  public static func of(directory: String) throws -> String {
    var hasher = StableHasher(seed: 0x5EED_0B0E)
    for file in ["config.json", "tokenizer.json"] {
      let path = (directory as NSString).appendingPathComponent(file)
      hasher.combine(file)
      hasher.combine(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
    }
    let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
    let weights = try Data(contentsOf: URL(fileURLWithPath: weightsPath), options: .alwaysMapped)
    hasher.combine(String(weights.count))
    var headerLength = 0
    for i in 0..<min(8, weights.count) { headerLength |= Int(weights[weights.startIndex + i]) << (8 * i) }
    let headerEnd = min(weights.count, 8 + max(0, headerLength))
    hasher.combine(bytes: weights[weights.startIndex..<weights.startIndex + headerEnd])
    let dataCount = weights.count - headerEnd
    let sample = 4096
    if dataCount > 0 {
      for k in 0..<64 {
        let start = headerEnd + (dataCount - min(sample, dataCount)) * k / 63
        hasher.combine(
          bytes: weights[(weights.startIndex + start)..<(weights.startIndex + min(start + sample, weights.count))])
      }
    }
    return hasher.hexDigest
  }
}
