import RewardCore

/// Reads preference files in any supported format into `PreferencePair`s and `ResponseGroup`s.
public enum PreferenceReader {
  /// Reads several files (each may have its own format) into one dataset.
  public static func read(_ paths: [String], options: ReadOptions = ReadOptions()) throws(InputError)
    -> PreferenceDataset
  {
    var dataset = PreferenceDataset()
    for path in paths {
      dataset.append(try read(InputFile.read(path), options: options))
    }
    return dataset
  }

  public static func read(_ file: InputFile, options: ReadOptions = ReadOptions()) throws(InputError)
    -> PreferenceDataset
  {
    let (records, containerProblems) = try RecordReader.records(in: file)
    var skipped: [InputError] = []
    for problem in containerProblems {
      guard options.skipInvalid else { throw problem }
      skipped.append(problem)
    }
    guard let first = records.first else {
      if let problem = skipped.first { throw problem }  // nothing readable at all
      throw InputError(.invalidValue, at: SourceLocation(file: file.path), "the file has no records")
    }
    let format: PreferenceFormat
    if let given = options.format { format = given } else { format = try detectFormat(first, fields: options.fields) }
    let converter = RecordConverter(format: format, fields: options.fields, allowEmpty: options.allowEmptyResponses)
    var dataset = PreferenceDataset(files: [(file.path, format)])
    dataset.pairs.reserveCapacity(records.count)
    for record in records {
      do throws(InputError) {
        switch try converter.convert(RecordFields(record: record)) {
        case .pair(let pair): dataset.pairs.append(pair)
        case .group(let group): dataset.groups.append(group)
        }
      } catch {
        guard options.skipInvalid else { throw error }
        skipped.append(error)
      }
    }
    // Keep skipped records in file order, whichever stage found them.
    dataset.skipped = skipped.sorted { ($0.location.line ?? 0) < ($1.location.line ?? 0) }
    return dataset
  }

  static func detectFormat(_ record: SourceRecord, fields: FieldMapping) throws(InputError) -> PreferenceFormat {
    if let format = PreferenceFormat.detect(record.fields) { return format }
    // Field options alone imply a family: chosen/rejected is TRL; two outputs and a label is LLMBar-like.
    if fields.chosen != nil || fields.rejected != nil { return .trl }
    if fields.first != nil || fields.second != nil { return .llmbar }
    throw InputError(
      .unknownFormat, at: record.location,
      "cannot tell the preference format from the fields \(record.fields.keys.map { "'\($0)'" }.joined(separator: ", ")); "
        + "expected one of \(PreferenceFormat.summary) (use --format and --prompt-field/--chosen-field/… to map fields)"
    )
  }
}

/// Converts one record of a known format.
struct RecordConverter {
  enum Sample {
    case pair(PreferencePair)
    case group(ResponseGroup)
  }

  let format: PreferenceFormat
  let fields: FieldMapping
  let allowEmpty: Bool

  func convert(_ record: RecordFields) throws(InputError) -> Sample {
    switch format {
    case .trl: return .pair(try trl(record))
    case .hhRLHF: return .pair(try hh(record))
    case .rewardBench: return .pair(try rewardBench(record))
    case .rewardBench2: return .group(try rewardBench2(record))
    case .llmbar, .pandalm, .autoj, .alpacaEval: return .pair(try judgement(record))
    }
  }

  // MARK: - TRL

