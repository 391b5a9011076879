import ArgumentParser
import Foundation
import RewardCore
import RewardEngine
import RewardPipelines
import RewardSpec

// `reward data sample | score | select | pairs | label`: the preference-data pipeline stages
// (issue 14). The work lives in RewardPipelines; these commands parse options, open streams and
// report counts on stderr, so every stage composes in shell pipes.

/// The engine `reward data sample` talks to: RewardEngine's OpenAI-compatible client (vLLM,
/// SGLang, llama-server, hosted APIs), with the API key from `--api-key-env` when given.
enum PipelineEngines {
  /// Several URLs are replicas of one model: requests go to the one with the fewest in flight.
  static func makeChatEngine(
    urls: [String], model: String, apiKeyVariable: String?, maxInFlight: Int, requestsPerMinute: Int?,
    tokensPerMinute: Int?
  ) throws -> any ChatEngine {
    var apiKey: APIKey?
    if let apiKeyVariable {
      guard let value = ProcessInfo.processInfo.environment[apiKeyVariable], !value.isEmpty else {
        throw ConfigurationError("--api-key-env \(apiKeyVariable): the environment variable is not set")
      }
      apiKey = APIKey(value)
    }
    let settings = OpenAIEngineSettings(
      baseURLs: try urls.map(OpenAIEngineSettings.normalizedBaseURL), model: model, apiKey: apiKey,
      maxInFlight: maxInFlight, requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute)
    return try OpenAIEngine(settings: settings)
  }
}

struct PipelineIO: ParsableArguments {
  @Argument(help: "Input JSON Lines (`-` for standard input).")
  var input = "-"

  @Option(name: [.short, .long], help: "Output JSON Lines (`-` for standard output).")
  var output = "-"

  @Flag(help: "No summary on standard error.")
  var quiet = false
}

