import CZlib
import Foundation
import RewardCore

/// The bytes of an input file (or standard input for `-`), gunzipped when compressed and checked
/// to be UTF-8, so every reader after this works on valid text.
public struct InputFile: Sendable {
  /// The path as the user gave it (`-` for standard input); used in every error message.
  public let path: String
  public let bytes: [UInt8]

  public static let standardInputPath = "-"

  public init(path: String, bytes: [UInt8], limits: InputLimits = .standard) throws(InputError) {
    var content = bytes
    if content.starts(with: [0x1F, 0x8B]) {
      content = try Gzip.decompress(content, path: path, limit: limits.maxDocumentBytes)
    }
    try self.init(path: path, decompressed: content)
  }

  /// From bytes already decompressed (a stream read to its end).
  init(path: String, decompressed bytes: [UInt8]) throws(InputError) {
    self.path = path
    var content = bytes
    // A UTF-8 byte-order mark is legal but not part of the text.
    if content.starts(with: [0xEF, 0xBB, 0xBF]) { content.removeFirst(3) }
    try Self.validateUTF8(content, path: path)
    self.bytes = content
  }

  /// Reads a file from disk, or standard input when `path` is `-`.
  public static func read(_ path: String) throws(InputError) -> InputFile {
    let location = SourceLocation(file: path)
    let data: Data
    if path == standardInputPath {
      data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw InputError(.missingFile, at: location, "no such file")
      }
      guard !isDirectory.boolValue else {
        throw InputError(.unreadableFile, at: location, "is a directory, expected a data file")
      }
      guard let contents = FileManager.default.contents(atPath: path) else {
        throw InputError(.unreadableFile, at: location, "cannot read the file (permissions?)")
      }
      data = contents
    }
    return try InputFile(path: path, bytes: [UInt8](data))
  }

  /// The file name without compression suffix, lower-cased, for choosing a container format.
  public var logicalName: String { Self.logicalName(of: path) }

  static func logicalName(of path: String) -> String {
    var name = (path as NSString).lastPathComponent.lowercased()
    if name.hasSuffix(".gz") { name.removeLast(3) }
    return name
  }

  private static func validateUTF8(_ bytes: [UInt8], path: String) throws(InputError) {
    if String(validating: bytes, as: UTF8.self) != nil { return }
    // Slow path only on failure: find the first bad byte to name its line.
    var offset = 0
    var line = 1
    var lineStart = 0
    while offset < bytes.count {
      let length = utf8SequenceLength(bytes, at: offset)
      if length == 0 {
        throw InputError(
          .invalidUTF8, at: SourceLocation(file: path, line: line),
          "byte 0x\(String(bytes[offset], radix: 16)) at column \(offset - lineStart + 1) is not valid UTF-8; expected UTF-8 text"
        )
      }
      if bytes[offset] == UInt8(ascii: "\n") {
        line += 1
        lineStart = offset + 1
      }
      offset += length
    }
  }

  /// Length of the valid UTF-8 sequence starting at `offset`, or 0 when it is invalid.
  private static func utf8SequenceLength(_ bytes: [UInt8], at offset: Int) -> Int {
    let lead = bytes[offset]
    let length: Int
    switch lead {
    case 0x00...0x7F: return 1
    case 0xC2...0xDF: length = 2
    case 0xE0...0xEF: length = 3
    case 0xF0...0xF4: length = 4
    default: return 0
    }
    guard offset + length <= bytes.count else { return 0 }
    return String(validating: bytes[offset..<offset + length], as: UTF8.self) == nil ? 0 : length
  }
}

/// gzip decompression through zlib (system library), the format of `.jsonl.gz` data sets.
enum Gzip {
  /// Stops with an error once the output passes `limit` bytes (a small `.gz` can hold gigabytes).
  static func decompress(_ input: [UInt8], path: String, limit: Int) throws(InputError) -> [UInt8] {
    var stream = z_stream()
    // 15 + 32: maximum window, and let zlib detect the gzip header.
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw InputError(.unreadableFile, at: SourceLocation(file: path), "cannot initialise gzip decompression")
    }
    defer { inflateEnd(&stream) }
    var output = [UInt8]()
    output.reserveCapacity(min(input.count * 4, limit))
    let chunkSize = 1 << 20
    var chunk = [UInt8](repeating: 0, count: chunkSize)
    var status: Int32 = Z_OK
    var input = input
    input.withUnsafeMutableBufferPointer { source in
      stream.next_in = source.baseAddress
      stream.avail_in = uInt(source.count)
      repeat {
        chunk.withUnsafeMutableBufferPointer { buffer in
          stream.next_out = buffer.baseAddress
          stream.avail_out = uInt(chunkSize)
          status = inflate(&stream, Z_NO_FLUSH)
          output.append(contentsOf: buffer[0..<(chunkSize - Int(stream.avail_out))])
        }
        // Concatenated gzip members (as `cat a.gz b.gz` makes) continue after a stream end.
        if status == Z_STREAM_END && stream.avail_in > 0 {
          status = inflateReset(&stream)
        }
      } while status == Z_OK && output.count <= limit
    }
    guard output.count <= limit else {
      throw InputError(
        .unreadableFile, at: SourceLocation(file: path),
        "decompresses to more than \(limit >> 20) MiB; whole-file JSON and CSV are read into memory, "
          + "so write large data as JSON Lines (streamed by `reward score`)")
    }
    guard status == Z_STREAM_END else {
      let reason =
        status == Z_BUF_ERROR ? "the compressed data is truncated" : "corrupt gzip data (zlib status \(status))"
      throw InputError(.unreadableFile, at: SourceLocation(file: path), reason)
    }
    return output
  }
}
