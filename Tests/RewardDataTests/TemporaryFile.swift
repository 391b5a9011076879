import Foundation

/// A file in a fresh temporary directory, removed when the value is released.
final class TemporaryFile {
  let directory: String
  let path: String

  convenience init(_ name: String, _ contents: String) throws {
    try self.init(name, bytes: Array(contents.utf8))
  }

  init(_ name: String, bytes: [UInt8]) throws {
    directory = NSTemporaryDirectory() + "rewardkit-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    path = directory + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  deinit { try? FileManager.default.removeItem(atPath: directory) }
}