struct SelectCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "select",
    abstract: "Rejection sampling / best-of-N: keep the best responses of scored groups as SFT records.",
    discussion: """
      Reads groups {prompt|messages, responses, rewards, ...} or flat records {prompt, response, reward, \
      group?} (consecutive records with the same group, or prompt, form one group). Writes TRL SFT records \
      (`messages`, or `prompt` + `completion`) with the reward and rank.
      """)

  @OptionGroup var io: PipelineIO

  @Option(help: "Keep the k best responses per prompt.")
  var topK: Int?

  @Option(help: "Keep every response whose reward is at least this.")
  var threshold: Double?

  @Option(help: "Keep responses at or above this quantile of their group (0.75 keeps the top quarter).")
  var quantile: Double?

  @Option(help: "SFT record layout: messages or prompt-completion.")
  var format: String = SFTFormat.messages.rawValue

  func validate() throws {
    let given = [topK != nil, threshold != nil, quantile != nil].filter { $0 }.count
    guard given <= 1 else { throw ValidationError("give one of --top-k, --threshold, --quantile") }
    if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
    if let quantile, !(0...1).contains(quantile) { throw ValidationError("--quantile must be in [0, 1]") }
    if let threshold, !threshold.isFinite { throw ValidationError("--threshold must be finite") }
    guard SFTFormat(rawValue: format) != nil else {
      throw ValidationError("--format must be one of \(SFTFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  func run() async throws {
    let rule: SelectionRule =
      if let threshold { .threshold(threshold) } else if let quantile { .quantile(quantile) } else { .topK(topK ?? 1) }
    let layout = SFTFormat(rawValue: format)!
    let reader = try GroupReader(path: io.input, requireRewards: true)
    let writer = try JSONLinesWriter(path: io.output)
    var groups = 0
    var responses = 0
    while let group = try reader.next() {
      groups += 1
      responses += group.responses.count
      for (rank, index) in rule.select(group.rewards!).enumerated() {
        try writer.write(SFTRecord.make(group, index: index, rank: rank + 1, format: layout))
      }
    }
    try writer.close()
    Terminal(quiet: io.quiet).note(
      "select: \(groups) groups, \(responses) responses → \(writer.recordsWritten) SFT records")
  }
}

struct PairsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pairs",
    abstract: "Build DPO / reward-model pairs from scored groups (TRL preference format).",
    discussion: """
      Rules: best-worst (the RLHF Workflow recipe), best-random (seeded), all (every pair whose gap exceeds \
      --margin). Pairs whose reward gap is at most --margin are ties or near-ties and are dropped (counted on \
      stderr). The gap is written as `margin`. With --model the groups are scored on the fly (their \
      `reference` and other fields reach the scorer).
      """)

  @OptionGroup var io: PipelineIO

  @Option(help: "best-worst, best-random or all.")
  var rule = "best-worst"

  @Option(help: "Minimum reward gap: pairs at or below it are dropped as ties or near-ties.")
  var margin = 0.0

  @Option(help: "Seed for best-random.")
  var seed: UInt64 = 0

  @Flag(help: "Prompt inside chosen/rejected (implicit prompt) instead of a separate `prompt` field.")
  var implicitPrompt = false

  @Flag(help: "Plain text (TRL standard format) instead of messages (conversational).")
  var text = false

  @Option(help: "Score the groups with this model first (checkpoint, spec file or reward-model URL).")
  var model: String?

  @Option(help: "Responses per scoring call (a group is never split).")
  var batchSize = 256

  func validate() throws {
    guard ["best-worst", "best-random", "all"].contains(rule) else {
      throw ValidationError("--rule must be best-worst, best-random or all")
    }
    guard margin.isFinite, margin >= 0 else { throw ValidationError("--margin must be a finite number ≥ 0") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
  }

  func run() async throws {
    let pairingRule: PairingRule =
      switch rule {
      case "best-random": .bestVersusRandom(seed: seed)
      case "all": .allPairs
      default: .bestVersusWorst
      }
    let builder = PairBuilder(rule: pairingRule, minimumMargin: margin)
    let layout = PreferenceLayout(explicitPrompt: !implicitPrompt, conversational: !text)
    let reader = try GroupReader(path: io.input, requireRewards: model == nil)
    let writer = try JSONLinesWriter(path: io.output)
    var groups = 0
    var dropped = 0
    var tooSmall = 0
    func emit(_ group: ScoredGroup) throws {
      groups += 1
      if group.responses.count < 2 { tooSmall += 1 }
      let key = group.id ?? group.location.description
      let outcome = builder.pairs(group.rewards!, groupKey: key)
      dropped += outcome.droppedTies
      for pair in outcome.pairs { try writer.write(layout.record(group, pair)) }
    }
    if let model {
      let scorer = GroupScorer(model: try ModelLoader.load(model), batchSize: batchSize)
      try await scorer.run(reader, emit: emit)
    } else {
      while let group = try reader.next() { try emit(group) }
    }
    try writer.close()
    Terminal(quiet: io.quiet).note(
      "pairs: \(groups) groups → \(writer.recordsWritten) pairs; \(dropped) ties or near-ties (gap ≤ \(margin)) dropped"
        + (tooSmall > 0 ? "; \(tooSmall) groups with fewer than 2 responses" : ""))
  }
}

