import Foundation
import RewardCore
import RewardHeads
import RewardJudge
import RewardLM
import RewardRemote
import RewardRules

/// One kind of thing `--model` can name, and how to load it. A source answers nil for a
/// reference it does not recognise, so the next source is tried.
public struct ModelSource: Sendable {
  /// A short name for messages and docs ("checkpoint", "spec", "remote").
  public var name: String
  /// What a reference of this kind looks like, for the "not found" message.
  public var summary: String
  /// The model, or nil when `reference` is not of this kind. Throws when it is, but is broken.
  public var load: @Sendable (_ reference: String) throws -> (any PreferenceModel)?

  public init(
    name: String, summary: String, load: @escaping @Sendable (_ reference: String) throws -> (any PreferenceModel)?
  ) {
    self.name = name
    self.summary = summary
    self.load = load
  }
}

extension ModelSource {
  /// A remote reward model URL: vLLM's `/classify` endpoint, or an OpenRLHF `/get_reward` server
  /// (any other http(s) URL).
  public static let remote = ModelSource(name: "remote", summary: "an http(s) URL of a reward server") { reference in
    guard reference.hasPrefix("http://") || reference.hasPrefix("https://") else { return nil }
    let wire: RemoteProtocol = reference.hasSuffix("/classify") ? .vllmClassify : .openrlhf
    return RemoteRewardModel(name: reference, settings: RemoteSettings(url: reference, wireProtocol: wire))
  }

  /// A decoder LM with a `*ForSequenceClassification` score head: a Hugging Face directory, a
  /// .gguf file or a known name (`smollm2`). A causal LM without a score head is an error that
  /// points to the implicit-reward spec component.
  public static let languageModel = ModelSource(
    name: "language model", summary: "a sequence-classification LM (directory or .gguf)"
  ) { reference in
    guard LanguageModelLoader.isLanguageModel(reference) else { return nil }
    let language = try LanguageModelLoader.load(reference)
    guard language.model.scoreLabelCount != nil else {
      throw ConfigurationError(
        "\(reference): a causal language model has no score head; use it in a spec as `kind: implicit_reward` "
          + "(its log-probabilities) or as a featurizer (`reward train --backbone`)")
    }
    return try SequenceClassifierRewardModel(language)
  }

  /// A checkpoint directory written by `reward train`. Pairwise-only heads (preference
  /// embeddings) load as `PreferenceModel`s.
  public static let checkpoint = ModelSource(name: "checkpoint", summary: "a checkpoint directory") { reference in
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory), isDirectory.boolValue else {
      return nil
    }
    // A process reward model: step scores, aggregated (by min) into the scalar.
    if PRMCheckpoint.isPRMCheckpoint(reference) {
      return try PRMCheckpoint.load(from: reference).rewardModel(name: reference)
    }
    let checkpoint = try Checkpoint.load(from: reference)
    if checkpoint.head is any RewardHead { return try checkpoint.rewardModel(name: reference) }
    return try checkpoint.preferenceModel(name: reference)
  }

  /// An LLM judge file (YAML/JSON with a top-level `mode:`; docs/JUDGES.md). A pairwise judge
  /// compares two responses and loads as a preference model only.
  public static let judge = ModelSource(name: "judge", summary: "a judge file (YAML/JSON with `mode:`)") {
    reference in
    guard JudgeConfiguration.isJudgeFile(reference) else { return nil }
    let judge = try JudgeConfiguration.load(path: reference, engineFactory: JudgeComponent.engineFactory)
    return judge.pairwise ?? judge.model
  }

  /// The arithmetic step checker, a process reward model with step scores (min aggregation):
  /// `step-check`, or `step-check:SPLITTER` (`step-check:lines`, `step-check:tag:ки`).
  public static let stepCheck = ModelSource(
    name: "step-check", summary: "step-check[:SPLITTER] (the arithmetic step checker)"
  ) { reference in
    guard reference == "step-check" || reference.hasPrefix("step-check:") else { return nil }
    let splitter = try StepSplitter.parse(
      reference == "step-check" ? "blank-lines" : String(reference.dropFirst("step-check:".count)))
    return StepCheckModel(splitter: splitter, aggregation: .min)
  }

  /// A reward spec file (YAML or JSON), whose components may be checkpoints.
  public static let spec = ModelSource(name: "spec", summary: "a reward spec file (.yaml, .yml, .json)") {
    reference in
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory), !isDirectory.boolValue else {
      return nil
    }
    return try RewardSpecLoader.load(path: reference)
  }
}

/// Loads what `--model` names, in one place so every front-end (commands, server, tests, users'
/// code) accepts the same things. Sources are tried in order; the first that recognises the
/// reference loads it. Extend with `adding(_:)` (e.g. a judge model kind).
public struct ModelLoader: Sendable {
  public var sources: [ModelSource]

  public init(sources: [ModelSource]) {
    self.sources = sources
  }

  /// Remote URLs, the step checker, sequence-classification LMs, checkpoint directories, judge
  /// files, spec files.
  public static let standard = ModelLoader(sources: [
    .remote, .stepCheck, .languageModel, .checkpoint, .judge, .spec,
  ])

  /// This loader with `source` tried before the others (so it can claim references they would).
  public func adding(_ source: ModelSource) -> ModelLoader {
    ModelLoader(sources: [source] + sources)
  }

  /// Any model `reference` names, scalar or pairwise-only.
  public func loadAny(_ reference: String) throws -> any PreferenceModel {
    for source in sources {
      if let model = try source.load(reference) { return model }
    }
    let kinds = sources.map(\.summary).joined(separator: ", ")
    throw ConfigurationError(
      "\(reference): no such checkpoint directory, judge file, spec file or URL (expected \(kinds))")
  }

  /// A model that gives a scalar reward per candidate.
  public func loadRewardModel(_ reference: String) throws -> any RewardModel {
    let model = try loadAny(reference)
    guard let reward = model as? any RewardModel else {
      throw ConfigurationError(
        "\(reference): model '\(model.name)' only compares pairs (no scalar reward); it can be evaluated with "
          + "`reward eval` but not used to score")
    }
    return reward
  }

  /// `standard.loadRewardModel(reference)`.
  public static func load(_ reference: String) throws -> any RewardModel {
    try standard.loadRewardModel(reference)
  }

  /// `standard.loadAny(reference)`: also pairwise-only checkpoints.
  public static func loadPreferenceModel(_ reference: String) throws -> any PreferenceModel {
    try standard.loadAny(reference)
  }
}
