import Foundation
import RewardCore

/// Reads JSON Lines one record at a time from a file or standard input (`-`), so a pipeline
/// stage holds one chunk and one record in memory, never the whole file. Blank lines are skipped;
/// a line that is not a JSON object is an error naming the file and line.
public final class JSONLinesReader {
  public let path: String
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var start = 0
  private var atEnd = false
  private var lineNumber = 0
  private static let chunkSize = 1 << 20

  public init(path: String) throws(InputError) {
    self.path = path
    if path == "-" {
      handle = FileHandle.standardInput
    } else {
      guard FileManager.default.fileExists(atPath: path) else {
        throw InputError(.missingFile, at: SourceLocation(file: path), "no such file")
      }
      guard let opened = FileHandle(forReadingAtPath: path) else {
        throw InputError(.unreadableFile, at: SourceLocation(file: path), "cannot open for reading")
      }
      handle = opened
    }
  }

  deinit { if path != "-" { try? handle.close() } }

  /// The next record with its location, or nil at the end of the input.
  public func next() throws(InputError) -> (object: JSONObject, location: SourceLocation)? {
    while case let (bytes, line)? = nextLine() {
      if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      let location = SourceLocation(file: path, line: line)
      let value: JSONValue
      do {
        value = try JSONParser.parse(bytes: bytes, startLine: line)
      } catch {
        throw InputError(.malformedJSON, at: location, error.message)
      }
      guard case .object(let object) = value else {
        throw InputError(.wrongType, at: location, "expected a JSON object per line, found \(value.typeName)")
      }
      return (object, location)
    }
    return nil
  }

  private func nextLine() -> ([UInt8], Int)? {
    while true {
      if let newline = buffer[start...].firstIndex(of: 0x0A) {
        let line = Array(buffer[start..<newline])
        start = newline + 1
        lineNumber += 1
        return (line, lineNumber)
      }
      if atEnd {
        guard start < buffer.count else { return nil }
        let line = Array(buffer[start...])
        start = buffer.count
        lineNumber += 1
        return (line, lineNumber)
      }
      // Keep only the unread tail, then read the next chunk.
      buffer.removeFirst(start)
      start = 0
      let chunk = (try? handle.read(upToCount: Self.chunkSize)) ?? nil
      if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { atEnd = true }
    }
  }
}

/// Writes JSON Lines to a file or standard output (`-`) through a buffer.
public final class JSONLinesWriter {
  private let handle: FileHandle
  private let ownsHandle: Bool
  private var pending = ""
  public private(set) var recordsWritten = 0

  /// `append` continues an existing file (resumed runs); otherwise the file is replaced.
  public init(path: String, append: Bool = false) throws {
    if path == "-" {
      handle = FileHandle.standardOutput
      ownsHandle = false
      return
    }
    if !append || !FileManager.default.fileExists(atPath: path) {
      guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw ConfigurationError("\(path): cannot create the output file")
      }
    }
    guard let opened = FileHandle(forWritingAtPath: path) else {
      throw ConfigurationError("\(path): cannot open the output file for writing")
    }
    handle = opened
    ownsHandle = true
    if append { try handle.seekToEnd() }
  }

  public func write(_ object: JSONObject) throws {
    JSONValue.object(object).write(into: &pending)
    pending += "\n"
    recordsWritten += 1
    if pending.utf8.count >= 1 << 16 { try flush() }
  }

  public func flush() throws {
    guard !pending.isEmpty else { return }
    try handle.write(contentsOf: Data(pending.utf8))
    pending = ""
  }

  /// Flushes and closes; call once at the end.
  public func close() throws {
    try flush()
    if ownsHandle { try handle.close() }
  }
}
