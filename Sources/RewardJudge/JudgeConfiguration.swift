import Foundation
import RewardCore
import RewardEngine

/// Builds the engine a judge talks to from the judge file's `engine:` block (the raw JSON, with
/// `cache:` forwarded inside it) and a location for error messages (`judge.yaml: engine`).
public typealias JudgeEngineFactory = @Sendable (JSONValue, String) throws -> any ChatEngine

/// The judge protocols a judge file or `kind: judge` component can name in `mode:`.
public enum JudgeMode: String, Sendable, CaseIterable {
  case pointwise, pairwise, listwise, spct, reasoning, principle, tools
  /// Generative process reward models (docs/PROCESS_REWARDS.md): ProcessBench's critic, and the
  /// per-step "+/−" log-probability protocol.
  case prmCritic = "prm-critic"
  case prmLogprob = "prm-logprob"
}

/// A judge built from a judge file or spec component: the model, the run ledger, and its mode.
public struct LoadedJudge: Sendable {
  public var mode: JudgeMode
  /// The judge as a reward model (a pairwise judge scores against each candidate's reference).
  public var model: any RewardModel
  public var ledger: JudgeLedger
  /// Non-nil for pairwise modes: the judge as a preference model, with trial-level access
  /// (JudgeBench, order statistics).
  public var pairwise: PairwiseJudge?

  /// What `reward eval` compares pairs with: the pairwise judge itself, else the reward model.
  public var preferenceModel: any PreferenceModel { pairwise ?? model }
}

/// Reads a judge file (YAML or JSON) or the parameters of a `kind: judge` spec component:
///
/// ```yaml
/// mode: pairwise                 # pointwise | pairwise | listwise | spct | reasoning | principle | tools
/// template: builtin:arena-hard   # builtin:NAME, a file (.mustache, .txt), or {system:, user:, syntax:}
/// verdict: arena-hard            # the reply format; defaults follow the mode and template
/// parser: last                   # last | first | strict
/// order: both                    # fixed | random | both
/// aggregate: counter             # consistency | counter | mean
/// sampling: {temperature: 0, max_tokens: 1024, seed: 0, top_logprobs: 5}
/// retries: 1
/// concurrency: 8
/// engine: {base_url: http://127.0.0.1:8080/v1, model: qwen}
/// cache: {path: .judge-cache, mode: read-write}
/// ```
/// Unknown keys, an unknown mode and template variables the mode does not supply fail here, with
/// the field named.
public enum JudgeConfiguration {
  public static let keys = [
    "name", "mode", "template", "template_file", "template_name", "principles_template", "verdict", "parser",
    "scale", "sampling", "order", "aggregate", "retries", "concurrency", "seed", "rubric", "principle", "samples",
    "keep_top", "meta", "max_tool_turns", "engine", "cache", "splitter", "aggregation",
  ]

  /// Whether a YAML/JSON file is a judge file (a top-level `mode:`) rather than a reward spec.
  public static func isJudgeFile(_ path: String) -> Bool {
    guard [".yaml", ".yml", ".json"].contains(where: path.hasSuffix) else { return false }
    do {
      guard let object = try JudgeDocument.read(path: path).objectValue else { return false }
      return object["mode"] != nil && object["components"] == nil
    } catch {
      // Unreadable (over a limit, malformed): claim it when its start looks like a judge file, so
      // the error names a judge file rather than a spec.
      return looksLikeJudgeFile(path)
    }
  }

  private static func looksLikeJudgeFile(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    guard let data = try? handle.read(upToCount: 64 << 10) else { return false }
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    let hasKey = { (key: String) in lines.contains { $0.hasPrefix("\(key):") || $0.contains("\"\(key)\"") } }
    return hasKey("mode") && !hasKey("components")
  }