struct LabelCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "label",
    abstract: "Relabel preference pairs with a model (RLAIF): soft labels, disagreements, agreement.",
    discussion: """
      Writes the model's P(chosen ≻ rejected) as `model_probability` (and as the training label \
      `chosen_probability` with --replace-label), flags pairs below --flag-below as `disagreement`, swaps \
      chosen and rejected below --flip-below (`flipped`), and reports agreement with the existing labels \
      (rate and Cohen's κ) on stderr.
      """)

  @OptionGroup var io: PipelineIO

  @Option(help: "Preference model: checkpoint (any family), spec file or reward-model URL.")
  var model: String

  @Option(help: "Flag pairs whose P(chosen ≻ rejected) is below this.")
  var flagBelow = 0.2

  @Option(help: "Swap chosen and rejected when P(chosen ≻ rejected) is below this.")
  var flipBelow: Double?

  @Flag(help: "Write the model's probability as `chosen_probability` (the soft training label).")
  var replaceLabel = false

  @Option(help: "Pairs per model call.")
  var batchSize = 128

  func validate() throws {
    guard (0...1).contains(flagBelow) else { throw ValidationError("--flag-below must be in [0, 1]") }
    if let flipBelow, !(0...0.5).contains(flipBelow) { throw ValidationError("--flip-below must be in [0, 0.5]") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
  }

  func run() async throws {
    let preferenceModel = try ModelLoader.loadPreferenceModel(model)
    let policy = RelabelPolicy(flagBelow: flagBelow, flipBelow: flipBelow, replaceLabel: replaceLabel)
    let reader = try JSONLinesReader(path: io.input)
    let writer = try JSONLinesWriter(path: io.output)
    var agreement = AgreementCounter()
    var flagged = 0
    var flipped = 0
    var batch: [LabelledPair] = []
    func flush() async throws {
      guard !batch.isEmpty else { return }
      let probabilities = try await preferenceModel.preferenceProbabilities(batch.map(\.candidatePair))
      guard probabilities.count == batch.count else {
        throw ConfigurationError("\(model) returned \(probabilities.count) probabilities for \(batch.count) pairs")
      }
      for (pair, p) in zip(batch, probabilities) {
        guard p.isFinite, (0...1).contains(p) else {
          throw InputError(.invalidValue, at: pair.location, "\(model) gave P(chosen ≻ rejected) = \(p)")
        }
        agreement.add(pair, modelProbability: p)
        let (record, wasFlipped) = policy.apply(pair, modelProbability: p)
        if p < flagBelow { flagged += 1 }
        if wasFlipped { flipped += 1 }
        try writer.write(record)
      }
      batch.removeAll(keepingCapacity: true)
    }
    while case let (record, location)? = try reader.next() {
      batch.append(try LabelledPair(record, at: location))
      if batch.count >= batchSize { try await flush() }
    }
    try await flush()
    try writer.close()
    Terminal(quiet: io.quiet).note(
      "label: \(writer.recordsWritten) pairs; agreement \(format(100 * agreement.rate, 1))% of \(agreement.total)"
        + " (Cohen's κ \(format(agreement.kappa, 3))); \(flagged) flagged (P < \(flagBelow)), \(flipped) flipped"
        + (agreement.skippedTies > 0 ? "; \(agreement.skippedTies) ties not counted" : ""))
  }
}

struct GroupScoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score groups (or flat responses) with any model, streamed; writes groups with `rewards`.",
    discussion: """
      Input as for `select`. Groups are scored in batches of about --batch-size responses, never split, so a \
      group-aware scorer sees a whole group. --normalize center|zscore writes normalised rewards (raw ones in \
      `raw_rewards`).
      """)

  @OptionGroup var io: PipelineIO

  @Option(help: "Checkpoint, spec file or reward-model URL.")
  var model: String

  @Option(help: "Responses per scoring call (a group is never split).")
  var batchSize = 256

  @Option(help: "Group normalisation: none, center or zscore.")
  var normalize = GroupNormalization.none.rawValue

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard GroupNormalization(rawValue: normalize) != nil else {
      throw ValidationError("--normalize must be none, center or zscore")
    }
  }

  func run() async throws {
    let scorer = GroupScorer(
      model: try ModelLoader.load(model), batchSize: batchSize, normalization: GroupNormalization(rawValue: normalize)!)
    let reader = try GroupReader(path: io.input, requireRewards: false)
    let writer = try JSONLinesWriter(path: io.output)
    var responses = 0
    try await scorer.run(reader) { group in
      responses += group.responses.count
      try writer.write(group.record)
    }
    try writer.close()
    Terminal(quiet: io.quiet).note("score: \(writer.recordsWritten) groups, \(responses) responses scored")
  }
}

