import Foundation

/// Finds the final answer in a model response. The order of preference is the one graders use:
/// the last `\boxed{…}`/`\fbox{…}` (braces matched, any nesting), then a GSM8K `#### N` line, then
/// "the (final) answer is …", then `Answer: …`, then, if enabled, the last number in the text.
public struct MathAnswerExtractor: Sendable {
  public var fallbackToLastNumber: Bool

  public init(fallbackToLastNumber: Bool = true) {
    self.fallbackToLastNumber = fallbackToLastNumber
  }

  public func extract(from response: String) -> String? {
    if let boxed = Self.lastBoxed(in: response) { return boxed }
    if let hashes = Self.afterLastMarker("####", in: response) { return Self.firstLine(hashes) }
    if let phrase = Self.afterAnswerPhrase(in: response) { return phrase }
    if fallbackToLastNumber { return Self.lastNumber(in: response) }
    return nil
  }

  /// The contents of the last `\boxed{…}` or `\fbox{…}` (also `\boxed 5`), or nil. Iterative brace
  /// matching: 10k nested braces cost 10k steps, never stack.
  public static func lastBoxed(in text: String) -> String? {
    let utf8 = Array(text.utf8)
    var best: (start: Int, command: Int)?
    for command in ["\\boxed", "\\fbox"] {
      if let found = ByteSearch.last(Array(command.utf8), in: utf8), found > (best?.start ?? -1) {
        best = (found, command.utf8.count)
      }
    }
    guard let best else { return nil }
    var i = best.start + best.command
    while i < utf8.count, utf8[i] == UInt8(ascii: " ") { i += 1 }
    guard i < utf8.count else { return nil }
    if utf8[i] != UInt8(ascii: "{") {
      // `\boxed 5`: up to the next `$` or whitespace.
      var j = i
      while j < utf8.count, utf8[j] != UInt8(ascii: "$"), utf8[j] != UInt8(ascii: " "), utf8[j] != 10 { j += 1 }
      return j > i ? String(decoding: utf8[i..<j], as: UTF8.self) : nil
    }
    var depth = 0
    var j = i
    while j < utf8.count {
      let byte = utf8[j]
      if byte == UInt8(ascii: "\\"), j + 1 < utf8.count {
        j += 2  // `\{` and `\}` are literal braces, not grouping.
        continue
      }
      if byte == UInt8(ascii: "{") {
        depth += 1
      } else if byte == UInt8(ascii: "}") {
        depth -= 1
        if depth == 0 { return String(decoding: utf8[(i + 1)..<j], as: UTF8.self) }
      }
      j += 1
    }
    return nil  // Unbalanced: no answer rather than half of one.
  }

  private static func afterLastMarker(_ marker: String, in text: String) -> String? {
    let bytes = Array(text.utf8)
    guard let start = ByteSearch.last(Array(marker.utf8), in: bytes) else { return nil }
    let rest = String(decoding: bytes[(start + marker.utf8.count)...], as: UTF8.self).trimmingSpaces()
    return rest.isEmpty ? nil : rest
  }

  private static func firstLine(_ text: String) -> String {
    String(text.prefix(while: { $0 != "\n" })).trimmingSpaces()
  }

  private static let answerPhrases: [NSRegularExpression] = [
    #"(?i)the\s+(?:final\s+)?answer\s+is\s*:?\s*"#,
    #"(?i)final\s+answer\s*:\s*"#,
    #"(?i)\banswer\s*:\s*"#,
  ].map { try! NSRegularExpression(pattern: $0) }

  /// Text after the last "the answer is"/"Answer:" phrase, up to the end of its sentence or line.
  private static func afterAnswerPhrase(in text: String) -> String? {
    guard mayContainAnswerWord(text) else { return nil }
    let whole = NSRange(text.startIndex..., in: text)
    for pattern in answerPhrases {
      guard let match = pattern.matches(in: text, range: whole).last,
        let range = Range(match.range, in: text)
      else { continue }
      var answer = firstLine(String(text[range.upperBound...]))
      // A sentence ends at ". " or a final "."; "3.5" keeps its point.
      if let stop = answer.range(of: ". ") { answer = String(answer[..<stop.lowerBound]) }
      // "The answer is 5 because …": the justification is not part of the answer.
      for connective in [", because", ", since", ", which", " because ", " since ", " which "] {
        if let stop = answer.range(of: connective) { answer = String(answer[..<stop.lowerBound]) }
      }
      answer = answer.trimmingSpaces()
      while let last = answer.last, ".,;:".contains(last) { answer.removeLast() }
      answer = answer.trimmingSpaces()
      if answer.hasPrefix("$"), answer.hasSuffix("$"), answer.count >= 2 {
        answer = String(answer.dropFirst().dropLast())
      }
      if !answer.isEmpty { return answer }
    }
    return nil
  }

  /// Every answer phrase has the word "answer"; an ASCII text without it skips the three regular
  /// expressions. Other texts go to ICU, whose case folding also matches e.g. "anſwer".
  private static func mayContainAnswerWord(_ text: String) -> Bool {
    let word = Array("answer".utf8)
    var matched = 0
    for byte in text.utf8 {
      if byte >= 0x80 { return true }
      let lower = byte | 0x20  // ASCII letters to lower case; the word has letters only
      matched = lower == word[matched] ? matched + 1 : (lower == word[0] ? 1 : 0)
      if matched == word.count { return true }
    }
    return false
  }

  private static let numberPattern = try! NSRegularExpression(pattern: #"-?\d[\d,]*(?:\.\d+)?|-?\.\d+"#)

  /// The last number written in the text (`1,234.5` included), or nil.
  public static func lastNumber(in text: String) -> String? {
    // Only the tail matters; scanning a 1 MB response from the end keeps this cheap.
    let tail = text.count > 4096 ? String(text.suffix(4096)) : text
    let whole = NSRange(tail.startIndex..., in: tail)
    guard let match = numberPattern.matches(in: tail, range: whole).last,
      let range = Range(match.range, in: tail)
    else { return nil }
    var number = String(tail[range])
    while number.hasSuffix(",") { number.removeLast() }
    return number
  }
}
