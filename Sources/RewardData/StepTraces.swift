import Foundation
import RewardCore

/// A step-labelled solution: a problem, its solution split into steps, and what is known about
/// each step. `labels[k]` is the probability that step k is correct (1 right, 0 wrong, in
/// between for soft labels) or nil when unlabelled (after the first error in ProcessBench).
public struct StepTrace: Sendable, Equatable {
  public var id: String?
  public var problem: String
  public var steps: [String]
  public var labels: [Double?]
  /// ProcessBench's label: index of the earliest wrong step, −1 when every step is right; nil when
  /// the data does not say (a trace whose labels are all nil).
  public var firstError: Int?
  /// Where the record is, for error messages and reports.
  public var location: SourceLocation

  public init(
    id: String?, problem: String, steps: [String], labels: [Double?], firstError: Int?, location: SourceLocation
  ) {
    self.id = id
    self.problem = problem
    self.steps = steps
    self.labels = labels
    self.firstError = firstError
    self.location = location
  }

  /// Per-step labels from a first-error index: steps before it right, it wrong, later ones
  /// unlabelled (a step after an error is neither clearly right nor wrong).
  public static func labels(firstError: Int, stepCount: Int) -> [Double?] {
    (0..<stepCount).map { k in firstError < 0 || k < firstError ? 1 : (k == firstError ? 0 : nil) }
  }

  /// The earliest step labelled wrong (label < 0.5), −1 when every labelled step is right.
  public static func firstError(of labels: [Double?]) -> Int? {
    guard labels.contains(where: { $0 != nil }) else { return nil }
    return labels.firstIndex(where: { ($0 ?? 1) < 0.5 }) ?? -1
  }

  /// The solution laid out as one text (steps joined by a blank line) with each step's offsets.
  public var joined: (text: String, steps: [TextStep]) { StepSplitter.join(steps) }
}

/// The published shapes of step-labelled data.
public enum StepDataFormat: String, Sendable, CaseIterable {
  /// `problem`, `steps` (list), `label` = earliest wrong step or −1 (ProcessBench).
  case processBench = "processbench"
  /// `input` with each step ending in `ки`, `label` the same text with `+`/`-` at each tag.
  case mathShepherd = "math-shepherd"
  /// `question.problem`, `label.steps[].completions[].rating` ∈ {−1, 0, 1} (PRM800K).
  case prm800k = "prm800k"
  /// `prompt`, `completions` (list of steps), `labels` (list of booleans) (TRL's stepwise format).
  case trl = "trl"

  /// Guesses the format from a record's keys.
  static func detect(_ record: JSONObject) -> StepDataFormat? {
    if record["completions"] != nil, record["labels"] != nil { return .trl }
    if record["steps"] != nil, record["problem"] != nil { return .processBench }
    if record["input"] != nil, record["label"] != nil { return .mathShepherd }
    if record["label"]?.objectValue?["steps"] != nil { return .prm800k }
    return nil
  }
}

/// Reads step-labelled files: a JSON array or JSON Lines, in any `StepDataFormat`.
public struct StepTraceReader: Sendable {
  /// The label given to PRM800K's neutral rating 0. The default, 1, counts a neutral step as
  /// not wrong (it is valid though unhelpful), which is how ProcessBench-style first-error
  /// labels read it; 0.5 makes it a soft label and nil leaves it unlabelled.
  public var prm800kNeutral: Double?
  /// Math-Shepherd's step tag.
  public var mathShepherdTag: String

  public init(prm800kNeutral: Double? = 1, mathShepherdTag: String = "ки") {
    self.prm800kNeutral = prm800kNeutral
    self.mathShepherdTag = mathShepherdTag
  }

  /// Reads every record of `path`; `format` nil detects it from the first record.
  public func read(_ path: String, format: StepDataFormat? = nil) throws(InputError) -> [StepTrace] {
    let file = try InputFile.read(path)
    return try read(file, format: format)
  }

  public func read(_ file: InputFile, format: StepDataFormat? = nil) throws(InputError) -> [StepTrace] {
    let records = try Self.records(of: file)
    guard let first = records.first else { return [] }
    let chosen: StepDataFormat
    if let format {
      chosen = format
    } else if let detected = StepDataFormat.detect(first.object) {
      chosen = detected
    } else {
      throw InputError(
        .unknownFormat, at: first.location,
        "cannot tell the step format from keys \(first.object.keys); expected ProcessBench (problem, steps, label), "
          + "Math-Shepherd (input, label), PRM800K (question, label.steps) or TRL (prompt, completions, labels)")
    }
    var traces: [StepTrace] = []
    traces.reserveCapacity(records.count)
    for record in records {
      traces.append(try trace(record.object, at: record.location, format: chosen))
    }
    return traces
  }

  /// One record in a given format.
  public func trace(_ record: JSONObject, at location: SourceLocation, format: StepDataFormat) throws(InputError)
    -> StepTrace
  {
    switch format {
    case .processBench: return try Self.processBench(record, at: location)
    case .mathShepherd: return try mathShepherd(record, at: location)
    case .prm800k: return try prm800k(record, at: location)
    case .trl: return try Self.trl(record, at: location)
    }
  }

