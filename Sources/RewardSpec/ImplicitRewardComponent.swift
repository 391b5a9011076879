import Foundation
import RewardCore
import RewardEngine
import RewardLM

/// `kind: implicit_reward`: a DPO policy's implicit reward β·(log π(y|x) − log π_ref(y|x)), or
/// without `reference:` the response's summed (`normalize: sum`), mean (`mean`) or reward-bench's
/// `norm` log-probability under the policy; `text_rule: reward-bench` scores reward-bench's texts
/// and tokens instead of the response's own (`response`, the default). `policy:` and `reference:` are a local model (directory, GGUF, known name) or
/// `{engine: {base_url, model, …}}`; the prompt is rendered with `chat_template:` (a local model
/// whose template is used; default the policy's own, which an engine policy does not have).
/// See docs/REWARD_SPEC.md and docs/LANGUAGE_MODELS.md.
public enum ImplicitRewardComponent {
  static func make(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    try constructor(resolver: .standard)(&p)
  }

  /// The constructor with a given resolver of native models (tests inject scripted LMs).
  public static func constructor(resolver: LanguageModelResolver) -> ComponentRegistry.Constructor {
    { p throws(SpecError) in
      let policySource = try source("policy", &p)
      let referenceSource = p.value("reference") == nil ? nil : try source("reference", &p)
      let beta = try p.double("beta", default: 1)
      guard beta.isFinite, beta > 0 else { throw p.error("beta", "expected a positive number, found \(beta)") }
      let normalization = ImplicitRewardModel.Normalization(
        rawValue: try p.choice(
          "normalize", among: ImplicitRewardModel.Normalization.allCases.map(\.rawValue), default: "sum"))!
      let textRule = ImplicitRewardModel.TextRule(
        rawValue: try p.choice(
          "text_rule", among: ImplicitRewardModel.TextRule.allCases.map(\.rawValue), default: "response"))!
      if normalization == .norm, referenceSource != nil {
        throw p.error(
          "normalize",
          "'norm' (−‖per-token log p‖₂) is reward-bench's reference-free mode; with a reference use sum or mean")
      }
      if textRule == .rewardBench {
        if referenceSource != nil, normalization != .sum {
          throw p.error(
            "normalize",
            "with a reference, text_rule reward-bench sums log-probabilities (Σ log π − Σ log π_ref): use sum")
        }
        for (key, source) in [("policy", policySource), ("reference", referenceSource)] {
          if case .engine? = source {
            throw p.error(
              "text_rule",
              "reward-bench adds BOS and EOS token ids, which an engine \(key) cannot take (it tokenises text itself): "
                + "use a local model for \(key) (a directory, a .gguf file or a known name)")
          }
        }
      }
      let templateReference = try p.optionalString("chat_template")
      do {
        var renderer: (any ConversationRenderer)?
        let policy = try load(policySource, resolver: resolver, renderer: &renderer)
        var unused: (any ConversationRenderer)?
        let reference = try referenceSource.map { try load($0, resolver: resolver, renderer: &unused) }
        if let templateReference {
          guard let template = try resolver.load(templateReference).renderer else {
            throw p.error("chat_template", "\(templateReference) has no chat template")
          }
          renderer = template
        }
        guard let renderer else {
          let why =
            if case .engine = policySource { "an engine policy has no chat template here" } else {
              "the policy has no chat template"
            }
          throw p.error(
            "chat_template",
            "\(why): name a local model whose template renders the prompt (chat_template: DIR, FILE.gguf or a known "
              + "name)")
        }
        let model = try ImplicitRewardModel(
          name: "implicit_reward(\(policy.scorer.name))", policy: policy, reference: reference, renderer: renderer,
          beta: beta, normalization: normalization, textRule: textRule)
        return ModelComponent(model)
      } catch let error as SpecError {
        throw error
      } catch let error as InputError {
        throw SpecError(file: p.file, path: error.location.field ?? p.path, error.message)
      } catch let error as ConfigurationError {
        throw SpecError(file: p.file, path: p.path, error.message)
      } catch {
        throw SpecError(file: p.file, path: p.path, "\(error)")
      }
    }
  }

  /// `key:` as a local model reference (a string) or `{engine: {…}}`.
  static func source(_ key: String, _ p: inout Parameters) throws(SpecError) -> LanguageModelSource {
    let value = try p.requiredValue(key)
    switch value {
    case .string(let reference):
      guard !reference.isEmpty else { throw p.error(key, "expected a model directory, GGUF file or known name") }
      return .native(reference)
    case .object(let object):
      for name in object.keys where name != "engine" {
        throw p.error("\(key).\(name)", "unknown key; expected engine")
      }
      guard let block = object["engine"] else {
        throw p.error(key, "expected {engine: {base_url, model}} or a model reference")
      }
      let field = p.path.isEmpty ? "\(key).engine" : "\(p.path).\(key).engine"
      do {
        return .engine(try EngineConfiguration(json: block, path: p.file ?? "spec", field: field))
      } catch let error as InputError {
        throw SpecError(file: p.file, path: error.location.field ?? field, error.message)
      } catch {
        throw SpecError(file: p.file, path: field, "\(error)")
      }
    default:
      throw p.error(key, "expected a model reference (string) or {engine: {…}}, found \(value.typeName)")
    }
  }

  /// The scorer (and, for a local model, its tokenizer and template) for a source.
  static func load(
    _ source: LanguageModelSource, resolver: LanguageModelResolver, renderer: inout (any ConversationRenderer)?
  ) throws -> ScoringLanguageModel {
    switch source {
    case .native(let reference):
      let model = try resolver.load(reference)
      renderer = model.renderer
      return ScoringLanguageModel(scorer: model.scorer, tokenizer: model.tokenizer)
    case .engine(let configuration):
      return ScoringLanguageModel(scorer: EngineLogProbabilityScorer(engine: try configuration.makeClient()))
    }
  }
}
