import Foundation
import RewardCore
import Testing

@Suite struct JSONParserTests {
  @Test func parsesAllValueKindsKeepingKeyOrderAndIntegers() throws {
    let value = try JSONParser.parse(#"{"b": 1, "a": [true, false, null, -2.5e3, "x\u00e9\n\ud83d\ude00"], "c": {}}"#)
    let object = try #require(value.objectValue)
    #expect(object.keys == ["b", "a", "c"])
    #expect(object["b"] == .int(1))
    #expect(object["a"] == [true, false, nil, -2500.0, "xé\n😀"])
    #expect(value.jsonText == #"{"b":1,"a":[true,false,null,-2500.0,"xé\n😀"],"c":{}}"#)
  }

  @Test func roundTripsThroughFoundation() throws {
    // The writer's output must be JSON that another parser reads to the same values.
    let text = #"{"s":"quote \" backslash \\ tab \t ctrl \u0001","n":0.1,"big":12345678901234,"neg":-0.0}"#
    let value = try JSONParser.parse(text)
    let foundation = try JSONSerialization.jsonObject(with: Data(value.jsonText.utf8)) as? [String: Any]
    #expect(foundation?["s"] as? String == "quote \" backslash \\ tab \t ctrl \u{01}")
    #expect(foundation?["n"] as? Double == 0.1)
    #expect((foundation?["big"] as? NSNumber)?.int64Value == 12_345_678_901_234)
  }

  @Test(arguments: [
    ("{\"a\": 1,}", 1, 9, "expected a string key in object, found '}'"),
    ("[1, 2", 1, 6, "unterminated array, expected ',' or ']'"),
    ("{\n  \"a\": tru\n}", 2, 8, "unexpected 't', expected a value"),
    ("\"abc", 1, 5, "unterminated string"),
    ("01", 1, 2, "invalid number: leading zero"),
    ("{\"a\" 1}", 1, 6, "expected ':' after key \"a\", found '1'"),
    ("", 1, 1, "empty input, expected a JSON value"),
    ("1 2", 1, 3, "unexpected '2' after the JSON value"),
    ("\"\\x\"", 1, 3, "invalid escape '\\x'"),
  ])
  func reportsLineColumnAndCause(text: String, line: Int, column: Int, message: String) {
    #expect(throws: JSONSyntaxError(line: line, column: column, message: message)) { try JSONParser.parse(text) }
  }

  @Test func keepsTextBetweenEscapesAndNonASCIIExactly() throws {
    let value = try JSONParser.parse(#"["plain é 😀", "a\"b\\c\/d\u0041é\n\ud83d\ude00end", "\\", "", "\ud800x"]"#)
    #expect(value == ["plain é 😀", "a\"b\\c/dAé\n😀end", "\\", "", "\u{FFFD}x"])
  }

  @Test func placesInvalidUTF8AtTheFirstBadByte() {
    // "ab" then a lone continuation byte, with and without an escape before it.
    for (prefix, column) in [("ab", 4), ("a\\nb", 6)] {
      let bytes = Array("\"\(prefix)".utf8) + [0x80] + Array("c\"".utf8)
      #expect(throws: JSONSyntaxError(line: 1, column: column, message: "invalid UTF-8 inside a string")) {
        try JSONParser.parse(bytes: bytes)
      }
    }
  }

  /// The byte-level writer and the escape path of the parser, against Foundation on seeded random
  /// strings with every control character, quotes, backslashes and non-ASCII text.
  @Test func randomStringsRoundTripAndAgreeWithFoundation() throws {
    var generator = SeededGenerator(seed: 15)
    let alphabet: [Unicode.Scalar] =
      (0..<0x20).map { Unicode.Scalar($0)! } + ["\"", "\\", "/", "a", "Z", " ", "é", "😀", "中", "\u{7F}"]
    for _ in 0..<300 {
      var text = ""
      for _ in 0..<Int.random(in: 0..<40, using: &generator) {
        text.unicodeScalars.append(alphabet.randomElement(using: &generator)!)
      }
      let written = JSONValue.array([.string(text)]).jsonText
      #expect(try JSONParser.parse(written) == .array([.string(text)]))
      let foundation = try JSONSerialization.jsonObject(with: Data(written.utf8)) as? [String]
      #expect(foundation == [text])
      // Foundation's own escaping (`\/`, `\u001f`, …) parses back to the same text.
      let escapedByFoundation = try JSONSerialization.data(withJSONObject: [text])
      #expect(try JSONParser.parse(bytes: [UInt8](escapedByFoundation)) == .array([.string(text)]))
    }
  }

  @Test func rejectsHostileNestingWithoutCrashing() {
    let deep = String(repeating: "[", count: 100_000)
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
  }

  @Test func arrayElementsCarryTheirLines() throws {
    var parser = JSONParser(bytes: Array("[\n {\"a\": 1},\n\n {\"a\": 2}\n]".utf8))
    let elements = try parser.parseArrayElementsWithLines()
    #expect(elements.map(\.line) == [2, 4])
  }
}

@Suite struct DeterminismTests {
  @Test func seededGeneratorIsReproducibleAndUniform() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
    var counts = [Int](repeating: 0, count: 10)
    var g = SeededGenerator(seed: 1)
    for _ in 0..<100_000 { counts[g.nextIndex(below: 10)] += 1 }
    #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
  }

  @Test func shuffleIsAPermutationFixedBySeed() {
    var g1 = SeededGenerator(seed: 3)
    var g2 = SeededGenerator(seed: 3)
    var x = Array(0..<50)
    var y = Array(0..<50)
    g1.shuffle(&x)
    g2.shuffle(&y)
    #expect(x == y)
    #expect(x != Array(0..<50))
    #expect(x.sorted() == Array(0..<50))
  }

  @Test func stableHasherSeparatesFieldBoundaries() {
    var h1 = StableHasher()
    h1.combine("ab")
    h1.combine("c")
    var h2 = StableHasher()
    h2.combine("a")
    h2.combine("bc")
    #expect(h1.finalized != h2.finalized)
    var h3 = StableHasher()
    h3.combine("ab")
    h3.combine("c")
    #expect(h1.hexDigest == h3.hexDigest)
  }

  @Test func sigmoidAndLogSigmoidStayFinite() {
    #expect(sigmoid(1000) == 1)
    #expect(sigmoid(-1000) == 0)
    #expect(abs(logSigmoid(-1000) + 1000) < 1e-9)
    #expect(abs(logSigmoid(0) - log(0.5)) < 1e-15)
  }
}
