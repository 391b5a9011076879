import Foundation
import RewardCore

/// Writes scored records as JSON Lines to a file or standard output, buffered in chunks. A record
/// read from a JSON Lines line is echoed byte for byte with `reward` (and `components`) spliced in
/// before its closing brace; others are re-serialised (keys in order). A file is written under a
/// temporary name and renamed into place by `commit()`, so a failed run never leaves a half file
/// under the name asked for.
public final class ScoredRecordWriter {
  private let path: String
  private let temporaryPath: String?
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var committed = false
  private static let flushBytes = 4 << 20

  public init(path: String) throws {
    self.path = path
    if path == "-" {
      handle = FileHandle.standardOutput
      temporaryPath = nil
    } else {
      let url = URL(fileURLWithPath: path)
      let temporary = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)").path
      guard FileManager.default.createFile(atPath: temporary, contents: nil),
        let opened = FileHandle(forWritingAtPath: temporary)
      else {
        throw ConfigurationError(
          "\(path): cannot create the output file (does the directory exist and is it writable?)")
      }
      handle = opened
      temporaryPath = temporary
    }
    buffer.reserveCapacity(Self.flushBytes + (1 << 16))
  }

  deinit {
    if !committed, let temporaryPath {
      try? handle.close()
      try? FileManager.default.removeItem(atPath: temporaryPath)
    }
  }

  /// The record with `reward` (and `components`, `rationale` when the model gives them) added.
  public func write(_ record: ScoringRecord, _ reward: Reward) throws {
    var added: [(String, JSONValue)] = [("reward", .double(reward.value))]
    if !reward.components.isEmpty {
      added.append(("components", .object(JSONObject(reward.components.map { ($0.name, JSONValue.double($0.value)) }))))
    }
    // Why a component was not applicable (a pattern out of its budget, an unparseable judge reply).
    if let rationale = reward.rationale { added.append(("rationale", .string(rationale))) }
    try write(record, adding: added)
  }

  /// The record with `"reward": null` and `"invalid": reason`, for a reward the caller chose to
  /// keep although it is not a number (`reward score --keep-non-finite`).
  public func writeInvalid(_ record: ScoringRecord, reason: String) throws {
    try write(record, adding: [("reward", .null), ("invalid", .string(reason))])
  }

  private func write(_ record: ScoringRecord, adding added: [(String, JSONValue)]) throws {
    // Fast path: the input line is copied byte for byte and the new fields go before its `}`.
    if let line = record.line, !added.contains(where: { record.fields[$0.0] != nil }),
      let close = line.lastIndex(where: { !RecordContainer.isBlank($0) }), line[close] == UInt8(ascii: "}")
    {
      line.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<close])) }
      for (index, (key, value)) in added.enumerated() {
        if index > 0 || !record.fields.isEmpty { buffer.append(UInt8(ascii: ",")) }
        JSONValue.writeString(key, into: &buffer)
        buffer.append(UInt8(ascii: ":"))
        value.write(into: &buffer)
      }
      buffer.append(contentsOf: "}\n".utf8)
    } else {
      var fields = record.fields
      for (key, value) in added { fields[key] = value }
      JSONValue.object(fields).write(into: &buffer)
      buffer.append(UInt8(ascii: "\n"))
    }
    if buffer.count >= Self.flushBytes { try flush() }
  }

  public func flush() throws {
    guard !buffer.isEmpty else { return }
    try handle.write(contentsOf: buffer)
    buffer.removeAll(keepingCapacity: true)
  }

  /// Writes what is buffered and puts the file in place.
  public func commit() throws {
    try flush()
    guard let temporaryPath else { return }
    try handle.close()
    guard rename(temporaryPath, path) == 0 else {
      throw ConfigurationError("\(path): cannot move the output into place (errno \(errno))")
    }
    committed = true
  }
}