  private func trl(_ record: RecordFields) throws(InputError) -> PreferencePair {
    let promptKey = fields.prompt ?? "prompt"
    let chosenKey = fields.chosen ?? "chosen"
    let rejectedKey = fields.rejected ?? "rejected"
    let chosenValue = try record.value(chosenKey)
    let rejectedValue = try record.value(rejectedKey)
    var prompt: Conversation
    var chosen: String
    var rejected: String
    if record.has(promptKey) {
      prompt = try conversation(record.value(promptKey), at: record.location.field(promptKey))
      chosen = try response(chosenValue, at: record.location.field(chosenKey))
      rejected = try response(rejectedValue, at: record.location.field(rejectedKey))
    } else {
      (prompt, chosen, rejected) = try implicitPrompt(
        chosenValue, rejectedValue, record: record, keys: (chosenKey, rejectedKey))
    }
    try requireResponse(chosen, record, chosenKey)
    try requireResponse(rejected, record, rejectedKey)
    var probability = 1.0
    if let given = try record.optionalNumber("chosen_probability", acceptingNumericStrings: true) {
      guard (0...1).contains(given) else {
        throw InputError(.invalidValue, at: record.location.field("chosen_probability"), "expected a number in [0, 1]")
      }
      probability = given
    }
    var pair = oriented(
      prompt: prompt, first: chosen, second: rejected, firstProbability: probability, record: record)
    pair.margin = try record.optionalNumber(fields.margin ?? "margin", acceptingNumericStrings: true)
    pair.subset = try record.optionalText(fields.subset ?? "subset")
    pair.id = try record.optionalText(fields.id ?? "id")
    pair.annotator = try record.optionalText(fields.annotator ?? "annotator")
    return pair
  }

  /// TRL's `extract_prompt`: the prompt is the longest common start of chosen and rejected
  /// (messages for conversational data, characters for plain text).
  private func implicitPrompt(
    _ chosenValue: JSONValue, _ rejectedValue: JSONValue, record: RecordFields, keys: (String, String)
  ) throws(InputError) -> (Conversation, String, String) {
    if chosenValue.arrayValue != nil {
      let chosen = try MessageParsing.messages(chosenValue, at: record.location.field(keys.0))
      let rejected = try MessageParsing.messages(rejectedValue, at: record.location.field(keys.1))
      var shared = 0
      while shared < min(chosen.count, rejected.count) && chosen[shared] == rejected[shared] { shared += 1 }
      // The response starts at the first assistant turn after the shared part.
      while shared > 0 && chosen.indices.contains(shared - 1) && chosen[shared - 1].role == .assistant
        && (shared == chosen.count || shared == rejected.count)
      {
        shared -= 1
      }
      return (
        Array(chosen[..<shared]), MessageParsing.responseText(Array(chosen[shared...])),
        MessageParsing.responseText(Array(rejected[shared...]))
      )
    }
    guard let chosen = chosenValue.stringValue else {
      throw InputError(
        .wrongType, at: record.location.field(keys.0),
        "expected a string or a list of messages, found \(chosenValue.typeName)")
    }
    guard let rejected = rejectedValue.stringValue else {
      throw InputError(
        .wrongType, at: record.location.field(keys.1),
        "expected a string or a list of messages, found \(rejectedValue.typeName)")
    }
    var prefix = chosen.commonPrefix(with: rejected)
    if prefix.count == chosen.count || prefix.count == rejected.count {
      // One response is a prefix of the other: keep at least the shorter one whole as its response.
      prefix = ""
    }
    // Unlike TRL (which may cut inside a word: "in the s" + "ky." / "ea."), back off to the last
    // whitespace so the responses start with whole words.
    if let lastSpace = prefix.lastIndex(where: \.isWhitespace) {
      prefix = String(prefix[..<lastSpace])
    } else {
      prefix = ""
    }
    let prompt: Conversation = prefix.isBlank ? [] : [.user(prefix)]
    return (prompt, String(chosen.dropFirst(prefix.count)), String(rejected.dropFirst(prefix.count)))
  }

  // MARK: - HH-RLHF

  private func hh(_ record: RecordFields) throws(InputError) -> PreferencePair {
    let chosenKey = fields.chosen ?? "chosen"
    let rejectedKey = fields.rejected ?? "rejected"
    let chosenTurns = try transcript(record, chosenKey)
    let rejectedTurns = try transcript(record, rejectedKey)
    guard let split = HHTranscript.split(chosen: chosenTurns, rejected: rejectedTurns) else {
      throw InputError(
        .invalidValue, at: record.location.field(chosenKey),
        "chosen and rejected transcripts have no assistant turn at which they can be split")
    }
    try requireResponse(split.chosen, record, chosenKey)
    try requireResponse(split.rejected, record, rejectedKey)
    return PreferencePair(
      prompt: split.prompt, chosen: split.chosen, rejected: split.rejected,
      id: try record.optionalText(fields.id ?? "id"), source: record.location)
  }