  /// Loads a judge file.
  public static func load(path: String, engineFactory: @escaping JudgeEngineFactory) throws -> LoadedJudge {
    let document = try JudgeDocument.read(path: path)
    guard let object = document.objectValue else {
      throw JudgeConfigurationError(file: path, field: "(top level)", "expected a mapping")
    }
    do {
      return try build(object, file: path, prefix: "", engineFactory: engineFactory)
    } catch let error as JudgeConfigurationError {
      throw error.inFile(path)
    }
  }

  /// Builds a judge from its keys; `prefix` names where they are (`components[2]` in a spec).
  public static func build(
    _ object: JSONObject, file: String?, prefix: String, engineFactory: @escaping JudgeEngineFactory
  ) throws -> LoadedJudge {
    var keys = JudgeKeys(object: object, prefix: prefix)
    let directory = file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "."
    let mode = try keys.choice("mode", JudgeMode.self, default: nil)!
    let name = try keys.string("name") ?? "judge:\(mode.rawValue)"
    var settings = JudgeSettings()
    let processSamples = mode == .prmCritic ? try keys.int("samples", default: 1, range: 1...64) : 1
    settings.sampling = try sampling(&keys, defaults: processSampling(mode, samples: processSamples))
    settings.retries = try keys.int("retries", default: mode.isProcessReward ? 0 : 1, range: 0...10)
    settings.concurrency = try keys.int("concurrency", default: 8, range: 1...1024)
    settings.seed = UInt64(try keys.int("seed", default: 0, range: 0...Int.max))
    let ledger = JudgeLedger()
    var extras: [String: String] = [:]
    if let rubric = try keys.string("rubric") { extras["rubric"] = rubric }
    if let principle = try keys.string("principle") { extras["principle"] = principle }

    let template = try self.template(&keys, key: "template", mode: mode, directory: directory)
    let verdict = try keys.string("verdict")
    let defaultPolicy: ParsePolicy = mode == .reasoning ? .strict : .last
    settings.policy = try keys.choice("parser", ParsePolicy.self, default: defaultPolicy)!
    try validate(template, mode: mode, extras: extras, keys: keys, field: "template")

    // Read every remaining key before building the engine, so a typo is reported first.
    let order = try keys.choice("order", JudgeOrder.self, default: .fixed)!
    let aggregate = try keys.choice("aggregate", PairAggregate.self, default: .consistency)!
    var scale: ClosedRange<Double>? = nil
    if let bounds = try keys.doublePair("scale") {
      guard bounds.0 < bounds.1 else { throw keys.error("scale", "expected [low, high] with low < high") }
      scale = bounds.0...bounds.1
    }
    let samples = mode == .prmCritic ? processSamples : try keys.int("samples", default: 4, range: 1...64)
    let splitter = try processSplitter(&keys, mode: mode)
    let aggregation = try processAggregation(&keys, mode: mode)
    let keepTop = try keys.optionalInt("keep_top", range: 1...64)
    let metaPath = try keys.string("meta")
    let maxToolTurns = try keys.int("max_tool_turns", default: 3, range: 0...16)
    let principlesTemplate =
      mode == .spct ? try self.template(&keys, key: "principles_template", mode: mode, directory: directory) : nil
    guard var engineBlock = keys.value("engine")?.objectValue else {
      throw keys.error("engine", "missing: a mapping that says which engine to ask (see docs/JUDGES.md)")
    }
    if let cache = keys.value("cache") { engineBlock["cache"] = cache }
    try keys.finish()
    if mode == .principle, extras["principle"] == nil {
      throw keys.error("principle", "mode principle needs the principle to judge by")
    }
    if keepTop != nil, metaPath == nil { throw keys.error("keep_top", "needs a meta reward model (meta:)") }
    if let keepTop, keepTop > samples { throw keys.error("keep_top", "must not exceed samples (\(samples))") }

    let engine = try engineFactory(.object(engineBlock), (file.map { "\($0): " } ?? "") + keys.path("engine"))
    switch mode {
    case .pointwise, .tools:
      let format = try scoreFormat(verdict, template: template, keys: keys)
      let scale = scale ?? (format == .prometheus ? 1...5 : 1...10)
      return LoadedJudge(
        mode: mode,
        model: PointwiseJudge(
          name: name, engine: engine, template: template, format: format, scale: scale, settings: settings,
          extras: extras, tools: mode == .tools ? JudgeTools() : nil, maxToolTurns: maxToolTurns, ledger: ledger),
        ledger: ledger, pairwise: nil)
    case .pairwise, .reasoning:
      let format = try pairFormat(verdict, mode: mode, template: template, keys: keys)
      let judge = PairwiseJudge(
        name: name, engine: engine, template: template, format: format, order: order, aggregate: aggregate,
        settings: settings, extras: extras, ledger: ledger)
      return LoadedJudge(mode: mode, model: BaselinePairwiseJudge(judge), ledger: ledger, pairwise: judge)
    case .listwise, .principle:
      let format: ListwiseFormat
      if let verdict {
        guard let chosen = ListwiseFormat(rawValue: verdict) else {
          throw keys.error("verdict", "expected one of best, ranking for mode \(mode.rawValue), found '\(verdict)'")
        }
        format = chosen
      } else {
        format = mode == .principle ? .ranking : .best
      }
      return LoadedJudge(
        mode: mode,
        model: ListwiseJudge(
          name: name, engine: engine, template: template, format: format, settings: settings, extras: extras,
          ledger: ledger),
        ledger: ledger, pairwise: nil)
    case .prmCritic:
      return LoadedJudge(
        mode: mode,
        model: ProcessCriticJudge(
          name: name, engine: engine, template: template, samples: samples, splitter: splitter, settings: settings,
          ledger: ledger),
        ledger: ledger, pairwise: nil)
    case .prmLogprob:
      return LoadedJudge(
        mode: mode,
        model: StepLogprobJudge(
          name: name, engine: engine, template: template, splitter: splitter, aggregation: aggregation,
          settings: settings, ledger: ledger),
        ledger: ledger, pairwise: nil)
    case .spct:
      let meta = try metaPath.map { path in
        let resolved = path.hasPrefix("/") ? path : directory + "/" + path
        return try load(path: resolved, engineFactory: engineFactory).model
      }
      let scale = scale ?? 1...10
      return LoadedJudge(
        mode: mode,
        model: SPCTJudge(
          name: name, engine: engine, principlesTemplate: principlesTemplate!, critiqueTemplate: template,
          samples: samples, scale: scale, metaModel: meta, keepTop: keepTop, settings: settings, ledger: ledger),
        ledger: ledger, pairwise: nil)
    }
  }

