import Foundation
import RewardCore

/// A record read from a stream, with the raw bytes of its JSON Lines line when it has one (so a
/// writer can echo the record exactly as given instead of re-serialising it).
public struct StreamedRecord: Sendable {
  public var record: SourceRecord
  public var line: [UInt8]?
}

/// Reads the records of a file one at a time with bounded memory. JSON Lines (by name, or when the
/// first line is a complete JSON object) are streamed line by line from disk or standard input,
/// gunzipped on the fly: memory is one chunk plus one line, and the first bad line is reported
/// as soon as it is read. Whole-document containers (a JSON array, an object of lists, CSV) are
/// read whole, up to `InputLimits.maxDocumentBytes`.
public final class RecordStream {
  public let path: String
  private let limits: InputLimits
  private let source: ByteStream
  private var mode: Mode = .lines
  private var buffer: [UInt8] = []
  private var start = 0
  private var lineNumber = 0
  private var atEnd = false
  private var documentRecords: IndexingIterator<[Result<SourceRecord, InputError>]>?

  private enum Mode { case lines, document }

  public init(path: String, limits: InputLimits = .standard) throws(InputError) {
    self.path = path
    self.limits = limits
    source = try ByteStream(path: path)
    try chooseMode()
  }

  /// The next record, or the problem with it (a malformed line: the caller decides whether to
  /// skip it); nil at the end. Thrown errors make the rest of the input unreadable.
  public func next() throws(InputError) -> Result<StreamedRecord, InputError>? {
    if mode == .document {
      return documentRecords?.next().map { $0.map { StreamedRecord(record: $0, line: nil) } }
    }
    while let (bytes, number) = try nextLine() {
      guard bytes.contains(where: { !RecordContainer.isBlank($0) }) else { continue }
      return Self.parseLine(bytes, number: number, path: path)
    }
    return nil
  }

  static func parseLine(_ bytes: [UInt8], number: Int, path: String) -> Result<StreamedRecord, InputError> {
    let location = SourceLocation(file: path, line: number)
    do {
      let value = try JSONParser.parse(bytes: bytes)
      guard let object = value.objectValue else {
        return .failure(
          InputError(.wrongType, at: location, "expected a JSON object on each line, found \(value.typeName)"))
      }
      return .success(StreamedRecord(record: SourceRecord(location: location, fields: object), line: bytes))
    } catch {
      return .failure(InputError(.malformedJSON, at: location, "column \(error.column): \(error.message)"))
    }
  }

  // MARK: Layout

  /// JSON Lines by name; otherwise by parsing: a first line that is a whole JSON object means JSON
  /// Lines, anything else is read as one document (array, object of lists) or CSV.
  private func chooseMode() throws(InputError) {
    let name = InputFile.logicalName(of: path)
    if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return }
    if name.hasSuffix(".csv") || name.hasSuffix(".tsv") { return try readDocument() }
    try fill(atLeast: 1)
    guard let first = buffer.first(where: { !RecordContainer.isBlank($0) }) else { return }  // empty
    guard first == UInt8(ascii: "{") else { return try readDocument() }
    // Look at the first non-blank line without consuming it.
    var scan = 0
    while true {
      if let newline = buffer[scan...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = Array(buffer[scan..<newline])
        if line.contains(where: { !RecordContainer.isBlank($0) }) {
          if (try? JSONParser.parse(bytes: Self.withoutBOM(line)))?.objectValue != nil { return }
          return try readDocument()
        }
        scan = newline + 1
        continue
      }
      guard buffer.count <= limits.maxLineBytes, try fill(atLeast: buffer.count + 1) else {
        return try readDocument()
      }
    }
  }

  /// Reads everything that is left into memory (bounded) and splits it with `RecordReader`.
  private func readDocument() throws(InputError) {
    mode = .document
    while try fill(atLeast: buffer.count + 1) {
      guard buffer.count <= limits.maxDocumentBytes else {
        throw InputError(
          .unreadableFile, at: SourceLocation(file: path),
          "the document is larger than \(limits.maxDocumentBytes >> 20) MiB after decompression; whole-file "
            + "JSON and CSV are parsed in memory, so write large data as JSON Lines (streamed), or raise the limit")
      }
    }
    let file = try InputFile(path: path, decompressed: buffer)
    buffer = []
    let (records, problems) = try RecordReader.records(in: file)
    let merged = records.map { Result<SourceRecord, InputError>.success($0) } + problems.map { .failure($0) }
    documentRecords = merged.sorted { Self.line(of: $0) < Self.line(of: $1) }.makeIterator()
  }

  private static func line(of item: Result<SourceRecord, InputError>) -> Int {
    switch item {
    case .success(let record): record.location.line ?? 0
    case .failure(let error): error.location.line ?? 0
    }
  }

  // MARK: Lines

  /// Appends chunks until the buffer holds `count` bytes; false when the input ended first.
  @discardableResult
  private func fill(atLeast count: Int) throws(InputError) -> Bool {
    while buffer.count < count {
      guard !atEnd else { return false }
      let chunk = try source.next()
      if chunk.isEmpty {
        atEnd = true
        return false
      }
      buffer.append(contentsOf: chunk)
    }
    return true
  }

  /// The next line without its newline (and carriage return), with its 1-based number.
  private func nextLine() throws(InputError) -> ([UInt8], Int)? {
    var scanFrom = start
    while true {
      if let newline = Self.indexOfNewline(in: buffer, from: scanFrom) {
        var line = Array(buffer[start..<newline])
        start = newline + 1
        return (finish(&line), lineNumber)
      }
      if buffer.count - start > limits.maxLineBytes {
        throw InputError(
          .invalidValue, at: SourceLocation(file: path, line: lineNumber + 1),
          "the line is longer than \(limits.maxLineBytes >> 20) MiB without a newline; expected one JSON record "
            + "per line (a single huge record, or not JSON Lines at all?)")
      }
      // Drop consumed bytes before reading more, so the buffer holds one chunk plus one line.
      if start > 0 {
        buffer.removeSubrange(0..<start)
        start = 0
      }
      scanFrom = buffer.count
      guard try fill(atLeast: buffer.count + 1) else {
        guard start < buffer.count else { return nil }
        var line = Array(buffer[start...])
        start = buffer.count
        return (finish(&line), lineNumber)
      }
    }
  }

  private func finish(_ line: inout [UInt8]) -> [UInt8] {
    lineNumber += 1
    if line.last == UInt8(ascii: "\r") { line.removeLast() }
    return lineNumber == 1 ? Self.withoutBOM(line) : line
  }

  private static func withoutBOM(_ line: [UInt8]) -> [UInt8] {
    line.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(line.dropFirst(3)) : line
  }

  private static func indexOfNewline(in buffer: [UInt8], from offset: Int) -> Int? {
    guard offset < buffer.count else { return nil }
    return buffer.withUnsafeBytes { raw -> Int? in
      guard let found = memchr(raw.baseAddress! + offset, Int32(UInt8(ascii: "\n")), raw.count - offset) else {
        return nil
      }
      return raw.baseAddress!.distance(to: UnsafeRawPointer(found))
    }
  }
}
