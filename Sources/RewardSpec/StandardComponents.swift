import RewardCore
import RewardRules

/// Constructors for the rule kinds in `ComponentRegistry.standard`, one per kind. Each reads its
/// parameters (documented in docs/REWARD_SPEC.md) and turns invalid values into `SpecError`s.
enum StandardComponents {
  static func math(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    var options = MathVerifier.Options()
    options.relativeTolerance = try p.double("relative_tolerance", default: options.relativeTolerance)
    options.maximumAnswerLength = try p.int(
      "max_answer_length", default: options.maximumAnswerLength, range: 1...1_000_000)
    let defaultBudget = Int(options.timeBudget / .milliseconds(1))
    options.timeBudget = .milliseconds(try p.int("time_budget_ms", default: defaultBudget, range: 1...60_000))
    let rule = MathAnswerRule(
      extractor: MathAnswerExtractor(fallbackToLastNumber: try p.bool("fallback_to_last_number", default: true)),
      verifier: MathVerifier(options: options), correctValue: try p.double("correct", default: 1),
      incorrectValue: try p.double("incorrect", default: 0))
    return RuleComponent(rule)
  }

  static func multipleChoice(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let letters = try p.string("letters", default: "ABCDEFGHIJ")
    guard !letters.isEmpty, letters.allSatisfy({ $0.isASCII && $0.isLetter }) else {
      throw p.error("letters", "expected ASCII letters such as ABCD")
    }
    return RuleComponent(MultipleChoiceRule(letters: letters))
  }

  static func exactMatch(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    var normalization = ExactMatchRule.Normalization()
    normalization.ignoreCase = try p.bool("ignore_case", default: true)
    normalization.ignorePunctuation = try p.bool("ignore_punctuation", default: true)
    normalization.ignoreArticles = try p.bool("ignore_articles", default: true)
    normalization.collapseWhitespace = try p.bool("collapse_whitespace", default: true)
    return RuleComponent(
      ExactMatchRule(normalization: normalization, extractAnswer: try p.bool("extract_answer", default: false)))
  }

  static func overlap(_ metric: OverlapRule.Metric, _ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    RuleComponent(OverlapRule(metric: metric))
  }

  static func format(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let pattern = try p.string("pattern")
    let mode = try p.choice("match", among: RegexRule.Mode.allCases.map(\.rawValue), default: "search")
    let budget = try p.int("budget_steps", default: BoundedRegex.defaultBudget, range: 1...100_000)
    do {
      return RuleComponent(try RegexRule(pattern: pattern, mode: RegexRule.Mode(rawValue: mode)!, budget: budget))
    } catch {
      throw p.error("pattern", "\(error)")
    }
  }

  static func tags(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let tags = try p.stringArray("tags")
    guard !tags.isEmpty else { throw p.error("tags", "expected at least one tag name") }
    for (index, tag) in tags.enumerated() where tag.isEmpty || tag.contains(where: { "<>/ ".contains($0) }) {
      throw p.error("tags[\(index)]", "expected a bare tag name such as think, found '\(tag.excerpt())'")
    }
    return RuleComponent(TagStructureRule(tags: tags, strict: try p.bool("strict", default: true)))
  }

  static func json(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    var schema: JSONSchema?
    if let value = p.value("schema") {
      do {
        schema = try JSONSchema(value)
      } catch {
        throw p.error(error.path.isEmpty ? "schema" : "schema.\(error.path)", error.message)
      }
    }
    return RuleComponent(JSONRule(schema: schema, tag: try p.optionalString("tag")))
  }

  static func lengthUnit(_ p: inout Parameters) throws(SpecError) -> LengthUnit {
    LengthUnit(rawValue: try p.choice("unit", among: LengthUnit.allCases.map(\.rawValue), default: "tokens"))!
  }

  static func overlongPenalty(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let maximum = try p.int("max_length", default: -1)
    guard maximum > 0 else {
      throw p.error("max_length", p.value("max_length") == nil ? "missing required parameter" : "must be positive")
    }
    let cache = try p.int("cache_length", default: -1)
    guard cache > 0, cache <= maximum else {
      throw p.error(
        "cache_length", p.value("cache_length") == nil ? "missing required parameter" : "must be in 1...max_length")
    }
    return RuleComponent(OverlongPenalty(maximumLength: maximum, cacheLength: cache, unit: try lengthUnit(&p)))
  }

  static func length(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let unit = try lengthUnit(&p)
    let mode = try p.choice("mode", among: ["target", "reference"], default: "target")
    if mode == "reference" { return RuleComponent(LengthRule(mode: .referenceRatio, unit: unit)) }
    let target = try p.int("target", default: -1)
    guard target > 0 else { throw p.error("target", "missing required parameter (a positive length) for mode target") }
    return RuleComponent(LengthRule(mode: .targetRatio(target: target), unit: unit))
  }

  static func toolRL(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let part = try p.choice("part", among: ToolRLReward.Part.allCases.map(\.rawValue), default: "total")
    return RuleComponent(ToolRLReward(part: ToolRLReward.Part(rawValue: part)!))
  }

  static func bfcl(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    RuleComponent(BFCLChecker())
  }
}