  private func transcript(_ record: RecordFields, _ key: String) throws(InputError) -> [Message] {
    let text = try record.string(key)
    guard let turns = HHTranscript.turns(text), turns.contains(where: { $0.role == .assistant }) else {
      throw InputError(
        .invalidValue, at: record.location.field(key),
        "expected a transcript of '\\n\\nHuman: …' and '\\n\\nAssistant: …' turns ending with an assistant turn")
    }
    return turns
  }

  // MARK: - RewardBench

  private func rewardBench(_ record: RecordFields) throws(InputError) -> PreferencePair {
    let chosenKey = fields.chosen ?? "chosen"
    let rejectedKey = fields.rejected ?? "rejected"
    let chosen = try record.string(chosenKey)
    let rejected = try record.string(rejectedKey)
    try requireResponse(chosen, record, chosenKey)
    try requireResponse(rejected, record, rejectedKey)
    return PreferencePair(
      prompt: try userPrompt(record.string(fields.prompt ?? "prompt")), chosen: chosen, rejected: rejected,
      subset: try record.optionalText(fields.subset ?? "subset"), id: try record.optionalText(fields.id ?? "id"),
      source: record.location)
  }

  private func rewardBench2(_ record: RecordFields) throws(InputError) -> ResponseGroup {
    let chosenKey = fields.chosen ?? "chosen"
    let rejectedKey = fields.rejected ?? "rejected"
    let chosen = try record.strings(chosenKey)
    let rejected = try record.strings(rejectedKey)
    for (key, list) in [(chosenKey, chosen), (rejectedKey, rejected)] {
      guard !list.isEmpty else {
        throw InputError(.invalidValue, at: record.location.field(key), "expected at least one response")
      }
      for (index, text) in list.enumerated() { try requireResponse(text, record, "\(key)[\(index)]") }
    }
    return ResponseGroup(
      prompt: try userPrompt(record.string(fields.prompt ?? "prompt")), chosen: chosen, rejected: rejected,
      subset: try record.optionalText(fields.subset ?? "subset"), id: try record.optionalText(fields.id ?? "id"),
      source: record.location)
  }

  // MARK: - Pairwise judgements (two outputs and a label)

  private struct JudgementLayout {
    var prompt: String
    var first: String
    var second: String
    var label: String
    var subset: String?
  }

  private var judgementLayout: JudgementLayout {
    var layout: JudgementLayout
    switch format {
    case .pandalm:
      layout = JudgementLayout(prompt: "instruction", first: "response1", second: "response2", label: "label")
    case .autoj:
      layout = JudgementLayout(
        prompt: "prompt", first: "response 1", second: "response 2", label: "label", subset: "scenario")
    case .alpacaEval:
      layout = JudgementLayout(
        prompt: "instruction", first: "output_1", second: "output_2", label: "preference", subset: "dataset")
    default: layout = JudgementLayout(prompt: "input", first: "output_1", second: "output_2", label: "label")
    }
    if let prompt = fields.prompt { layout.prompt = prompt }
    if let first = fields.first ?? fields.chosen { layout.first = first }
    if let second = fields.second ?? fields.rejected { layout.second = second }
    if let label = fields.label { layout.label = label }
    if let subset = fields.subset { layout.subset = subset }
    return layout
  }

  private func judgement(_ record: RecordFields) throws(InputError) -> PreferencePair {
    let layout = judgementLayout
    var promptText = try record.string(layout.prompt)
    if format == .pandalm, fields.prompt == nil, let input = try record.optionalText("input"), !input.isBlank {
      promptText += "\n\n" + input
    }
    let first = try record.string(layout.first)
    let second = try record.string(layout.second)
    try requireResponse(first, record, layout.first)
    try requireResponse(second, record, layout.second)
    let probability = try firstProbability(record, labelKey: layout.label)
    var pair = oriented(
      prompt: userPrompt(promptText), first: first, second: second, firstProbability: probability, record: record)
    // The format's own subset field, else `subset` (set from the key of an object-of-lists file).
    if let subsetKey = layout.subset { pair.subset = try record.optionalText(subsetKey) }
    if pair.subset == nil { pair.subset = try record.optionalText("subset") }
    pair.id = try record.optionalText(fields.id ?? "id")
    return pair
  }