  // MARK: Formats

  static func processBench(_ record: JSONObject, at location: SourceLocation) throws(InputError) -> StepTrace {
    let problem = try Self.string(record, "problem", at: location)
    let steps = try Self.strings(record, "steps", at: location)
    guard case .int(let raw) = record["label"] ?? .null else {
      throw InputError(
        record["label"] == nil ? .missingField : .wrongType, at: location.field("label"),
        "expected an integer step index or -1, found \(record["label"]?.typeName ?? "nothing")")
    }
    let label = Int(raw)
    guard label >= -1, label < steps.count else {
      throw InputError(
        .invalidValue, at: location.field("label"),
        "expected -1 or a step index in 0..<\(steps.count), found \(label)")
    }
    return StepTrace(
      id: Self.identifier(record), problem: problem, steps: steps,
      labels: StepTrace.labels(firstError: label, stepCount: steps.count), firstError: label, location: location)
  }

  func mathShepherd(_ record: JSONObject, at location: SourceLocation) throws(InputError) -> StepTrace {
    let input = try Self.string(record, "input", at: location)
    let labelText = try Self.string(record, "label", at: location)
    let tag = mathShepherdTag
    let segments = input.components(separatedBy: tag)
    guard segments.count > 1 else {
      throw InputError(.invalidValue, at: location.field("input"), "expected steps ending with '\(tag)', found none")
    }
    // The label text is the input with each tag replaced by one character, '+' or '-'.
    var labels: [Double?] = []
    var cursor = labelText.startIndex
    for (k, segment) in segments.dropLast().enumerated() {
      guard labelText[cursor...].hasPrefix(segment) else {
        throw InputError(
          .invalidValue, at: location.field("label"),
          "expected the input's text with '+' or '-' in place of tag \(k + 1) of \(segments.count - 1); the texts differ before it"
        )
      }
      cursor = labelText.index(cursor, offsetBy: segment.count)
      guard cursor < labelText.endIndex, labelText[cursor] == "+" || labelText[cursor] == "-" else {
        let found = cursor < labelText.endIndex ? "'\(labelText[cursor])'" : "the end of the text"
        throw InputError(
          .invalidValue, at: location.field("label"), "expected '+' or '-' for step \(k + 1), found \(found)")
      }
      labels.append(labelText[cursor] == "+" ? 1 : 0)
      cursor = labelText.index(after: cursor)
    }
    // The question precedes "Step 1:"; without markers, the first tagged segment holds both.
    var problem = ""
    var stepTexts = segments.dropLast().map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    let firstSegment = segments[0]
    if let marker = firstSegment.range(of: "Step 1:") {
      problem = String(firstSegment[..<marker.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
      stepTexts[0] = String(firstSegment[marker.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return StepTrace(
      id: Self.identifier(record), problem: problem, steps: stepTexts, labels: labels,
      firstError: StepTrace.firstError(of: labels), location: location)
  }

  func prm800k(_ record: JSONObject, at location: SourceLocation) throws(InputError) -> StepTrace {
    guard let question = record["question"]?.objectValue else {
      throw InputError(
        record["question"] == nil ? .missingField : .wrongType, at: location.field("question"),
        "expected an object with 'problem'")
    }
    let problem = try Self.string(question, "problem", at: location, prefix: "question.")
    guard let label = record["label"]?.objectValue, let steps = label["steps"]?.arrayValue else {
      throw InputError(.missingField, at: location.field("label.steps"), "expected a list of steps")
    }
    var texts: [String] = []
    var labels: [Double?] = []
    for (k, stepValue) in steps.enumerated() {
      let field = "label.steps[\(k)]"
      guard let step = stepValue.objectValue, let completions = step["completions"]?.arrayValue,
        !completions.isEmpty || step["human_completion"].map({ !$0.isNull }) == true
      else {
        throw InputError(.invalidValue, at: location.field(field), "expected an object with a 'completions' list")
      }
      // The trajectory follows the chosen completion; a human-written replacement wins; a step
      // with neither ends the trajectory at its first completion (the rejected one, if rated −1).
      var chosen: JSONObject
      if let human = step["human_completion"]?.objectValue {
        chosen = human
        // A labeller wrote it to replace a wrong step: right by construction, though unrated.
        if chosen["rating"]?.isNull ?? true { chosen["rating"] = .int(1) }
      } else if case .int(let c) = step["chosen_completion"] ?? .null {
        guard c >= 0, Int(c) < completions.count, let object = completions[Int(c)].objectValue else {
          throw InputError(
            .invalidValue, at: location.field(field + ".chosen_completion"),
            "expected an index in 0..<\(completions.count), found \(c)")
        }
        chosen = object
      } else {
        let rejected = completions.first { $0.objectValue?["rating"] == .int(-1) } ?? completions[0]
        guard let object = rejected.objectValue else {
          throw InputError(.wrongType, at: location.field(field + ".completions"), "expected objects")
        }
        chosen = object
      }
      let text = try Self.string(chosen, "text", at: location, prefix: field + ".")
      texts.append(text)
      switch chosen["rating"] ?? .null {
      case .null: labels.append(nil)
      case .int(1): labels.append(1)
      case .int(-1): labels.append(0)
      case .int(0): labels.append(prm800kNeutral)
      default:
        throw InputError(
          .invalidValue, at: location.field(field + ".rating"),
          "expected a rating of -1, 0, 1 or null, found \(chosen["rating"]!)")
      }
      if step["chosen_completion"]?.isNull ?? true, step["human_completion"]?.isNull ?? true { break }
    }
    guard !texts.isEmpty else {
      throw InputError(.invalidValue, at: location.field("label.steps"), "expected at least one step")
    }
    return StepTrace(
      id: Self.identifier(record), problem: problem, steps: texts, labels: labels,
      firstError: StepTrace.firstError(of: labels), location: location)
  }

  static func trl(_ record: JSONObject, at location: SourceLocation) throws(InputError) -> StepTrace {
    let prompt = try Self.string(record, "prompt", at: location)
    let completions = try Self.strings(record, "completions", at: location)
    guard let raw = record["labels"]?.arrayValue else {
      throw InputError(
        record["labels"] == nil ? .missingField : .wrongType, at: location.field("labels"),
        "expected a list of booleans, one per completion step")
    }
    guard raw.count == completions.count else {
      throw InputError(
        .invalidValue, at: location.field("labels"),
        "expected \(completions.count) labels (one per completion step), found \(raw.count)")
    }
    var labels: [Double?] = []
    for (k, value) in raw.enumerated() {
      switch value {
      case .bool(let b): labels.append(b ? 1 : 0)
      case .int(let i) where i == 0 || i == 1: labels.append(Double(i))
      case .double(let d) where d >= 0 && d <= 1: labels.append(d)
      case .null: labels.append(nil)
      default:
        throw InputError(
          .invalidValue, at: location.field("labels[\(k)]"),
          "expected true/false (or a probability in [0, 1]), found \(value.typeName)")
      }
    }
    return StepTrace(
      id: identifier(record), problem: prompt, steps: completions, labels: labels,
      firstError: StepTrace.firstError(of: labels), location: location)
  }

  // MARK: Fields

  private static func identifier(_ record: JSONObject) -> String? {
    switch record["id"] ?? .null {
    case .string(let s): s
    case .int(let i): String(i)
    default: nil
    }
  }

  private static func string(_ record: JSONObject, _ key: String, at location: SourceLocation, prefix: String = "")
    throws(InputError) -> String
  {
    guard let value = record[key] else {
      throw InputError(.missingField, at: location.field(prefix + key), "expected a string")
    }
    guard let text = value.stringValue else {
      throw InputError(.wrongType, at: location.field(prefix + key), "expected a string, found \(value.typeName)")
    }
    return text
  }

  private static func strings(_ record: JSONObject, _ key: String, at location: SourceLocation) throws(InputError)
    -> [String]
  {
    guard let value = record[key] else {
      throw InputError(.missingField, at: location.field(key), "expected a list of step strings")
    }
    guard let items = value.arrayValue else {
      throw InputError(.wrongType, at: location.field(key), "expected a list of strings, found \(value.typeName)")
    }
    guard !items.isEmpty else { throw InputError(.invalidValue, at: location.field(key), "expected at least one step") }
    var texts: [String] = []
    for (k, item) in items.enumerated() {
      guard let text = item.stringValue else {
        throw InputError(.wrongType, at: location.field("\(key)[\(k)]"), "expected a string, found \(item.typeName)")
      }
      texts.append(text)
    }
    return texts
  }

  /// The file's records with their locations: a JSON array (each element's line) or JSON Lines.
  static func records(of file: InputFile) throws(InputError) -> [(object: JSONObject, location: SourceLocation)] {
    let firstByte = file.bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
    var values: [(line: Int, value: JSONValue)] = []
    if firstByte == UInt8(ascii: "[") {
      var parser = JSONParser(bytes: file.bytes)
      do {
        values = try parser.parseArrayElementsWithLines()
      } catch {
        throw InputError(.malformedJSON, at: SourceLocation(file: file.path, line: error.line), error.message)
      }
    } else {
      var line = 1
      var start = 0
      let bytes = file.bytes
      for end in 0...bytes.count where end == bytes.count || bytes[end] == 0x0A {
        let slice = Array(bytes[start..<end])
        if slice.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) {
          do {
            values.append((line, try JSONParser.parse(bytes: slice, startLine: line)))
          } catch {
            throw InputError(.malformedJSON, at: SourceLocation(file: file.path, line: error.line), error.message)
          }
        }
        line += 1
        start = end + 1
      }
    }
    var records: [(object: JSONObject, location: SourceLocation)] = []
    for (line, value) in values {
      let location = SourceLocation(file: file.path, line: line)
      guard let object = value.objectValue else {
        throw InputError(.wrongType, at: location, "expected a JSON object per record, found \(value.typeName)")
      }
      records.append((object, location))
    }
    return records
  }
}
