import RewardCore

/// How records are laid out in a file.
public enum RecordContainer: String, Sendable, CaseIterable {
  case jsonLines = "jsonl"
  /// One JSON document: an array of records, or an object whose values are lists of records
  /// (EvalBiasBench's `{"length bias": [...], ...}`; each key becomes the records' `subset`).
  case jsonDocument = "json"
  case csv
  case tsv

  /// From the file name (ignoring `.gz`), else by parsing: JSON Lines when the first non-blank
  /// line is a whole JSON object, one JSON document when the file starts with `[` or `{` otherwise
  /// (a pretty-printed object), nil when it is neither.
  static func detect(_ file: InputFile) -> RecordContainer? {
    let name = file.logicalName
    if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonLines }
    if name.hasSuffix(".csv") { return .csv }
    if name.hasSuffix(".tsv") { return .tsv }
    guard let firstIndex = file.bytes.firstIndex(where: { !Self.isBlank($0) }) else { return .jsonLines }
    switch file.bytes[firstIndex] {
    case UInt8(ascii: "["): return .jsonDocument
    case UInt8(ascii: "{"):
      let lineEnd = file.bytes[firstIndex...].firstIndex(of: UInt8(ascii: "\n")) ?? file.bytes.endIndex
      let firstLine = Array(file.bytes[firstIndex..<lineEnd])
      return (try? JSONParser.parse(bytes: firstLine))?.objectValue != nil ? .jsonLines : .jsonDocument
    default: return nil
    }
  }

  static func isBlank(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
  }
}

/// One record of a file: its fields and where it starts.
public struct SourceRecord: Sendable {
  public var location: SourceLocation
  public var fields: JSONObject
}

/// Splits a file into records. Errors that affect one record are returned beside the records (so
/// `--skip-invalid` can skip just that record); errors that make the file unreadable are thrown.
public enum RecordReader {
  /// With `stopAtFirstProblem`, JSON Lines reading ends at the first bad line (returned as the
  /// only problem) instead of reading on: callers that will not skip invalid records need no more.
  public static func records(
    in file: InputFile, container: RecordContainer? = nil, stopAtFirstProblem: Bool = false
  ) throws(InputError) -> (records: [SourceRecord], problems: [InputError]) {
    guard let container = container ?? RecordContainer.detect(file) else {
      throw InputError(
        .unknownFormat, at: SourceLocation(file: file.path, line: 1),
        "cannot tell the file layout; expected JSON Lines (.jsonl), a JSON array or object of lists (.json) or CSV (.csv), optionally .gz"
      )
    }
    switch container {
    case .jsonLines: return jsonLines(file, stopAtFirstProblem: stopAtFirstProblem)
    case .jsonDocument: return (try jsonDocument(file), [])
    case .csv: return try delimited(file, delimiter: UInt8(ascii: ","))
    case .tsv: return try delimited(file, delimiter: UInt8(ascii: "\t"))
    }
  }

  /// Walks the lines in place (no split of the whole file first: 20 M blank lines cost nothing).
  private static func jsonLines(
    _ file: InputFile, stopAtFirstProblem: Bool
  ) -> (records: [SourceRecord], problems: [InputError]) {
    var records: [SourceRecord] = []
    var problems: [InputError] = []
    var lineNumber = 0
    var lineStart = 0
    let bytes = file.bytes
    while lineStart <= bytes.count {
      let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
      defer { lineStart = lineEnd + 1 }
      lineNumber += 1
      guard bytes[lineStart..<lineEnd].contains(where: { !RecordContainer.isBlank($0) }) else { continue }
      switch RecordStream.parseLine(Array(bytes[lineStart..<lineEnd]), number: lineNumber, path: file.path) {
      case .success(let streamed): records.append(streamed.record)
      case .failure(let problem):
        problems.append(problem)
        if stopAtFirstProblem { return (records, problems) }
      }
    }
    return (records, problems)
  }

  private static func jsonDocument(_ file: InputFile) throws(InputError) -> [SourceRecord] {
    var parser = JSONParser(bytes: file.bytes)
    let outline: JSONOutline
    do {
      outline = try parser.parseOutline()
    } catch {
      // A broken document cannot be resynchronised, so this is fatal even with --skip-invalid.
      throw InputError(
        .malformedJSON, at: SourceLocation(file: file.path, line: error.line),
        "column \(error.column): \(error.message)")
    }
    switch outline {
    case .array(let elements):
      return try objects(elements.map { ($0.line, $0.value) }, file: file, describe: { "element \($0) of the array" })
    case .object(let entries):
      guard !entries.isEmpty, entries.allSatisfy({ $0.elementLines != nil }) else {
        let found = entries.isEmpty ? "an empty JSON object" : "a JSON object whose values are not lists of records"
        let example = entries.first(where: { $0.elementLines == nil }).map { " ('\($0.key)' is \($0.value.typeName))" }
        throw InputError(
          .unknownFormat, at: SourceLocation(file: file.path, line: entries.first?.line ?? 1),
          "found \(found)\(example ?? ""); expected JSON Lines (one record per line), a JSON array of records, "
            + "or an object whose values are lists of records (one subset per key)")
      }
      var records: [SourceRecord] = []
      for entry in entries {
        let items = zip(entry.elementLines!, entry.value.arrayValue!).map { ($0, $1) }
        for var record in try objects(items, file: file, describe: { "element \($0) of '\(entry.key)'" }) {
          // The key names the subset, unless the record names its own.
          if record.fields["subset"] == nil { record.fields["subset"] = .string(entry.key) }
          records.append(record)
        }
      }
      return records
    case .scalar(let value):
      throw InputError(
        .unknownFormat, at: SourceLocation(file: file.path, line: 1),
        "found a single JSON \(value.typeName); expected records (JSON Lines, a JSON array of objects, "
          + "or an object of lists of objects)")
    }
  }

  private static func objects(
    _ elements: [(Int, JSONValue)], file: InputFile, describe: (Int) -> String
  ) throws(InputError) -> [SourceRecord] {
    var records: [SourceRecord] = []
    records.reserveCapacity(elements.count)
    for (index, (line, value)) in elements.enumerated() {
      let location = SourceLocation(file: file.path, line: line)
      guard let object = value.objectValue else {
        throw InputError(
          .wrongType, at: location, "\(describe(index)): expected a JSON object (a record), found \(value.typeName)")
      }
      records.append(SourceRecord(location: location, fields: object))
    }
    return records
  }

  private static func delimited(
    _ file: InputFile, delimiter: UInt8
  ) throws(InputError) -> (records: [SourceRecord], problems: [InputError]) {
    let rows = try CSVParser(delimiter: delimiter).parse(file.bytes, path: file.path)
    guard let header = rows.first else { return ([], []) }
    var records: [SourceRecord] = []
    var problems: [InputError] = []
    for row in rows.dropFirst() {
      let location = SourceLocation(file: file.path, line: row.line)
      guard row.fields.count == header.fields.count else {
        problems.append(
          InputError(
            .malformedCSV, at: location, "\(row.fields.count) fields, expected \(header.fields.count) as in the header")
        )
        continue
      }
      let entries = zip(header.fields, row.fields).map { (key: $0, value: JSONValue.string($1)) }
      records.append(SourceRecord(location: location, fields: JSONObject(entries)))
    }
    return (records, problems)
  }
}