  /// P(first output ≻ second) from the format's label convention.
  private func firstProbability(_ record: RecordFields, labelKey: String) throws(InputError) -> Double {
    func invalid(_ key: String, _ expected: String) -> InputError {
      InputError(.invalidValue, at: record.location.field(key), "expected \(expected)")
    }
    switch format {
    case .alpacaEval:
      let preference = try record.number(labelKey, acceptingNumericStrings: true)
      guard (1...2).contains(preference) else {
        throw invalid(labelKey, "a preference in [1, 2] (1 = output_1 better)")
      }
      return 2 - preference
    case .autoj:
      switch try record.number(labelKey, acceptingNumericStrings: true) {
      case 0: return 1
      case 1: return 0
      case 2: return 0.5
      default: throw invalid(labelKey, "0 (response 1 better), 1 (response 2 better) or 2 (tie)")
      }
    case .pandalm:
      let annotatorKeys = ["annotator1", "annotator2", "annotator3"].filter(record.has)
      let keys = record.has(labelKey) || annotatorKeys.isEmpty ? [labelKey] : annotatorKeys
      var votes = 0.0
      for key in keys {
        switch try record.number(key, acceptingNumericStrings: true) {
        case 0: votes += 0.5
        case 1: votes += 1
        case 2: break
        default: throw invalid(key, "0 (tie), 1 (response1 better) or 2 (response2 better)")
        }
      }
      return votes / Double(keys.count)
    default:
      switch try record.number(labelKey, acceptingNumericStrings: true) {
      case 1: return 1
      case 2: return 0
      default: throw invalid(labelKey, "1 (output_1 better) or 2 (output_2 better)")
      }
    }
  }

  // MARK: - Shared

  /// Puts the favoured response first; a tie keeps file order.
  private func oriented(
    prompt: Conversation, first: String, second: String, firstProbability: Double, record: RecordFields
  ) -> PreferencePair {
    let firstWins = firstProbability >= 0.5
    return PreferencePair(
      prompt: prompt, chosen: firstWins ? first : second, rejected: firstWins ? second : first,
      chosenProbability: firstWins ? firstProbability : 1 - firstProbability,
      subset: nil, id: nil, source: record.location)
  }

  private func userPrompt(_ text: String) -> Conversation { text.isEmpty ? [] : [.user(text)] }

  private func conversation(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> Conversation {
    if let text = value.stringValue { return userPrompt(text) }
    if value.arrayValue != nil { return try MessageParsing.messages(value, at: location) }
    throw InputError(.wrongType, at: location, "expected a string or a list of messages, found \(value.typeName)")
  }

  private func response(_ value: JSONValue, at location: SourceLocation) throws(InputError) -> String {
    if let text = value.stringValue { return text }
    if value.arrayValue != nil { return MessageParsing.responseText(try MessageParsing.messages(value, at: location)) }
    throw InputError(.wrongType, at: location, "expected a string or a list of messages, found \(value.typeName)")
  }

  private func requireResponse(_ text: String, _ record: RecordFields, _ key: String) throws(InputError) {
    guard allowEmpty || !text.isBlank else {
      throw InputError(
        .emptyResponse, at: record.location.field(key),
        "the response is empty; expected text (use --allow-empty to keep such records or --skip-invalid to skip them)")
    }
  }
}

extension PreferenceReader {
  /// The prompt of one preference record in any format the reader knows (HH-RLHF transcripts,
  /// TRL with an implicit prompt, LLMBar, RewardBench …), read exactly as `read` would; nil when
  /// the record's fields match no format. Lets tools that only need prompts (sampling) take
  /// preference files as they are.
  public static func prompt(of record: JSONObject, at location: SourceLocation) throws(InputError) -> Conversation? {
    guard let format = PreferenceFormat.detect(record) else { return nil }
    let converter = RecordConverter(format: format, fields: FieldMapping(), allowEmpty: true)
    switch try converter.convert(RecordFields(record: SourceRecord(location: location, fields: record))) {
    case .pair(let pair): return pair.prompt
    case .group(let group): return group.prompt
    }
  }
}
