import Foundation
import RewardCore
import RewardTestSupport
import Testing

@testable import RewardData

/// `reward score`'s input and output: streamed JSON Lines with bounds, whole-group batches, and
/// the byte-for-byte echo of each record.
struct StreamingTests {
  /// gzip through the system tool (the tests have no zlib writer of their own).
  static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let input = try TemporaryFile("data", bytes: bytes)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-c", input.path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](data)
  }

  static func all(_ stream: RecordStream) throws -> [Result<StreamedRecord, InputError>] {
    var items: [Result<StreamedRecord, InputError>] = []
    while let item = try stream.next() { items.append(item) }
    return items
  }

  /// Issue 16.2: blank lines cost nothing and the first bad line is reported when it is reached,
  /// before anything after it (here a line over the length bound) is even read.
  @Test func firstBadLineOfAGzippedFileIsReportedWithoutReadingOn() throws {
    var text = #"{"prompt": "p", "response": "r"}"# + "\n"
    text += String(repeating: "\n", count: 200_000) + "{oops\n"
    text += String(repeating: "x", count: 3 << 20) + "\n"
    let file = try TemporaryFile("blank.jsonl.gz", bytes: Self.gzip(Array(text.utf8)))
    let stream = try RecordStream(path: file.path, limits: InputLimits(maxLineBytes: 1 << 20))
    #expect(try stream.next()?.get().record.fields["response"] == "r")
    guard case .failure(let error) = try stream.next() else {
      Issue.record("expected the malformed line")
      return
    }
    #expect(error.kind == .malformedJSON && error.location.line == 200_002)
    // Reading on (as --skip-invalid does) then meets the overlong line: a clear, located error.
    #expect {
      _ = try stream.next()
    } throws: { error in
      let error = error as? InputError
      return error?.location.line == 200_003 && error?.message.contains("longer than 1 MiB") == true
    }
  }

  /// The whole-file reader stops at the first bad line too, unless asked to collect them all.
  @Test func wholeFileReaderStopsAtTheFirstProblem() throws {
    let text = "{\"a\": 1}\nnot json\n" + String(repeating: "{bad\n", count: 1000)
    let file = try InputFile(path: "x.jsonl", bytes: Array(text.utf8))
    #expect(try RecordReader.records(in: file, stopAtFirstProblem: true).problems.count == 1)
    #expect(try RecordReader.records(in: file).problems.count == 1001)
  }

  /// A gzip bomb read whole stops at the document bound with a clear error instead of inflating.
  @Test func decompressedSizeIsBounded() throws {
    let bomb = try Self.gzip([UInt8](repeating: UInt8(ascii: "["), count: 8 << 20))
    #expect(bomb.count < 100_000)
    #expect {
      _ = try InputFile(path: "bomb.json.gz", bytes: bomb, limits: InputLimits(maxDocumentBytes: 1 << 20))
    } throws: { error in
      (error as? InputError)?.message.contains("decompresses to more than 1 MiB") == true
    }
    // Streamed, the same bytes are one line over the line bound.
    let file = try TemporaryFile("bomb.jsonl.gz", bytes: bomb)
    let stream = try RecordStream(path: file.path, limits: InputLimits(maxLineBytes: 1 << 20))
    #expect(throws: InputError.self) { try Self.all(stream) }
  }

  @Test func truncatedGzipIsAnError() throws {
    let whole = try Self.gzip(Array(String(repeating: #"{"response": "r"}"# + "\n", count: 2000).utf8))
    let file = try TemporaryFile("cut.jsonl.gz", bytes: Array(whole.prefix(whole.count / 2)))
    #expect {
      _ = try Self.all(RecordStream(path: file.path))
    } throws: { error in
      (error as? InputError)?.message.contains("truncated") == true
    }
  }

  /// A gzipped JSON Lines file streams to the same records the whole-file reader finds.
  @Test func streamedRecordsMatchTheWholeFileReader() throws {
    let path = SharedData.fixture("trl-standard-explicit.jsonl")
    let whole = try RecordReader.records(in: InputFile.read(path)).records
    let bytes = try Self.gzip([UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
    let file = try TemporaryFile("copy.jsonl.gz", bytes: bytes)
    let streamed = try Self.all(RecordStream(path: file.path)).map { try $0.get().record }
    #expect(streamed.map(\.fields) == whole.map(\.fields))
    #expect(streamed.map(\.location.line) == whole.map(\.location.line))
  }

  // MARK: Containers (issue 15.4)

  /// EvalBiasBench's layout: a pretty-printed object of lists. Read as subsets, one per key,
  /// each record located at its own line.
  @Test func objectOfListsIsReadAsSubsets() throws {
    let path = SharedData.fixture("evalbiasbench-layout.json")
    let dataset = try PreferenceReader.read([path])
    #expect(dataset.pairs.count == 3)
    #expect(dataset.pairs.map(\.subset) == ["length bias", "length bias", "concreteness"])
    #expect(dataset.pairs.map(\.source.line) == [3, 9, 17])
    #expect(dataset.pairs[1].chosen == "7")
    // The streaming reader (reward score) reads it the same way.
    let streamed = try Self.all(RecordStream(path: path)).map { try $0.get().record }
    #expect(streamed.map { $0.fields["subset"] } == ["length bias", "length bias", "concreteness"])
  }

  @Test(arguments: [
    (
      "{\n  \"name\": \"x\",\n  \"rows\": [{\"a\": 1}]\n}",
      "a JSON object whose values are not lists of records ('name' is string)"
    ),
    ("{\n  \"prompt\": \"p\",\n  \"response\": \"r\"\n}", "a JSON object whose values are not lists of records"),
    ("{\n  \"a\": [1, 2]\n}", "element 0 of 'a': expected a JSON object (a record), found number"),
    ("{\n}\n", "an empty JSON object"),
  ])
  func unsupportedShapesSayWhatWasFound(text: String, words: String) throws {
    let file = try InputFile(path: "shape.json", bytes: Array(text.utf8))
    #expect {
      _ = try RecordReader.records(in: file)
    } throws: { error in
      (error as? InputError)?.description.contains(words) == true
    }
  }

  /// Detection is by parsing: a one-line object is JSON Lines, a pretty-printed one a document.
  @Test func containerIsDetectedByParsing() throws {
    let lines = try InputFile(path: "x.json", bytes: Array("{\"a\": 1}\n{\"a\": 2}\n".utf8))
    #expect(RecordContainer.detect(lines) == .jsonLines)
    let pretty = try InputFile(path: "x.json", bytes: Array("{\n \"s\": [{\"a\": 1}]\n}\n".utf8))
    #expect(RecordContainer.detect(pretty) == .jsonDocument)
    #expect(try RecordReader.records(in: pretty).records.first?.location.line == 2)
  }

  // MARK: Batches and output

  func batches(_ text: String, batchSize: Int, wholeGroups: Bool) throws -> (TemporaryFile, ScoringBatches) {
    let file = try TemporaryFile("in.jsonl", text)
    let stream = try RecordStream(path: file.path)
    return (file, ScoringBatches(stream: stream, batchSize: batchSize, wholeGroups: wholeGroups))
  }

  @Test func groupsAreNeverSplitAcrossBatches() throws {
    let groups = ["a", "a", "a", "b", "c", "c", "c", "c"]
    let text = groups.map { #"{"response": "x", "group": "\#($0)"}"# }.joined(separator: "\n")
    let (file, batches) = try batches(text, batchSize: 2, wholeGroups: true)
    var sizes: [[String]] = []
    while let batch = try batches.next() { sizes.append(batch.map { $0.candidate.group! }) }
    _ = file
    #expect(sizes == [["a", "a", "a"], ["b", "c", "c", "c", "c"]])
    // Without group normalisation batches are cut at the size.
    let (file2, plain) = try self.batches(text, batchSize: 3, wholeGroups: false)
    var counts: [Int] = []
    while let batch = try plain.next() { counts.append(batch.count) }
    _ = file2
    #expect(counts == [3, 3, 2])
  }

  @Test func aGroupSplitAcrossTheFileIsAnError() throws {
    let text = ["a", "b", "a"].map { #"{"response": "x", "group": "\#($0)"}"# }.joined(separator: "\n")
    let (file, batches) = try batches(text, batchSize: 100, wholeGroups: true)
    _ = file
    #expect {
      while try batches.next() != nil {}
    } throws: { error in
      let error = error as? InputError
      return error?.location.line == 3 && error?.location.field == "group"
        && error?.message.contains("started at line 1") == true
    }
  }

  @Test func skippedRecordsAreCountedNotKept() throws {
    let text = (0..<50).map { _ in "{bad" }.joined(separator: "\n") + "\n{\"response\": \"ok\"}\n"
    let file = try TemporaryFile("in.jsonl", text)
    let batches = ScoringBatches(stream: try RecordStream(path: file.path), skipInvalid: true)
    #expect(try batches.next()?.count == 1)
    #expect(batches.skipped.count == 50 && batches.skipped.examples.count == 3)
  }

  @Test func writerEchoesEachLineExactlyWithTheRewardSpliced() throws {
    let lines = [
      #"{"prompt": "p",  "response": "r", "x": 1.50}"#,
      #"{"response": "r", "reward": 9}"#,
      "{}",
    ]
    let input = try TemporaryFile("in.jsonl", lines.joined(separator: "\r\n") + "\n")
    let stream = try RecordStream(path: input.path)
    let out = input.directory + "/out.jsonl"
    let writer = try ScoredRecordWriter(path: out)
    var records: [ScoringRecord] = []
    while let item = try stream.next() {
      let streamed = try item.get()
      records.append(
        ScoringRecord(
          candidate: Candidate(prompt: [], response: ""), fields: streamed.record.fields,
          location: streamed.record.location, line: streamed.line))
    }
    for (index, record) in records.enumerated() {
      try writer.write(record, Reward(Double(index) + 0.5, components: index == 0 ? [("math", 1)] : []))
    }
    #expect(!FileManager.default.fileExists(atPath: out))  // only on commit
    try writer.commit()
    let written = try String(contentsOfFile: out, encoding: .utf8)
    #expect(
      written == """
        {"prompt": "p",  "response": "r", "x": 1.50,"reward":0.5,"components":{"math":1.0}}
        {"response":"r","reward":1.5}
        {"reward":2.5}

        """)
  }

  /// `FileScoring` reads the next batch while scoring the current one: the output keeps the input's
  /// order across many small batches, and the counts are right.
  @Test func fileScoringKeepsOrderAcrossReadAheadBatches() async throws {
    let lines = (0..<2_500).map {
      #"{"prompt": "p", "response": "\#(String(repeating: "x", count: $0 % 97))", "i": \#($0)}"#
    }
    let input = try TemporaryFile("in.jsonl", lines.joined(separator: "\n") + "\n")
    let out = input.directory + "/out.jsonl"
    let batches = ScoringBatches(stream: try RecordStream(path: input.path), batchSize: 7)
    let summary = try await FileScoring.run(
      model: ResponseLength(), batches: batches, writer: try ScoredRecordWriter(path: out))
    #expect(summary.scored == 2_500 && summary.nonFinite == 0 && summary.skipped.count == 0)
    let written = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
    #expect(written.count == 2_500)
    for (index, line) in written.enumerated() {
      #expect(line == lines[index].dropLast() + ",\"reward\":\(Double(index % 97))}")
    }
  }

  @Test func fileScoringStopsAtABadLineAndLeavesNoOutput() async throws {
    let text = #"{"response": "a"}"# + "\n" + #"{"response": 1}"# + "\n"
    let input = try TemporaryFile("in.jsonl", text)
    let out = input.directory + "/out.jsonl"
    let batches = ScoringBatches(stream: try RecordStream(path: input.path), batchSize: 1)
    await #expect(throws: InputError.self) {
      try await FileScoring.run(model: ResponseLength(), batches: batches, writer: try ScoredRecordWriter(path: out))
    }
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}

/// Scores a response by its length in characters (a model whose output the test can predict).
private struct ResponseLength: RewardModel {
  var name: String { "length" }
  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    candidates.map { Reward(Double($0.response.count)) }
  }
}
