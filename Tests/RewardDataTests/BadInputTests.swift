import Foundation
import RewardCore
import Testing

@testable import RewardData

/// Bad input gets an error naming file, line and field and what was expected; never a crash,
/// never silently changed data. `--skip-invalid` skips and reports instead.
@Suite struct BadInputTests {
  func error(_ body: () throws -> Void) -> InputError? {
    #expect(throws: InputError.self) { try body() }
    do {
      try body()
    } catch let error as InputError {
      return error
    } catch {}
    return nil
  }

  let good = #"{"prompt": "P", "chosen": "A", "rejected": "B"}"#

  @Test func missingFile() {
    let e = error { _ = try PreferenceReader.read(["/nonexistent/pairs.jsonl"]) }
    #expect(e?.kind == .missingFile)
    #expect(e?.description == "/nonexistent/pairs.jsonl: missing file: no such file")
  }

  @Test func malformedJSONNamesTheLine() throws {
    let file = try TemporaryFile(
      "bad.jsonl", good + "\n" + good + "\n" + #"{"prompt": "P", "chosen": "A" "rejected": "B"}"# + "\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .malformedJSON)
    #expect(e?.location.line == 3)
    #expect(e?.message.contains("expected ',' or '}'") == true)
    #expect(e?.message.contains("column 31") == true)
  }

  @Test func malformedJSONArrayNamesTheLine() throws {
    let file = try TemporaryFile("bad.json", "[\n  {\"a\": 1},\n  {\"a\": tru}\n]\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .malformedJSON)
    #expect(e?.location.line == 3)
  }

  @Test func missingField() throws {
    let file = try TemporaryFile(
      "missing.jsonl", good + "\n" + #"{"prompt": "P", "chosen": "A", "rejectd": "B"}"# + "\n")
    let e = error { _ = try PreferenceReader.read([file.path], options: ReadOptions(format: .trl)) }
    #expect(e?.kind == .missingField)
    #expect(e?.location == SourceLocation(file: file.path, line: 2, field: "rejected"))
    #expect(e?.message.contains("'rejectd'") == true)  // lists what the record does have
  }

  @Test func wrongType() throws {
    let file = try TemporaryFile("type.jsonl", good + "\n" + #"{"prompt": "P", "chosen": 42, "rejected": "B"}"# + "\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .wrongType)
    #expect(e?.location == SourceLocation(file: file.path, line: 2, field: "chosen"))
    #expect(e?.message == "expected a string or a list of messages, found number")
  }

  @Test func wrongTypeInsideMessages() throws {
    let line =
      #"{"prompt": [{"role": "user", "content": "Q"}], "chosen": [{"role": "assistant", "content": 3}], "rejected": [{"role": "assistant", "content": "B"}]}"#
    let file = try TemporaryFile("messages.jsonl", line + "\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .wrongType)
    #expect(e?.location.field == "chosen[0].content")
  }

  @Test func invalidUTF8NamesTheLine() throws {
    var bytes = Array((good + "\n" + good + "\n").utf8)
    bytes.insert(0xFF, at: good.utf8.count + 1 + 20)
    let file = try TemporaryFile("latin1.jsonl", bytes: bytes)
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .invalidUTF8)
    #expect(e?.location.line == 2)
    #expect(e?.message.contains("column 21") == true)
  }

  @Test func emptyResponse() throws {
    let file = try TemporaryFile(
      "empty.jsonl", good + "\n" + #"{"prompt": "P", "chosen": "A", "rejected": "  \n"}"# + "\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .emptyResponse)
    #expect(e?.location == SourceLocation(file: file.path, line: 2, field: "rejected"))
    let kept = try PreferenceReader.read([file.path], options: ReadOptions(allowEmptyResponses: true))
    #expect(kept.pairs[1].rejected == "  \n")  // kept exactly as given
  }

  @Test func tieWhereAStrictPairIsRequired() throws {
    let data = try PreferenceReader.read([SharedData.fixture("autoj.jsonl")])
    let e = error { _ = try data.strictPairs(skipInvalid: false) }
    #expect(e?.kind == .tie)
    #expect(e?.location.line == 3)
    let (strict, skipped) = try data.strictPairs(skipInvalid: true)
    #expect(strict.count == 2)
    #expect(skipped.map(\.kind) == [.tie])
  }

  @Test func invalidLabel() throws {
    let file = try TemporaryFile("label.json", #"[{"input": "Q", "output_1": "A", "output_2": "B", "label": 3}]"#)
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .invalidValue)
    #expect(e?.location.field == "label")
    #expect(e?.message == "expected 1 (output_1 better) or 2 (output_2 better)")
  }

  @Test func unknownFormatListsFieldsAndFormats() throws {
    let file = try TemporaryFile("unknown.jsonl", #"{"question": "Q", "answer": "A"}"# + "\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .unknownFormat)
    #expect(e?.location.line == 1)
    #expect(e?.message.contains("'question', 'answer'") == true)
    #expect(e?.message.contains("hh-rlhf") == true)
  }

  @Test func unknownFileLayout() throws {
    let file = try TemporaryFile("notes.txt", "just some text\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .unknownFormat)
  }

  @Test func truncatedGzip() throws {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: SharedData.fixture("trl-standard-copy.csv.gz"))))
    let file = try TemporaryFile("cut.csv.gz", bytes: Array(bytes.prefix(bytes.count / 2)))
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .unreadableFile)
    #expect(e?.message.contains("truncated") == true)
  }

  @Test func malformedCSV() throws {
    let file = try TemporaryFile("bad.csv", "prompt,chosen,rejected\nP,A,B\nP,\"unclosed,B\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .malformedCSV)
    #expect(e?.location.line == 3)
    let short = try TemporaryFile("short.csv", "prompt,chosen,rejected\nP,A,B\nP,A\n")
    let data = try PreferenceReader.read([short.path], options: ReadOptions(skipInvalid: true))
    #expect(data.pairs.count == 1)
    #expect(data.skipped.first?.location.line == 3)
    #expect(data.skipped.first?.message == "2 fields, expected 3 as in the header")
  }

  @Test func skipInvalidSkipsAndReportsEachReason() throws {
    let lines = [
      good,
      #"{"prompt": "P", "chosen": "A" "rejected": "B"}"#,
      #"{"prompt": "P", "chosen": 1, "rejected": "B"}"#,
      #"{"prompt": "P", "chosen": "", "rejected": "B"}"#,
      #"{"prompt": "P", "chosen": "A"}"#,
      "[1, 2]",
      good,
    ]
    let file = try TemporaryFile("mixed.jsonl", lines.joined(separator: "\n") + "\n")
    let data = try PreferenceReader.read([file.path], options: ReadOptions(skipInvalid: true))
    #expect(data.pairs.count == 2)
    #expect(data.pairs.map(\.source.line) == [1, 7])
    #expect(data.skipped.map(\.location.line) == [2, 3, 4, 5, 6])
    #expect(data.skipped.map(\.kind) == [.malformedJSON, .wrongType, .emptyResponse, .missingField, .wrongType])
    #expect(data.skippedSummary.first { $0.kind == .wrongType }?.count == 2)
  }

  @Test func hhTranscriptWithoutAssistantTurn() throws {
    let file = try TemporaryFile(
      "hh.jsonl", #"{"chosen": "\n\nHuman: Hi\n\nAssistant: Hello", "rejected": "Hello there"}"# + "\n")
    let e = error { _ = try PreferenceReader.read([file.path]) }
    #expect(e?.kind == .invalidValue)
    #expect(e?.location.field == "rejected")
  }
}
