import Foundation

/// A loadable tiny decoder LM for tests of what runs on top of one (featurizers, heads): the tiny
/// random Llama of Tests/RewardLMTests/Fixtures/tiny/llama (vocabulary 256, 128 positions) with a
/// byte-level BPE tokenizer.json of exactly its 256 ids (one token per byte, GPT-2's byte
/// alphabet, no merges), in a fresh temporary model directory.
public enum TinyLanguageModel {
  public static let fixture = SharedData.repository.appendingPathComponent("Tests/RewardLMTests/Fixtures/tiny/llama")
    .path

  /// A new directory holding the model (links to the fixture's files) and the tokenizer.
  public static func directory() throws -> String {
    let directory = NSTemporaryDirectory() + "tiny-llama-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for file in ["config.json", "model.safetensors"] {
      try FileManager.default.createSymbolicLink(
        atPath: directory + "/" + file, withDestinationPath: fixture + "/" + file)
    }
    let tokenizer: [String: Any] = [
      "model": ["type": "BPE", "vocab": byteVocabulary(), "merges": [String]()],
      "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
      "decoder": ["type": "ByteLevel"],
      "added_tokens": [Any](),
    ]
    let data = try JSONSerialization.data(withJSONObject: tokenizer, options: [.sortedKeys])
    try data.write(to: URL(fileURLWithPath: directory + "/tokenizer.json"))
    return directory
  }

  /// GPT-2's bytes-to-unicode alphabet: printable bytes stand for themselves, the others for
  /// code points from 256 up; byte b gets id b.
  static func byteVocabulary() -> [String: Int] {
    var vocabulary: [String: Int] = [:]
    var next = 256
    for byte in 0..<256 {
      let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
      let scalar = printable ? byte : next
      if !printable { next += 1 }
      vocabulary[String(Character(Unicode.Scalar(UInt32(scalar))!))] = byte
    }
    return vocabulary
  }
}
