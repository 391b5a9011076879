import RewardCore

/// A record to score: the candidate and the original fields (echoed back with the reward, so
/// that nothing the user gave is lost), with the raw JSON Lines line when there is one.
public struct ScoringRecord: Sendable {
  public var candidate: Candidate
  public var fields: JSONObject
  public var location: SourceLocation
  /// The record's line as read (JSON Lines only), so a writer can echo it byte for byte.
  public var line: [UInt8]?

  public init(candidate: Candidate, fields: JSONObject, location: SourceLocation, line: [UInt8]? = nil) {
    self.candidate = candidate
    self.fields = fields
    self.location = location
    self.line = line
  }

  /// A record read by the one candidate grammar.
  public init(_ record: SourceRecord, line: [UInt8]? = nil, responseField: String = "response") throws(InputError) {
    candidate = try Candidate(record: RecordFields(record: record), responseField: responseField)
    fields = record.fields
    location = record.location
    self.line = line
  }
}

/// Reads a whole file of records to score through the one candidate grammar (`Candidate(record:)`).
public enum ScoringInputReader {
  public static func read(
    _ file: InputFile, responseField: String = "response", skipInvalid: Bool = false
  ) throws(InputError) -> (records: [ScoringRecord], skipped: [InputError]) {
    let (rawRecords, problems) = try RecordReader.records(in: file, stopAtFirstProblem: !skipInvalid)
    var skipped: [InputError] = []
    for problem in problems {
      guard skipInvalid else { throw problem }
      skipped.append(problem)
    }
    var records: [ScoringRecord] = []
    for raw in rawRecords {
      do throws(InputError) {
        records.append(try ScoringRecord(raw, responseField: responseField))
      } catch {
        guard skipInvalid else { throw error }
        skipped.append(error)
      }
    }
    return (records, skipped)
  }
}

/// Records skipped with `--skip-invalid`: counted by kind, with the first few kept as examples, so
/// a file of millions of bad lines costs no memory.
public struct SkippedRecords: Sendable {
  public private(set) var count = 0
  public private(set) var byKind: [InputError.Kind: Int] = [:]
  public private(set) var examples: [InputError] = []

  public init() {}

  mutating func add(_ error: InputError) {
    count += 1
    byKind[error.kind, default: 0] += 1
    if examples.count < 3 { examples.append(error) }
  }
}

/// Cuts a stream of records into batches to score, with bounded memory. For a model that normalises
/// rewards within groups (GRPO), a batch always holds whole groups: a group is a run of
/// consecutive records with the same `group` key, and a batch ends only between runs. A group whose
/// records are not contiguous (its key reappears after another group) is an error naming both lines,
/// since scoring its parts apart would normalise each part on its own; a run longer than
/// `maxGroupRecords` is an error too (it would have to be held whole).
public final class ScoringBatches {
  public let batchSize: Int
  public let wholeGroups: Bool
  public let maxGroupRecords: Int
  public private(set) var skipped = SkippedRecords()
  private let stream: RecordStream
  private let responseField: String
  private let skipInvalid: Bool
  private var lookahead: ScoringRecord?
  private var openGroup: (key: String, firstLine: Int, count: Int)?
  private var closedGroups: [String: Int] = [:]  // group key → the line its run started

  public init(
    stream: RecordStream, responseField: String = "response", skipInvalid: Bool = false, batchSize: Int = 1024,
    wholeGroups: Bool = false, maxGroupRecords: Int = 1_000_000
  ) {
    self.stream = stream
    self.responseField = responseField
    self.skipInvalid = skipInvalid
    self.batchSize = max(1, batchSize)
    self.wholeGroups = wholeGroups
    self.maxGroupRecords = maxGroupRecords
  }

  /// The next batch, nil at the end.
  public func next() throws(InputError) -> [ScoringRecord]? {
    var batch: [ScoringRecord] = []
    while let record = try nextRecord() {
      if batch.count >= batchSize && (!wholeGroups || startsNewRun(record)) {
        lookahead = record
        break
      }
      if wholeGroups { try track(record) }
      batch.append(record)
    }
    return batch.isEmpty ? nil : batch
  }

  private func startsNewRun(_ record: ScoringRecord) -> Bool {
    guard let group = record.candidate.group else { return true }
    return group != openGroup?.key
  }

  private func track(_ record: ScoringRecord) throws(InputError) {
    let line = record.location.line ?? 0
    guard let group = record.candidate.group else {
      close()
      return
    }
    if var open = openGroup, open.key == group {
      open.count += 1
      openGroup = open
      guard open.count <= maxGroupRecords else {
        throw InputError(
          .invalidValue, at: record.location.field("group"),
          "group '\(group)' (from line \(open.firstLine)) has more than \(maxGroupRecords) records; "
            + "group normalisation holds a whole group in memory")
      }
      return
    }
    close()
    if let earlier = closedGroups[group] {
      throw InputError(
        .invalidValue, at: record.location.field("group"),
        "group '\(group)' started at line \(earlier) and was followed by other records; with group "
          + "normalisation a group's records must be contiguous (sort the file by 'group')")
    }
    openGroup = (group, line, 1)
  }

  private func close() {
    if let open = openGroup { closedGroups[open.key] = open.firstLine }
    openGroup = nil
  }

  private func nextRecord() throws(InputError) -> ScoringRecord? {
    if let record = lookahead {
      lookahead = nil
      return record
    }
    while let item = try stream.next() {
      do throws(InputError) {
        let streamed = try item.get()
        return try ScoringRecord(streamed.record, line: streamed.line, responseField: responseField)
      } catch {
        guard skipInvalid else { throw error }
        skipped.add(error)
      }
    }
    return nil
  }
}
