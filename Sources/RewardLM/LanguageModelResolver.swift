import RewardCore
import RewardEngine

/// A local causal LM as the reward models on top need it: response log-probabilities, its
/// tokenizer and its chat template.
public struct NativeLanguageModel: Sendable {
  public var scorer: any ResponseLogProbabilityScorer
  public var tokenizer: any TextTokenizer
  public var renderer: any ConversationRenderer

  public init(
    scorer: any ResponseLogProbabilityScorer, tokenizer: any TextTokenizer, renderer: any ConversationRenderer
  ) {
    self.scorer = scorer
    self.tokenizer = tokenizer
    self.renderer = renderer
  }
}

/// Turns the model references of specs and commands (a model directory, a GGUF file, a known name
/// such as `smollm2`) into native LMs. The native runtime provides `native`; without it every
/// reference is refused with a message saying that this build has no native decoder runtime.
public struct LanguageModelResolver: Sendable {
  public typealias Loader = @Sendable (_ reference: String) throws -> NativeLanguageModel

  public var native: Loader?

  public init(native: Loader?) {
    self.native = native
  }

  public func load(_ reference: String) throws -> NativeLanguageModel {
    guard let native else {
      throw ConfigurationError(
        "\(reference): this build has no native decoder-LM runtime; use an engine ({engine: {base_url, model}}) "
          + "for log-probabilities")
    }
    return try native(reference)
  }

  /// What specs and commands use.
  public static let standard = LanguageModelResolver(native: nil)
}

/// Where an implicit reward's policy or reference runs.
public enum LanguageModelSource: Sendable, Equatable {
  /// A local model: directory, GGUF file or known name.
  case native(String)
  /// An OpenAI-compatible engine that echoes prompt log-probabilities (vLLM).
  case engine(EngineConfiguration)
}
