import RewardCore

/// One text to embed (or otherwise process one text at a time) and, for JSON object lines, the
/// object's other fields, so ids survive to the output.
public struct TextRecord: Sendable, Equatable {
  public var text: String
  public var fields: JSONObject

  public init(text: String, fields: JSONObject = JSONObject()) {
    self.text = text
    self.fields = fields
  }
}

/// Reads one text a line (`reward embed`'s input), from any `InputFile` (so `.gz` and standard
/// input work as everywhere else): a line starting with `"` is a JSON string; a line starting
/// with `{` is a JSON object whose `text` field is the text; any other line is the text itself,
/// without its line break. Blank lines are skipped; a malformed JSON line is an error naming the
/// file and line.
public enum TextRecordReader {
  public static func read(_ file: InputFile) throws(InputError) -> [TextRecord] {
    let name = file.path == InputFile.standardInputPath ? "<stdin>" : file.path
    // InputFile has checked the bytes are UTF-8.
    let content = String(decoding: file.bytes, as: UTF8.self)
    var records: [TextRecord] = []
    for (index, rawLine) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      guard let first = trimmed.first else { continue }
      guard first == "\"" || first == "{" else {
        records.append(TextRecord(text: String(line)))
        continue
      }
      records.append(try jsonLine(String(line), first: first, at: SourceLocation(file: name, line: index + 1)))
    }
    return records
  }

  private static func jsonLine(_ line: String, first: Character, at location: SourceLocation) throws(InputError)
    -> TextRecord
  {
    let value: JSONValue
    do {
      value = try JSONParser.parse(line)
    } catch {
      throw InputError(
        .malformedJSON, at: location,
        "\(error.message) at column \(error.column) (a line starting with \(first) must be JSON; other lines are plain text)"
      )
    }
    if let text = value.stringValue { return TextRecord(text: text) }
    guard let object = value.objectValue else {
      throw InputError(.wrongType, at: location, "expected a JSON string or object, found \(value.typeName)")
    }
    guard let field = object["text"] else {
      throw InputError(.missingField, at: location.field("text"), "a JSON object line needs a \"text\" field")
    }
    guard let text = field.stringValue else {
      throw InputError(.wrongType, at: location.field("text"), "expected a string, found \(field.typeName)")
    }
    return TextRecord(text: text, fields: object)
  }
}
