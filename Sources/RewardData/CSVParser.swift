import RewardCore

/// RFC 4180 CSV: quoted fields may hold commas, quotes (doubled) and newlines. Tracks the line on
/// which each record starts so errors can name it. (Hand-written rather than a package because
/// errors must carry line numbers and records may span lines.)
struct CSVParser {
  struct Row {
    var line: Int
    var fields: [String]
  }

  let delimiter: UInt8

  func parse(_ bytes: [UInt8], path: String) throws(InputError) -> [Row] {
    var rows: [Row] = []
    var fields: [String] = []
    var field: [UInt8] = []
    var inQuotes = false
    var line = 1
    var rowStartLine = 1
    var quoteStartLine = 1
    var index = 0
    var fieldWasQuoted = false

    func endField() {
      fields.append(String(decoding: field, as: UTF8.self))
      field.removeAll(keepingCapacity: true)
      fieldWasQuoted = false
    }

    while index < bytes.count {
      let byte = bytes[index]
      if inQuotes {
        if byte == UInt8(ascii: "\"") {
          if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
            field.append(byte)
            index += 2
            continue
          }
          inQuotes = false
        } else {
          if byte == UInt8(ascii: "\n") { line += 1 }
          field.append(byte)
        }
        index += 1
        continue
      }
      switch byte {
      case UInt8(ascii: "\""):
        guard field.isEmpty, !fieldWasQuoted else {
          throw InputError(
            .malformedCSV, at: SourceLocation(file: path, line: line),
            "a quote inside an unquoted field; expected the whole field to be quoted (\"…\") with inner quotes doubled")
        }
        inQuotes = true
        fieldWasQuoted = true
        quoteStartLine = line
      case delimiter:
        endField()
      case UInt8(ascii: "\r"):
        break  // CRLF line ends: the \n ends the row
      case UInt8(ascii: "\n"):
        endField()
        if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowStartLine, fields: fields)) }
        fields.removeAll()
        line += 1
        rowStartLine = line
      default:
        if fieldWasQuoted {
          throw InputError(
            .malformedCSV, at: SourceLocation(file: path, line: line),
            "unexpected text after a closing quote; expected a delimiter or the end of the line")
        }
        field.append(byte)
      }
      index += 1
    }
    if inQuotes {
      throw InputError(
        .malformedCSV, at: SourceLocation(file: path, line: quoteStartLine),
        "a quoted field is never closed; expected a closing '\"'")
    }
    if !field.isEmpty || !fields.isEmpty || fieldWasQuoted {
      endField()
      rows.append(Row(line: rowStartLine, fields: fields))
    }
    return rows
  }
}