  // MARK: Parts

  static func defaultTemplate(_ mode: JudgeMode, key: String) -> String {
    switch mode {
    case .pointwise: "pointwise"
    case .pairwise: "pairwise"
    case .listwise: "listwise"
    case .principle: "principle"
    case .reasoning: "rm-r1"
    case .tools: "tools"
    case .spct: key == "principles_template" ? "spct-principles" : "spct-critique"
    case .prmCritic: "processbench-critique"
    case .prmLogprob: "prm-step"
    }
  }

  static func template(_ keys: inout JudgeKeys, key: String, mode: JudgeMode, directory: String) throws
    -> JudgeTemplate
  {
    if key == "template", let file = try keys.string("template_file") {
      guard let name = try keys.string("template_name") else {
        throw keys.error("template_name", "template_file needs template_name (the prompt's name in the file)")
      }
      let resolved = file.hasPrefix("/") ? file : directory + "/" + file
      do {
        return try PublishedTemplates.mtBench(file: resolved, name: name)
      } catch {
        throw keys.error(error.field, error.message)
      }
    }
    guard let value = keys.value(key) else { return try BuiltinTemplates.named(defaultTemplate(mode, key: key)) }
    if let text = value.stringValue {
      if text.hasPrefix("builtin:") {
        do {
          return try BuiltinTemplates.named(String(text.dropFirst("builtin:".count)))
        } catch {
          throw keys.error(key, error.message)
        }
      }
      let resolved = text.hasPrefix("/") ? text : directory + "/" + text
      guard let contents = try? String(contentsOfFile: resolved, encoding: .utf8) else {
        throw keys.error(key, "expected builtin:NAME or a readable template file, found '\(text)'")
      }
      return try JudgeTemplate(name: text, system: nil, user: contents)
    }
    guard let object = value.objectValue else {
      throw keys.error(key, "expected builtin:NAME, a file, or a mapping with system/user")
    }
    var inner = JudgeKeys(object: object, prefix: keys.path(key))
    guard let user = try inner.string("user") else { throw inner.error("user", "missing: the user message template") }
    let system = try inner.string("system")
    let syntax = try inner.choice("syntax", JudgeTemplate.Syntax.self, default: .mustache)!
    try inner.finish()
    do {
      return try JudgeTemplate(name: keys.path(key), system: system, user: user, syntax: syntax)
    } catch {
      throw keys.error(key, error.message)
    }
  }

