import Foundation
import RewardCore
import RewardData
import RewardRules
import RewardSpec
import RewardTestSupport
import Testing

/// The fuzz target of issue 16: seeded mutations of real inputs (records from ../shared/data,
/// the spec files in this repository, math answers, format patterns) fed to the record reader,
/// the spec loader and the math and format rules. Every case must return — a value or an error
/// that names its file — and a rule must give the same verdict twice.
///
/// Deterministic (fixed seeds) and bounded: `REWARDKIT_FUZZ_CASES` (default 300 per target) sets
/// how many mutations each target tries, so CI runs a few seconds and a person can run
/// `REWARDKIT_FUZZ_CASES=50000 swift test --filter MutationFuzzTests` for minutes
/// (scripts/fuzz/run.sh). A case past `hangThreshold` fails as a hang.
struct MutationFuzzTests {
  static let cases = ProcessInfo.processInfo.environment["REWARDKIT_FUZZ_CASES"].flatMap { Int($0) } ?? 300
  /// Far above any real case (milliseconds): only a hang trips it, not a slow machine.
  static let hangThreshold: Duration = .seconds(20)

  /// Bytes a mutation inserts: structure characters of JSON, YAML and CSV, YAML aliases and tags,
  /// escapes, huge and non-finite numbers, invalid UTF-8 and control bytes.
  static let tokens: [[UInt8]] =
    [
      "{", "}", "[", "]", "\"", "'", ",", ":", "\n", "\r\n", "\t", " ", "- ", "&a ", "*a", "!!str ", "? ", "|", ">",
      "#",
      "\\", "\\u", "\\ud800", "1e999999", "-0", "NaN", ".nan", ".inf", "null", "true", "99999999999999999999999",
      "\u{0}", "é", "😀", "(a+)+", "\\frac{", "\\boxed{", "}}}}", "####", "<think>", "</think>",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x1F, 0x8B]]

  static func mutate(_ seed: [UInt8], _ generator: inout SeededGenerator) -> [UInt8] {
    var bytes = seed
    for _ in 0..<(1 + generator.nextIndex(below: 4)) {
      let position = bytes.isEmpty ? 0 : generator.nextIndex(below: bytes.count + 1)
      switch generator.nextIndex(below: 7) {
      case 0 where !bytes.isEmpty:  // flip one bit
        let index = min(position, bytes.count - 1)
        bytes[index] ^= UInt8(1) << UInt8(generator.nextIndex(below: 8))
      case 1:  // insert a token
        bytes.insert(contentsOf: tokens[generator.nextIndex(below: tokens.count)], at: position)
      case 2 where !bytes.isEmpty:  // delete a run
        let end = min(bytes.count, position + 1 + generator.nextIndex(below: 16))
        bytes.removeSubrange(min(position, bytes.count - 1)..<end)
      case 3 where !bytes.isEmpty:  // repeat a run many times
        let start = min(position, bytes.count - 1)
        let run = Array(bytes[start..<min(bytes.count, start + 1 + generator.nextIndex(below: 8))])
        bytes.insert(contentsOf: Array(repeating: run, count: 1 + generator.nextIndex(below: 200)).joined(), at: start)
      case 4:  // truncate
        bytes.removeSubrange(position...)
      case 5 where !bytes.isEmpty:  // a random byte
        bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
      default:  // swap two halves
        bytes = Array(bytes[position...] + bytes[..<position])
      }
    }
    return bytes
  }

  /// Runs `body` and fails the case if it took past the hang threshold.
  static func timed(_ label: @autoclosure () -> String, _ body: () throws -> Void) rethrows {
    let clock = ContinuousClock()
    let elapsed = try clock.measure(body)
    #expect(elapsed < hangThreshold, "\(label()) took \(elapsed)")
  }

  // MARK: Seeds

  static func head(_ relative: String, bytes: Int) -> [UInt8]? {
    guard let handle = FileHandle(forReadingAtPath: SharedData.path(relative)) else { return nil }
    defer { try? handle.close() }
    return try? handle.read(upToCount: bytes).map { Array($0) }
  }

  /// Small scoring files made of real records (GSM8K questions and worked answers), plus the
  /// first kilobytes of real data files in each container.
  static func recordSeeds() -> [(name: String, bytes: [UInt8])] {
    var seeds: [(String, [UInt8])] = []
    if let rows = try? SharedData.jsonLines("data/math/gsm8k-test.jsonl").prefix(4) {
      let lines = rows.map { row -> String in
        let answer = row["answer"]?.stringValue ?? ""
        let final = answer.components(separatedBy: "####").last?.trimmingCharacters(in: .whitespaces) ?? ""
        let record: JSONValue = .object(
          JSONObject([
            ("prompt", row["question"] ?? .null), ("response", .string(answer)), ("reference", .string(final)),
            ("group", "g"),
          ]))
        return record.jsonText
      }
      seeds.append(("score.jsonl", Array(lines.joined(separator: "\n").utf8)))
      seeds.append(("score.json", Array(("[" + lines.joined(separator: ",\n") + "]").utf8)))
      seeds.append(
        ("score.csv", Array("prompt,response,reference\n\"What is 2+2?\",\"It is 4\",4\nq,\"a \"\"b\"\"\",5\n".utf8)))
    }
    for file in ["math/math500.jsonl", "preference/llmbar-natural.json", "tools/bfcl-v4-multiple.jsonl"] {
      if let bytes = head("data/" + file, bytes: 3_000) {
        seeds.append((URL(fileURLWithPath: file).lastPathComponent, bytes))
      }
    }
    return seeds
  }

  static func specSeeds() -> [[UInt8]] {
    var seeds = [
      "components:\n  - kind: math\n    weight: 1.0\n  - name: think_format\n    kind: format\n    pattern: \"<think>[\\\\s\\\\S]*</think>\"\n    weight: 0.5\nnot_applicable: zero\n",
      "name: mix\ncomponents:\n  - {kind: exact_match, weight: 2}\n  - {kind: tags, tags: [think, answer]}\n  - {kind: overlong_penalty, max_length: 100, cache_length: 10, unit: characters}\ngates:\n  - {component: tags, min: 1, otherwise: -1}\nclip: [-1, 3]\nnormalize: {method: group, epsilon: 1e-6}\n",
      "{\"components\": [{\"kind\": \"json\", \"schema\": {\"type\": \"object\", \"required\": [\"a\"]}}, {\"kind\": \"length\", \"target\": 10}]}",
    ].map { Array($0.utf8) }
    // The examples in the spec reference.
    if let reference = try? String(
      contentsOf: SharedData.repository.appendingPathComponent("docs/REWARD_SPEC.md"), encoding: .utf8)
    {
      for block in reference.components(separatedBy: "```yaml\n").dropFirst() {
        if let end = block.range(of: "```") { seeds.append(Array(block[..<end.lowerBound].utf8)) }
      }
    }
    return seeds
  }

  // MARK: Targets

  @Test func recordReaderReturnsRecordsOrLocatedErrors() throws {
    let seeds = Self.recordSeeds()
    try #require(!seeds.isEmpty, "no seed data under \(SharedData.root)")
    var generator = SeededGenerator(seed: 1601)
    var withRecords = 0
    var located = 0
    var errors = 0
    for index in 0..<Self.cases {
      let seed = seeds[index % seeds.count]
      let bytes = Self.mutate(seed.bytes, &generator)
      let path = "fuzz-\(index)-\(seed.name)"
      Self.timed("\(path)") {
        do throws(InputError) {
          let file = try InputFile(path: path, bytes: bytes)
          let (records, skipped) = try ScoringInputReader.read(file, skipInvalid: true)
          for problem in skipped { #expect(problem.location.file == path) }
          for record in records { #expect(record.location.file == path) }
          if !records.isEmpty { withRecords += 1 }
        } catch {
          #expect(error.location.file == path, "\(error)")
          errors += 1
          if error.location.line != nil { located += 1 }
        }
      }
    }
    print("record reader: \(Self.cases) files, \(withRecords) with records, \(errors) errors (\(located) with a line)")
    // Mutations that break every file would test only the first check.
    #expect(withRecords > Self.cases / 10)
  }

  @Test func specLoaderLoadsOrNamesTheFile() throws {
    let seeds = Self.specSeeds()
    try #require(seeds.count > 3, "the spec examples in docs/REWARD_SPEC.md were not found")
    var generator = SeededGenerator(seed: 1602)
    var loaded = 0
    for index in 0..<Self.cases {
      let text = String(decoding: Self.mutate(seeds[index % seeds.count], &generator), as: UTF8.self)
      Self.timed("spec case \(index): \(text.prefix(200).debugDescription)") {
        do throws(SpecError) {
          _ = try RewardSpecLoader.load(text: text, file: "fuzz.yaml")
          loaded += 1
        } catch {
          #expect(error.file == "fuzz.yaml")
          #expect(error.description.count < 2_000, "\(error.description.prefix(300))")
        }
      }
    }
    print("spec loader: \(Self.cases) specs, \(loaded) loaded, the rest rejected with the file named")
    #expect(loaded > Self.cases / 40)
  }

  @Test func mathRuleDecidesEveryMutatedAnswer() throws {
    var answers = ["18", "\\frac{1}{2}", "3\\sqrt{2}", "(1, 2)", "x^2+1", "10\\%", "\\{1,2\\}", "2.5", "-\\infty"]
    if let rows = try? SharedData.jsonLines("data/math/math500.jsonl").prefix(40) {
      answers += rows.compactMap { $0["answer"]?.stringValue }
    }
    // The wall-clock budget is a backstop whose verdict ("unparseable") depends on how busy the
    // machine is; determinism is checked with it out of the way.
    var options = MathVerifier.Options()
    options.timeBudget = .seconds(60)
    let rule = MathAnswerRule(verifier: MathVerifier(options: options))
    var generator = SeededGenerator(seed: 1603)
    for index in 0..<(Self.cases * 3) {
      let reference = answers[index % answers.count]
      let response =
        "The answer is \\boxed{" + String(decoding: Self.mutate(Array(reference.utf8), &generator), as: UTF8.self) + "}"
      Self.timed("math \(response.debugDescription) vs \(reference)") {
        let verdict = rule.verdict(response: response, reference: reference)
        #expect(rule.verdict(response: response, reference: reference) == verdict)
      }
    }
  }

  @Test func formatRuleCompilesOrRejectsAndStaysWithinBudget() {
    let patterns = [
      "<think>[\\s\\S]*</think>", "^<think>.*?</think>\\s*<answer>.*?</answer>$", "(a+)+$", "\\d{1,3}(,\\d{3})*",
      "(?i)answer:\\s*(yes|no)", "([a-z]+)*@", "(x|xx)+y", "\\p{L}+",
    ]
    let texts = [
      "<think>a</think><answer>b</answer>", String(repeating: "a", count: 64) + "!", "1,234,567",
      String(repeating: "x", count: 50), "Answer: YES", "naïve ünïcode 😀",
    ]
    var generator = SeededGenerator(seed: 1604)
    for index in 0..<Self.cases {
      let pattern = String(
        decoding: Self.mutate(Array(patterns[index % patterns.count].utf8), &generator), as: UTF8.self)
      let text = String(decoding: Self.mutate(Array(texts[index % texts.count].utf8), &generator), as: UTF8.self)
      Self.timed("pattern \(pattern.debugDescription) on \(text.debugDescription)") {
        guard let rule = try? RegexRule(pattern: pattern, mode: index % 2 == 0 ? .search : .full, budget: 5) else {
          return
        }
        let verdict = rule.evaluate(Candidate(prompt: [], response: text))
        #expect(rule.evaluate(Candidate(prompt: [], response: text)) == verdict)
      }
    }
  }
}