struct SampleCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Sample N responses per prompt from an OpenAI-compatible engine; writes groups (resumable).",
    discussion: """
      Prompts: records with `prompt` (string or messages) or `messages`, or a data set's own prompt \
      field (question, problem, instruction + input, MT-Bench turns), or a preference record in any \
      format `reward train` reads (its prompt); optional `id` (else a hash of the prompt); other \
      fields are copied. Sample i uses seed --seed + i. Rerunning with the same --output skips \
      prompts whose group is already complete there.
      """)

  @Argument(help: "Prompt JSON Lines (`-` for standard input).")
  var input = "-"

  @Option(name: [.short, .long], help: "Output JSON Lines (a file, so the run can resume; `-` for stdout).")
  var output = "-"

  @Option(help: "Engine base URL (e.g. http://127.0.0.1:8080/v1); repeat for replicas of the same model.")
  var engineURL: [String]

  @Option(help: "Model name to ask the engine for.")
  var engineModel: String

  @Option(help: "Environment variable holding the engine's API key (never logged).")
  var apiKeyEnv: String?

  @Option(help: "Requests per minute to stay under (an API's rate limit).")
  var requestsPerMinute: Int?

  @Option(help: "Tokens (prompt + completion) per minute to stay under.")
  var tokensPerMinute: Int?

  @Option(name: .short, help: "Responses per prompt.")
  var n = 4

  @Option(help: "Sampling temperature (the engine's default when absent).") var temperature: Double?
  @Option(help: "Nucleus sampling probability mass (the engine's default when absent).") var topP: Double?
  @Option(help: "Longest response, in tokens (the engine's default when absent).") var maxTokens: Int?
  @Option(help: "Stop sequence (repeatable).") var stop: [String] = []
  @Option(help: "Seed of the first sample of each prompt; sample i uses seed + i.") var seed = 0
  @Option(help: "Requests in flight at once.") var concurrency = 8
  @Flag(help: "No progress on standard error.") var quiet = false

  func validate() throws {
    guard n >= 1 else { throw ValidationError("-n must be at least 1") }
    guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    guard !engineURL.isEmpty else { throw ValidationError("give the engine with --engine-url") }
    for url in engineURL where URL(string: url)?.scheme == nil {
      throw ValidationError("--engine-url must be a URL, found '\(url)'")
    }
  }

  func run() async throws {
    let engine = try PipelineEngines.makeChatEngine(
      urls: engineURL, model: engineModel, apiKeyVariable: apiKeyEnv, maxInFlight: concurrency,
      requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute)
    let settings = SamplingSettings(
      samplesPerPrompt: n, temperature: temperature, topP: topP, maxTokens: maxTokens, stop: stop, seed: seed,
      concurrency: concurrency)
    let done = try GroupSampler.completedIDs(in: output, samplesPerPrompt: n)
    let terminal = Terminal(quiet: quiet)
    if !done.isEmpty { terminal.note("sample: resuming; \(done.count) complete groups in \(output) are kept") }
    let writer = try JSONLinesWriter(path: output, append: !done.isEmpty)
    let started = Date()
    let progress = try await GroupSampler(engine: engine, settings: settings).run(
      prompts: try JSONLinesReader(path: input), done: done, writer: writer
    ) { progress in
      guard !quiet else { return }
      let rate = Double(progress.requests) / max(Date().timeIntervalSince(started), 1e-9)
      FileHandle.standardError.write(
        Data(
          "\rsample: \(progress.groupsWritten) groups, \(progress.requests) requests, \(format(rate, 1)) req/s, tokens \(progress.usage.promptTokens) in / \(progress.usage.completionTokens) out"
            .utf8))
    }
    try writer.close()
    terminal.note(
      "\nsample: \(progress.groupsWritten) groups written, \(progress.groupsSkipped) already done; \(progress.requests) requests; tokens \(progress.usage.promptTokens) prompt + \(progress.usage.completionTokens) completion"
    )
  }
}

/// The pipeline stages as `reward data` subcommands.
var pipelineSubcommands: [any ParsableCommand.Type] {
  [
    SampleCommand.self, GroupScoreCommand.self, SelectCommand.self, PairsCommand.self, LabelCommand.self,
  ]
}
