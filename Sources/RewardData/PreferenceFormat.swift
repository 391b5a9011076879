import RewardCore

/// The preference-data formats RewardKit reads; detected from a file's first record unless given.
public enum PreferenceFormat: String, Sendable, CaseIterable {
  /// TRL preference data: `chosen`/`rejected` strings or message lists, with an optional explicit
  /// `prompt` (implicit prompts are the common start of chosen and rejected), optional `margin`.
  case trl
  /// Anthropic HH-RLHF: `chosen`/`rejected` transcripts of `\n\nHuman: …\n\nAssistant: …` turns.
  case hhRLHF = "hh-rlhf"
  /// LLMBar: `input`, `output_1`, `output_2`, `label` (1 or 2 names the better output).
  case llmbar
  /// PandaLM: `instruction` (+ `input`), `response1`, `response2`, and `annotator1..3` or `label`
  /// (0 tie, 1 first, 2 second); several annotators become a soft label.
  case pandalm
  /// Auto-J pairwise: `prompt`, `response 1`, `response 2`, `label` (0 first, 1 second, 2 tie).
  case autoj = "auto-j"
  /// AlpacaEval annotations: `instruction`, `output_1`, `output_2`, `preference` ∈ [1, 2]
  /// (1 = output_1 preferred; fractional values are soft labels).
  case alpacaEval = "alpacaeval"
  /// RewardBench v1: `prompt`, `chosen`, `rejected` strings with `subset` and `id`.
  case rewardBench = "rewardbench"
  /// RewardBench 2: `prompt`, `chosen` and `rejected` as lists of strings, `subset`, `id`.
  case rewardBench2 = "rewardbench2"

  /// Guesses the format from one record's fields; nil when nothing fits.
  public static func detect(_ fields: JSONObject) -> PreferenceFormat? {
    let keys = Set(fields.keys)
    if keys.contains("chosen") && keys.contains("rejected") {
      if case .array(let items) = fields["chosen"], items.allSatisfy({ $0.stringValue != nil }), !items.isEmpty {
        return .rewardBench2
      }
      if keys.contains("subset") && fields["prompt"]?.stringValue != nil { return .rewardBench }
      if !keys.contains("prompt"), let chosen = fields["chosen"]?.stringValue, HHTranscript.looksLikeTranscript(chosen)
      {
        return .hhRLHF
      }
      return .trl
    }
    if keys.contains("output_1") && keys.contains("output_2") {
      if keys.contains("preference") { return .alpacaEval }
      if keys.contains("label") { return .llmbar }
    }
    if keys.contains("response1") && keys.contains("response2") { return .pandalm }
    if keys.contains("response 1") && keys.contains("response 2") { return .autoj }
    return nil
  }

  /// One line per format, for `--help` and unknown-format errors.
  public static var summary: String {
    allCases.map(\.rawValue).joined(separator: ", ")
  }
}

/// Field names to read instead of a format's defaults (`--prompt-field`, `--chosen-field`, …).
public struct FieldMapping: Sendable, Equatable {
  public var prompt: String?
  public var chosen: String?
  public var rejected: String?
  /// For pairwise-judgement formats: the two outputs and the label.
  public var first: String?
  public var second: String?
  public var label: String?
  public var margin: String?
  public var subset: String?
  public var id: String?
  /// Field naming who labelled the pair (TRL format; default `annotator`).
  public var annotator: String?

  public init(
    prompt: String? = nil, chosen: String? = nil, rejected: String? = nil, first: String? = nil, second: String? = nil,
    label: String? = nil, margin: String? = nil, subset: String? = nil, id: String? = nil, annotator: String? = nil
  ) {
    self.annotator = annotator
    self.prompt = prompt
    self.chosen = chosen
    self.rejected = rejected
    self.first = first
    self.second = second
    self.label = label
    self.margin = margin
    self.subset = subset
    self.id = id
  }

  public var isEmpty: Bool { self == FieldMapping() }
}

/// How strictly records are read.
public struct ReadOptions: Sendable {
  /// Force a format instead of detecting it.
  public var format: PreferenceFormat?
  public var fields: FieldMapping
  /// Skip (and report) invalid records instead of failing on the first.
  public var skipInvalid: Bool
  /// Accept responses that are empty or whitespace (e.g. a model that produced nothing).
  public var allowEmptyResponses: Bool

  public init(
    format: PreferenceFormat? = nil, fields: FieldMapping = FieldMapping(), skipInvalid: Bool = false,
    allowEmptyResponses: Bool = false
  ) {
    self.format = format
    self.fields = fields
    self.skipInvalid = skipInvalid
    self.allowEmptyResponses = allowEmptyResponses
  }
}
