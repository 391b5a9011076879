import RewardCore

/// How records are laid out in a file.
public enum RecordContainer: String, Sendable, CaseIterable {
  case jsonLines = "jsonl"
  case jsonArray = "json"
  case csv
  case tsv

  /// From the file name (ignoring `.gz`), else from the first non-blank byte.
  static func detect(_ file: InputFile) -> RecordContainer? {
    let name = file.logicalName
    if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonLines }
    if name.hasSuffix(".csv") { return .csv }
    if name.hasSuffix(".tsv") { return .tsv }
    guard let first = file.bytes.first(where: { !Self.isBlank($0) }) else { return .jsonLines }
    if first == UInt8(ascii: "[") { return .jsonArray }
    if first == UInt8(ascii: "{") { return .jsonLines }
    return nil
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
  public static func records(
    in file: InputFile, container: RecordContainer? = nil
  ) throws(InputError) -> (records: [SourceRecord], problems: [InputError]) {
    guard let container = container ?? RecordContainer.detect(file) else {
      throw InputError(
        .unknownFormat, at: SourceLocation(file: file.path, line: 1),
        "cannot tell the file layout; expected JSON Lines (.jsonl), a JSON array (.json) or CSV (.csv), optionally .gz")
    }
    switch container {
    case .jsonLines: return jsonLines(file)
    case .jsonArray: return (try jsonArray(file), [])
    case .csv: return try delimited(file, delimiter: UInt8(ascii: ","))
    case .tsv: return try delimited(file, delimiter: UInt8(ascii: "\t"))
    }
  }

  private static func jsonLines(_ file: InputFile) -> (records: [SourceRecord], problems: [InputError]) {
    var records: [SourceRecord] = []
    var problems: [InputError] = []
    var lineNumber = 0
    for line in file.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      guard line.contains(where: { !RecordContainer.isBlank($0) }) else { continue }
      let location = SourceLocation(file: file.path, line: lineNumber)
      do {
        let value = try JSONParser.parse(bytes: Array(line))
        guard let object = value.objectValue else {
          problems.append(
            InputError(.wrongType, at: location, "expected a JSON object on each line, found \(value.typeName)"))
          continue
        }
        records.append(SourceRecord(location: location, fields: object))
      } catch {
        problems.append(InputError(.malformedJSON, at: location, "column \(error.column): \(error.message)"))
      }
    }
    return (records, problems)
  }

  private static func jsonArray(_ file: InputFile) throws(InputError) -> [SourceRecord] {
    var parser = JSONParser(bytes: file.bytes)
    let elements: [(line: Int, value: JSONValue)]
    do {
      elements = try parser.parseArrayElementsWithLines()
    } catch {
      // A broken array cannot be resynchronised, so this is fatal even with --skip-invalid.
      throw InputError(
        .malformedJSON, at: SourceLocation(file: file.path, line: error.line),
        "column \(error.column): \(error.message)")
    }
    var records: [SourceRecord] = []
    for (index, element) in elements.enumerated() {
      let location = SourceLocation(file: file.path, line: element.line)
      guard let object = element.value.objectValue else {
        throw InputError(
          .wrongType, at: location,
          "element \(index) of the array: expected a JSON object, found \(element.value.typeName)")
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
