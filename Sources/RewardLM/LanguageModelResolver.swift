import RewardCore
import RewardEngine

/// A causal LM as the reward models on top need it: response log-probabilities, its tokenizer
/// and (when it has one) its chat template.
public struct LoadedLanguageModel: Sendable {
  public var scorer: any ResponseLogProbabilityScorer
  public var tokenizer: any TextTokenizer
  public var renderer: (any ConversationRenderer)?

  public init(
    scorer: any ResponseLogProbabilityScorer, tokenizer: any TextTokenizer, renderer: (any ConversationRenderer)?
  ) {
    self.scorer = scorer
    self.tokenizer = tokenizer
    self.renderer = renderer
  }
}

/// Turns the model references of specs and commands (a model directory, a GGUF file, a known name
/// such as `smollm2`) into LMs. `standard` loads them natively (`LanguageModelLoader`); tests
/// inject scripted ones. Without a loader every reference is refused, saying why.
public struct LanguageModelResolver: Sendable {
  public typealias Loader = @Sendable (_ reference: String) throws -> LoadedLanguageModel

  public var native: Loader?

  public init(native: Loader?) {
    self.native = native
  }

  public func load(_ reference: String) throws -> LoadedLanguageModel {
    guard let native else {
      throw ConfigurationError(
        "\(reference): this build has no native decoder-LM runtime; use an engine ({engine: {base_url, model}}) "
          + "for log-probabilities")
    }
    return try native(reference)
  }

  /// The native runtime: `LanguageModelLoader.loadShared` (one copy of a model's weights per
  /// process, shared with featurizers on it), scored by `NativeResponseScorer`.
  public static let standard = LanguageModelResolver { reference in
    let model = try LanguageModelLoader.loadShared(reference).model
    return LoadedLanguageModel(
      scorer: NativeResponseScorer(model), tokenizer: model.tokenizer, renderer: model.renderer)
  }
}

/// Where an implicit reward's policy or reference runs.
public enum LanguageModelSource: Sendable, Equatable {
  /// A local model: directory, GGUF file or known name.
  case native(String)
  /// An OpenAI-compatible engine that echoes prompt log-probabilities (vLLM).
  case engine(EngineConfiguration)
}
