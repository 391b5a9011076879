import Foundation
import RewardCore
import Testing

@testable import RewardData

/// `reward embed`'s input (issue 15.6: it re-implemented InputFile and lost gzip).
@Suite struct TextRecordTests {
  static let text = """
    plain text line
    "a JSON string\\nwith a newline"

    {"text": "an object", "id": 7}
    """

  func records(_ bytes: [UInt8], path: String = "texts.txt") throws(InputError) -> [TextRecord] {
    try TextRecordReader.read(InputFile(path: path, bytes: bytes))
  }

  @Test func readsPlainStringAndObjectLinesSkippingBlanks() throws {
    let records = try records(Array(Self.text.utf8))
    #expect(records.map(\.text) == ["plain text line", "a JSON string\nwith a newline", "an object"])
    #expect(records[2].fields["id"] == .int(7))
  }

  @Test func readsGzippedInput() throws {
    let directory = NSTemporaryDirectory() + "rewarddata-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/texts.txt"
    try Self.text.write(toFile: path, atomically: true, encoding: .utf8)
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    gzip.arguments = ["gzip", "-k", path]
    try gzip.run()
    gzip.waitUntilExit()
    try #require(gzip.terminationStatus == 0)
    let plain = try TextRecordReader.read(InputFile.read(path))
    let compressed = try TextRecordReader.read(InputFile.read(path + ".gz"))
    #expect(compressed == plain)
    #expect(compressed.count == 3)
  }

  @Test func badLinesNameTheFileAndLine() {
    #expect(throws: InputError.self) { try records(Array("ok\n{\"text\": 1}\n".utf8)) }
    do {
      _ = try records(Array("ok\n\n{\"text\": \n".utf8), path: "in.txt")
      Issue.record("malformed JSON accepted")
    } catch {
      #expect(error.description.hasPrefix("in.txt:3"))
      #expect(error.kind == .malformedJSON)
    }
    do {
      _ = try records(Array("{\"id\": 1}\n".utf8), path: "in.txt")
      Issue.record("object without text accepted")
    } catch {
      #expect(error.description.contains("in.txt:1: field 'text'"))
    }
  }
}