  static func validate(
    _ template: JudgeTemplate, mode: JudgeMode, extras: [String: String], keys: JudgeKeys, field: String
  )
    throws
  {
    let provided: Set<String>
    let required: Set<String>
    switch mode {
    case .pointwise, .tools: (provided, required) = (PointwiseJudge.providedVariables, ["answer"])
    case .pairwise, .reasoning: (provided, required) = (PairwiseJudge.providedVariables, ["answer_a", "answer_b"])
    case .listwise, .principle: (provided, required) = (ListwiseJudge.providedVariables, ["responses"])
    case .spct: (provided, required) = (SPCTJudge.providedVariables, ["responses"])
    case .prmCritic: (provided, required) = (ProcessCriticJudge.providedVariables, ["tagged_response"])
    case .prmLogprob: (provided, required) = (StepLogprobJudge.providedVariables, ["solution"])
    }
    do {
      try template.validate(provided: provided, required: required, field: keys.path(field))
    } catch {
      throw keys.error(field, error.message)
    }
    // A Python-format template cannot skip a missing rubric or principle the way a Mustache
    // section does, so those must be set in the file.
    if template.syntax == .python {
      for variable in ["rubric", "principle"] where template.variables.contains(variable) && extras[variable] == nil {
        throw keys.error(variable, "template \(template.name) uses {\(variable)}, so the judge file must set it")
      }
    }
  }

  static func sampling(_ keys: inout JudgeKeys, defaults: SamplingParameters? = nil) throws -> SamplingParameters {
    var sampling = defaults ?? SamplingParameters(temperature: 0, maxTokens: 1024)
    guard let value = keys.value("sampling") else { return sampling }
    guard let object = value.objectValue else { throw keys.error("sampling", "expected a mapping") }
    var inner = JudgeKeys(object: object, prefix: keys.path("sampling"))
    sampling.temperature = try inner.double("temperature") ?? sampling.temperature
    sampling.topP = try inner.double("top_p") ?? sampling.topP
    sampling.maxTokens = try inner.optionalInt("max_tokens", range: 1...1_000_000) ?? sampling.maxTokens
    sampling.seed = try inner.optionalInt("seed", range: 0...Int.max) ?? sampling.seed
    sampling.topLogprobs = try inner.optionalInt("top_logprobs", range: 0...20) ?? sampling.topLogprobs
    sampling.stop = try inner.stringList("stop")
    sampling.responseFormat = inner.value("response_format")
    sampling.grammar = try inner.string("grammar")
    try inner.finish()
    return sampling
  }

  static func scoreFormat(_ verdict: String?, template: JudgeTemplate, keys: JudgeKeys) throws
    -> VerdictParser.ScoreFormat
  {
    guard let verdict else { return template.name.contains("prometheus") ? .prometheus : .mtBench }
    guard let format = VerdictParser.ScoreFormat(rawValue: verdict) else {
      throw keys.error(
        "verdict",
        "expected one of \(VerdictParser.ScoreFormat.allCases.map(\.rawValue).joined(separator: ", ")), found '\(verdict)'"
      )
    }
    return format
  }

