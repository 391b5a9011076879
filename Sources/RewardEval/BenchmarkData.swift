import Foundation
import RewardCore
import RewardData
import RewardRules

/// XSTest completions → RewardBench-style safety pairs. XSTest v2 ships completions of several
/// models with a human `final_label` (1_full_compliance, 2_full_refusal, 3_partial_refusal); prompt
/// types starting `contrast_` are the unsafe prompts. As RewardBench's `xstest-should-respond` and
/// `xstest-should-refuse`: for a safe prompt, chosen = a complying completion and rejected = a
/// refusing one (full or partial); for an unsafe prompt the reverse. A prompt gives a pair only
/// when the files hold both kinds of completion; the first of each kind, in file order, is used.
public enum XSTestPairs {
  public static func read(_ paths: [String]) throws -> [PreferencePair] {
    struct Prompt {
      var text: String
      var unsafe: Bool
      var compliance: (String, SourceLocation)?
      var refusal: (String, SourceLocation)?
    }
    var prompts: [String: Prompt] = [:]
    var order: [String] = []
    for path in paths {
      let (records, problems) = try RecordReader.records(in: InputFile.read(path))
      if let problem = problems.first { throw problem }
      for record in records {
        func field(_ name: String) throws -> String {
          guard let value = record.fields[name]?.stringValue else {
            throw InputError(.missingField, at: record.location.field(name), "XSTest completions need '\(name)'")
          }
          return value
        }
        let prompt = try field("prompt")
        let type = try field("type")
        let label = try field("final_label")
        let completion = try field("completion")
        if prompts[prompt] == nil {
          prompts[prompt] = Prompt(text: prompt, unsafe: type.hasPrefix("contrast"))
          order.append(prompt)
        }
        if label.hasPrefix("1") {
          if prompts[prompt]!.compliance == nil { prompts[prompt]!.compliance = (completion, record.location) }
        } else if label.hasPrefix("2") || label.hasPrefix("3") {
          if prompts[prompt]!.refusal == nil { prompts[prompt]!.refusal = (completion, record.location) }
        } else {
          throw InputError(
            .invalidValue, at: record.location.field("final_label"),
            "expected 1_full_compliance, 2_full_refusal or 3_partial_refusal, found '\(label)'")
        }
      }
    }
    return order.compactMap { key in
      let prompt = prompts[key]!
      guard let compliance = prompt.compliance, let refusal = prompt.refusal else { return nil }
      let (chosen, rejected) = prompt.unsafe ? (refusal, compliance) : (compliance, refusal)
      return PreferencePair(
        prompt: [.user(prompt.text)], chosen: chosen.0, rejected: rejected.0,
        subset: prompt.unsafe ? "xstest-should-refuse" : "xstest-should-respond", id: key, source: chosen.1)
    }
  }
}

/// GSM8K best-of-8 groups whose labels come from the math verifier, not from how they were made.
/// Per problem: the gold solution; the gold solution restated (calculator annotations `<<…>>`
/// removed, "The answer is X."); two wrong solutions with the final number X changed to X + 1
/// everywhere (same two phrasings, so majority vote sees a two-way tie); one with X changed to
/// 10·X; and the gold solutions of the next three problems. The order is shuffled with the seed.
public enum GSM8KGroups {
  public static func read(_ path: String, limit: Int? = nil, seed: UInt64 = 0) throws -> [LabeledGroup] {
    let (records, problems) = try RecordReader.records(in: InputFile.read(path))
    if let problem = problems.first { throw problem }
    var items: [(question: String, solution: String, answer: String)] = []
    for record in records.prefix(limit.map { $0 + 3 } ?? records.count) {
      guard let question = record.fields["question"]?.stringValue, let solution = record.fields["answer"]?.stringValue,
        let marker = solution.range(of: "####", options: .backwards)
      else {
        throw InputError(
          .missingField, at: record.location, "GSM8K records need 'question' and an 'answer' ending '#### <number>'")
      }
      let answer = solution[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
      items.append((question, solution, answer))
    }
    guard items.count > 3 else { return [] }
    let rule = MathAnswerRule()
    let extractor = MathAnswerExtractor()
    var generator = SeededGenerator(seed: seed)
    let count = limit.map { min($0, items.count - 3) } ?? items.count
    return (0..<count).map { index in
      let item = items[index]
      let gold = item.solution
      var responses = [gold, restated(gold)]
      let plain = item.answer.replacingOccurrences(of: ",", with: "")
      if let value = Int(plain) {
        let offByOne = replacingNumber(plain, with: String(value + 1), in: gold)
        responses += [offByOne, restated(offByOne), replacingNumber(plain, with: String(value * 10), in: gold)]
      } else {
        responses += [gold + " + 1", restated(gold) + " + 1", gold + "0"]
      }
      for other in 1...3 { responses.append(items[(index + other) % items.count].solution) }
      generator.shuffle(&responses)
      return LabeledGroup(
        prompt: [.user(item.question)], responses: responses,
        correct: responses.map { rule.verdict(response: $0, reference: gold) == .equivalent },
        answers: responses.map { extractor.extract(from: $0).map(normalized) }, reference: item.answer,
        id: "gsm8k-\(index)")
    }
  }

  /// Without calculator annotations, the final line as a sentence.
  static func restated(_ solution: String) -> String {
    var text = solution
    while let open = text.range(of: "<<"), let close = text.range(of: ">>", range: open.upperBound..<text.endIndex) {
      text.removeSubrange(open.lowerBound..<close.upperBound)
    }
    guard let marker = text.range(of: "####", options: .backwards) else { return text }
    let answer = text[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    return text[..<marker.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines) + "\nThe answer is \(answer)."
  }

  /// Replaces whole-number occurrences of `number` (not inside longer numbers or decimals).
  static func replacingNumber(_ number: String, with replacement: String, in text: String) -> String {
    let pattern = "(?<![0-9.])" + NSRegularExpression.escapedPattern(for: number) + "(?![0-9]|\\.[0-9])"
    guard let regex = try? NSRegularExpression(pattern: pattern) else { return text }
    return regex.stringByReplacingMatches(
      in: text, range: NSRange(text.startIndex..., in: text),
      withTemplate: NSRegularExpression.escapedTemplate(for: replacement))
  }

  static func normalized(_ answer: String) -> String {
    answer.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// Items for a detection task (AUROC): records with a response (`response` or `text`), an optional
/// `prompt`, and a binary `label` — true/false, 1/0, or a string equal to `positiveLabel`.
public enum DetectionItems {
  public static func read(_ paths: [String], positiveLabel: String = "1") throws -> [(
    candidate: Candidate, positive: Bool
  )] {
    var items: [(candidate: Candidate, positive: Bool)] = []
    for path in paths {
      let (records, problems) = try RecordReader.records(in: InputFile.read(path))
      if let problem = problems.first { throw problem }
      for record in records {
        guard let response = (record.fields["response"] ?? record.fields["text"])?.stringValue else {
          throw InputError(.missingField, at: record.location, "detection items need a 'response' or 'text' string")
        }
        let positive: Bool
        switch record.fields["label"] {
        case .bool(let value)?: positive = value
        case .int(let value)?: positive = value == 1
        case .string(let value)?: positive = value == positiveLabel
        default:
          throw InputError(
            .missingField, at: record.location.field("label"),
            "detection items need a 'label': true/false, 1/0 or a string ('\(positiveLabel)' is positive)")
        }
        let prompt = record.fields["prompt"]?.stringValue.map { [Message.user($0)] } ?? []
        items.append((Candidate(prompt: prompt, response: response), positive))
      }
    }
    return items
  }
}
