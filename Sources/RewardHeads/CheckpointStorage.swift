import Foundation
import RewardCore
import RewardTensor

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The checksum of `model.safetensors` that config.json records (format version 2), so that
/// weights that were flipped, truncated or swapped for another checkpoint's fail to load.
struct WeightsChecksum: Equatable {
  static let algorithm = "fnv1a-64"
  var byteCount: Int
  var digest: String

  init(of bytes: Data) {
    var hasher = StableHasher()
    bytes.withUnsafeBytes { raw in
      for byte in raw { hasher.combine(byte: byte) }
    }
    byteCount = bytes.count
    digest = hasher.hexDigest
  }

  init(byteCount: Int, digest: String) {
    self.byteCount = byteCount
    self.digest = digest
  }

  var json: JSONValue {
    [
      "file": .string(Checkpoint.weightsFile), "bytes": .int(Int64(byteCount)),
      "checksum": .string(Self.algorithm + ":" + digest),
    ]
  }

  var summary: String { "\(byteCount) bytes, \(Self.algorithm) \(digest)" }

  /// Reads config.json's `weights` field; nil when it is absent (format version 1).
  init?(configValue: JSONValue?, fail: (String) -> ConfigurationError) throws(ConfigurationError) {
    guard let configValue else { return nil }
    let prefix = Self.algorithm + ":"
    guard let object = configValue.objectValue, case .int(let bytes) = object["bytes"], bytes >= 0,
      let checksum = object["checksum"]?.stringValue, checksum.hasPrefix(prefix)
    else {
      throw fail(
        "field 'weights': expected {\"file\": \"\(Checkpoint.weightsFile)\", \"bytes\": integer, "
          + "\"checksum\": \"\(prefix)<16 hex digits>\"}")
    }
    self.init(byteCount: Int(bytes), digest: String(checksum.dropFirst(prefix.count)))
  }
}

/// Checks on a checkpoint's weights beyond what the safetensors reader checks: RewardKit writes
/// every head tensor as finite F32 values in the shapes the head declares.
enum CheckpointWeights {
  static func validate(_ weights: SafeTensorsFile) throws(ConfigurationError) {
    for tensor in weights.tensors {
      guard tensor.dtype == .f32 else {
        throw ConfigurationError(
          "\(weights.path): tensor '\(tensor.name)' has dtype \(tensor.dtype.rawValue); checkpoint weights must be F32")
      }
      let values: [Float]
      do {
        values = try weights.floats(tensor.name)
      } catch {
        throw ConfigurationError(error.description)
      }
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw ConfigurationError(
          "\(weights.path): tensor '\(tensor.name)' holds \(values[bad]) at index \(bad); weights must be finite")
      }
    }
  }

  /// The file's tensors are exactly the head's, in the head's shapes.
  static func validateShapes(of head: any CheckpointHead, against weights: SafeTensorsFile) throws(ConfigurationError) {
    let expected = head.tensors
    for tensor in expected {
      guard let info = weights.info(tensor.name) else {
        throw ConfigurationError("\(weights.path): no tensor named '\(tensor.name)'")
      }
      guard info.shape == tensor.shape else {
        throw ConfigurationError(
          "\(weights.path): tensor '\(tensor.name)' has shape \(info.shape); config.json's head expects \(tensor.shape)"
        )
      }
    }
    let names = Set(expected.map(\.name))
    if let extra = weights.tensors.first(where: { !names.contains($0.name) }) {
      throw ConfigurationError(
        "\(weights.path): unexpected tensor '\(extra.name)' (a '\(type(of: head).kind)' head has "
          + "\(expected.map { "'\($0.name)'" }.joined(separator: ", ")))")
    }
  }
}

/// Replaces a directory's contents all at once: the new contents are written into a fresh
/// sibling, which then takes the directory's place by rename. Readers, and a process killed at
/// any moment, see the old directory or the new one, never a mix of files from both.
enum AtomicDirectory {
  static func replace(_ path: String, write: (_ staging: String) throws -> Void) throws {
    let files = FileManager.default
    let target = URL(fileURLWithPath: path).standardizedFileURL
    let parent = target.deletingLastPathComponent().path
    let name = target.lastPathComponent
    try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
    var isDirectory: ObjCBool = false
    let exists = files.fileExists(atPath: target.path, isDirectory: &isDirectory)
    guard !exists || isDirectory.boolValue else {
      throw ConfigurationError("\(path): exists and is not a directory; not overwriting it with a checkpoint")
    }
    removeLeftovers(of: name, in: parent, targetExists: exists)
    let token = UUID().uuidString.prefix(8)
    let staging = parent + "/.\(name).new-\(token)"
    try files.createDirectory(atPath: staging, withIntermediateDirectories: false)
    do {
      try write(staging)
    } catch {
      try? files.removeItem(atPath: staging)
      throw error
    }
    guard exists else {
      try move(staging, target.path)
      return
    }
    if exchange(staging, target.path) {
      // `staging` now holds the old checkpoint.
      try? files.removeItem(atPath: staging)
      return
    }
    // No atomic exchange here: move the old one aside first. A kill between the two renames
    // leaves both intact (the old one under the `.old-` name).
    let aside = parent + "/.\(name).old-\(token)"
    try move(target.path, aside)
    do {
      try move(staging, target.path)
    } catch {
      try? move(aside, target.path)
      try? files.removeItem(atPath: staging)
      throw error
    }
    try? files.removeItem(atPath: aside)
  }

  /// Siblings a killed save left behind. A `.new-` one is never the only copy of a checkpoint (it
  /// is either unfinished or, after an exchange, the replaced one); an `.old-` one is, while the
  /// target is missing (killed between the fallback's two renames), so it is kept then.
  static func leftovers(of name: String, in parent: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    return entries.filter { $0.hasPrefix(".\(name).new-") || $0.hasPrefix(".\(name).old-") }.sorted()
  }

  private static func removeLeftovers(of name: String, in parent: String, targetExists: Bool) {
    for entry in leftovers(of: name, in: parent) where targetExists || entry.hasPrefix(".\(name).new-") {
      try? FileManager.default.removeItem(atPath: parent + "/" + entry)
    }
  }

  private static func move(_ from: String, _ to: String) throws {
    guard rename(from, to) == 0 else {
      let reason = String(cString: strerror(errno))
      throw ConfigurationError("cannot rename \(from) to \(to): \(reason)")
    }
  }

  /// Swaps two paths in one step (Linux renameat2 with RENAME_EXCHANGE); false where the
  /// system or file system does not offer it.
  private static func exchange(_ a: String, _ b: String) -> Bool {
    #if os(Linux)
      typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
      guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return false }
      let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
      let atCurrentDirectory: Int32 = -100  // AT_FDCWD
      let renameExchange: UInt32 = 2  // RENAME_EXCHANGE
      return renameat2(atCurrentDirectory, a, atCurrentDirectory, b, renameExchange) == 0
    #else
      return false
    #endif
  }
}
