import CZlib
import Foundation
import RewardCore

/// Bounds on what one input may cost, so a hostile or mistaken file fails with a clear error
/// instead of exhausting memory: a 40 KB `.gz` can hold gigabytes.
public struct InputLimits: Sendable, Equatable {
  /// The longest JSON Lines line (one record), in bytes after decompression. Default 64 MiB.
  public var maxLineBytes: Int
  /// The largest whole-file document (JSON array, object of lists, CSV), in bytes after
  /// decompression: such files are parsed in memory. Default 2 GiB. JSON Lines are streamed and
  /// have no total bound.
  public var maxDocumentBytes: Int

  public init(maxLineBytes: Int = 64 << 20, maxDocumentBytes: Int = 2 << 30) {
    self.maxLineBytes = maxLineBytes
    self.maxDocumentBytes = maxDocumentBytes
  }

  public static let standard = InputLimits()
}

/// The bytes of a file or standard input, read in chunks and gunzipped on the fly when the data
/// starts with the gzip magic, so a reader holds one chunk at a time, never the whole input.
final class ByteStream {
  let path: String
  private let handle: FileHandle
  private let ownsHandle: Bool
  private var inflater: Inflater?
  private var pending: [UInt8] = []  // bytes read ahead to sniff the gzip magic
  private var finished = false
  static let chunkSize = 1 << 20

  init(path: String) throws(InputError) {
    self.path = path
    let location = SourceLocation(file: path)
    if path == InputFile.standardInputPath {
      handle = FileHandle.standardInput
      ownsHandle = false
    } else {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw InputError(.missingFile, at: location, "no such file")
      }
      guard !isDirectory.boolValue else {
        throw InputError(.unreadableFile, at: location, "is a directory, expected a data file")
      }
      guard let opened = FileHandle(forReadingAtPath: path) else {
        throw InputError(.unreadableFile, at: location, "cannot read the file (permissions?)")
      }
      handle = opened
      ownsHandle = true
    }
    pending = try readRaw()
    while pending.count < 2, !finished { pending += try readRaw() }
    if pending.starts(with: [0x1F, 0x8B]) { inflater = try Inflater(path: path) }
  }

  deinit {
    if ownsHandle { try? handle.close() }
  }

  /// The next chunk of (decompressed) bytes, at most about `chunkSize`; empty at the end.
  func next() throws(InputError) -> [UInt8] {
    guard let inflater else {
      if !pending.isEmpty {
        defer { pending = [] }
        return pending
      }
      return try readRaw()
    }
    while true {
      if inflater.needsInput {
        let raw: [UInt8]
        if !pending.isEmpty {
          raw = pending
          pending = []
        } else {
          raw = try readRaw()
        }
        if raw.isEmpty {
          try inflater.finish()
          return []
        }
        inflater.feed(raw)
      }
      let output = try inflater.inflate(maxOutput: Self.chunkSize)
      if !output.isEmpty { return output }
      guard inflater.needsInput else {
        throw InputError(.unreadableFile, at: SourceLocation(file: path), "corrupt gzip data (no progress)")
      }
    }
  }

  /// One `read(2)` straight into a new array (through `FileHandle`'s `Data` it cost two more copies).
  private func readRaw() throws(InputError) -> [UInt8] {
    guard !finished else { return [] }
    let descriptor = handle.fileDescriptor
    var failure: Int32 = 0
    let chunk = [UInt8](unsafeUninitializedCapacity: Self.chunkSize) { buffer, count in
      count = 0
      while true {
        let got = read(descriptor, buffer.baseAddress, buffer.count)
        if got >= 0 {
          count = got
          return
        }
        guard errno == EINTR else {
          failure = errno
          return
        }
      }
    }
    guard failure == 0 else {
      throw InputError(
        .unreadableFile, at: SourceLocation(file: path), "read failed: \(String(cString: strerror(failure)))")
    }
    if chunk.isEmpty { finished = true }
    return chunk
  }
}

/// Incremental gzip decompression through zlib, giving out at most a chunk at a time (a gzip
/// bomb inflates 1000:1, so one input chunk must not become one output chunk). Concatenated members
/// (`cat a.gz b.gz`) continue.
final class Inflater {
  private var stream = z_stream()
  private let path: String
  private var input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 0)
  private var sawStreamEnd = false
  private var output = [UInt8](repeating: 0, count: ByteStream.chunkSize)

  init(path: String) throws(InputError) {
    self.path = path
    // 15 + 32: maximum window, and let zlib detect the gzip header.
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw InputError(.unreadableFile, at: SourceLocation(file: path), "cannot initialise gzip decompression")
    }
  }

  deinit {
    inflateEnd(&stream)
    input.deallocate()
  }

  var needsInput: Bool { stream.avail_in == 0 }

  func feed(_ bytes: [UInt8]) {
    input.deallocate()
    input = .allocate(capacity: bytes.count)
    _ = input.initialize(from: bytes)
    stream.next_in = input.baseAddress
    stream.avail_in = uInt(bytes.count)
  }

  /// Decompresses buffered input into at most `maxOutput` bytes (empty when it needs more input).
  func inflate(maxOutput: Int) throws(InputError) -> [UInt8] {
    let capacity = min(maxOutput, output.count)
    var status: Int32 = Z_OK
    var produced = 0
    output.withUnsafeMutableBufferPointer { buffer in
      stream.next_out = buffer.baseAddress
      stream.avail_out = uInt(capacity)
      while stream.avail_out > 0 && stream.avail_in > 0 {
        status = CZlib.inflate(&stream, Z_NO_FLUSH)
        if status == Z_STREAM_END {
          sawStreamEnd = true
          guard stream.avail_in > 0 else { break }
          status = inflateReset(&stream)  // another gzip member follows
        } else if status == Z_OK {
          sawStreamEnd = false
        } else {
          break
        }
      }
      produced = capacity - Int(stream.avail_out)
    }
    if status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR {
      throw InputError(
        .unreadableFile, at: SourceLocation(file: path), "corrupt gzip data (zlib status \(status))")
    }
    return Array(output[0..<produced])
  }

  /// Called at the end of the compressed input: a stream that did not end is truncated.
  func finish() throws(InputError) {
    guard sawStreamEnd else {
      throw InputError(.unreadableFile, at: SourceLocation(file: path), "the compressed data is truncated")
    }
  }
}
