// One reliability case per process, so /usr/bin/time reports its peak memory alone.
// Usage: bench-reliability regex-nsregularexpression|regex-bounded A_COUNT
//        bench-reliability exact-match-regex|exact-match-linear MEGABYTES
import Foundation
import RewardCore
import RewardRules

let arguments = CommandLine.arguments
guard arguments.count == 3, let size = Int(arguments[2]) else {
  print("usage: bench-reliability CASE SIZE")
  exit(2)
}
let clock = ContinuousClock()
var outcome = ""
let elapsed = clock.measure {
  switch arguments[1] {
  case "regex-nsregularexpression":  // what the format rule did before its budget
    let text = String(repeating: "a", count: size) + "b"
    let regex = try! NSRegularExpression(pattern: "(a+)+$")
    outcome = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil ? "no match" : "match"
  case "regex-bounded":
    let text = String(repeating: "a", count: size) + "b"
    outcome = "\(try! RegexRule(pattern: "(a+)+$").evaluate(Candidate(prompt: [], response: text)))"
  case "exact-match-regex":  // the SQuAD normalisation as it was written before (regex replace, split)
    let text = String(repeating: "The Answer, is: a cat! ", count: size * 1_000_000 / 23)
    var s = text.lowercased()
    let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
    s = String(s.unicodeScalars.filter { !punctuation.contains($0) }.map(Character.init))
    let articles = try! NSRegularExpression(pattern: #"\b(a|an|the)\b"#)
    s = articles.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: " ")
    s = s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    outcome = "\(s.trimmingCharacters(in: .whitespacesAndNewlines).utf8.count) bytes normalised"
  case "exact-match-linear":
    let text = String(repeating: "The Answer, is: a cat! ", count: size * 1_000_000 / 23)
    let verdict = ExactMatchRule().evaluate(Candidate(prompt: [], response: text, reference: "answer is cat"))
    outcome = "\(verdict)"
  default:
    print("unknown case \(arguments[1])")
    exit(2)
  }
}
print("\(arguments[1]) \(size): \(outcome) in \(elapsed)")