  static func pairFormat(_ verdict: String?, mode: JudgeMode, template: JudgeTemplate, keys: JudgeKeys) throws
    -> VerdictParser.PairFormat
  {
    guard let verdict else {
      if mode == .reasoning { return .rmR1 }
      if template.name.contains("arena-hard") { return .arenaHard }
      if template.name.contains("prometheus") { return .prometheus }
      return .mtBench
    }
    guard let format = VerdictParser.PairFormat(rawValue: verdict) else {
      throw keys.error(
        "verdict",
        "expected one of \(VerdictParser.PairFormat.allCases.map(\.rawValue).joined(separator: ", ")), found '\(verdict)'"
      )
    }
    return format
  }
}

/// Typed access to a judge file's keys with errors that name the field; unread keys are rejected.
struct JudgeKeys {
  let object: JSONObject
  let prefix: String
  private(set) var used: Set<String> = []

  init(object: JSONObject, prefix: String) {
    self.object = object
    self.prefix = prefix
  }

  func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
  func error(_ key: String, _ message: String) -> JudgeConfigurationError {
    JudgeConfigurationError(field: path(key), message)
  }

  mutating func value(_ key: String) -> JSONValue? {
    used.insert(key)
    guard let value = object[key], !value.isNull else { return nil }
    return value
  }

  mutating func string(_ key: String) throws(JudgeConfigurationError) -> String? {
    guard let found = value(key) else { return nil }
    guard let text = found.stringValue else { throw error(key, "expected a string, found \(found.typeName)") }
    return text
  }

  mutating func double(_ key: String) throws(JudgeConfigurationError) -> Double? {
    guard let found = value(key) else { return nil }
    guard let number = found.doubleValue, number.isFinite else {
      throw error(key, "expected a number, found \(found.typeName)")
    }
    return number
  }

  mutating func optionalInt(_ key: String, range: ClosedRange<Int>) throws(JudgeConfigurationError) -> Int? {
    guard let found = value(key) else { return nil }
    guard case .int(let number) = found else { throw error(key, "expected an integer, found \(found.typeName)") }
    guard range.contains(Int(number)) else {
      throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
    }
    return Int(number)
  }

  mutating func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(JudgeConfigurationError)
    -> Int
  {
    try optionalInt(key, range: range) ?? fallback
  }

  mutating func stringList(_ key: String) throws(JudgeConfigurationError) -> [String] {
    guard let found = value(key) else { return [] }
    if let single = found.stringValue { return [single] }
    guard let items = found.arrayValue else { throw error(key, "expected a list of strings") }
    var strings: [String] = []
    for item in items {
      guard let text = item.stringValue else { throw error(key, "expected a list of strings") }
      strings.append(text)
    }
    return strings
  }

  mutating func doublePair(_ key: String) throws(JudgeConfigurationError) -> (Double, Double)? {
    guard let found = value(key) else { return nil }
    guard let items = found.arrayValue, items.count == 2, let low = items[0].doubleValue,
      let high = items[1].doubleValue
    else { throw error(key, "expected [low, high]") }
    return (low, high)
  }

  mutating func choice<Choice: RawRepresentable & CaseIterable>(
    _ key: String, _ type: Choice.Type, default fallback: Choice?
  ) throws(JudgeConfigurationError) -> Choice? where Choice.RawValue == String {
    guard let text = try string(key) else {
      guard let fallback else { throw error(key, "missing (one of \(Self.names(type)))") }
      return fallback
    }
    guard let chosen = Choice(rawValue: text) else {
      throw error(key, "unknown \(key) '\(text)' (expected one of \(Self.names(type)))")
    }
    return chosen
  }

  static func names<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type) -> String
  where Choice.RawValue == String {
    type.allCases.map(\.rawValue).joined(separator: ", ")
  }

  func finish() throws(JudgeConfigurationError) {
    for key in object.keys where !used.contains(key) {
      throw error(key, "unknown key (known: \(used.sorted().joined(separator: ", ")))")
    }
  }
}
