/// What sets one decoder family apart on top of the shared core (`DecoderModel`): each family's
/// file (Llama.swift, Qwen2.swift, Qwen3.swift, Mistral.swift) defines its value.
public struct DecoderArchitecture: Sendable, Equatable {
  /// q/k/v projections carry biases whatever `attention_bias` says.
  public var alwaysBiasesQueryKeyValue: Bool
  /// With `attention_bias: true`, the output projection has a bias too.
  public var attentionBiasCoversOutput: Bool
  /// RMSNorm over each head's query and key before RoPE.
  public var normalizesQueryKey: Bool
  /// llama.cpp's converter permutes this family's Q/K rows for interleaved RoPE.
  public var ggufPermutesQueryKey: Bool
  public var slidingWindow: SlidingWindowRule

  /// How `sliding_window` in config.json is honoured.
  public enum SlidingWindowRule: Sendable, Equatable {
    /// The family has no sliding window.
    case none
    /// A token attends to itself and the `sliding_window − 1` before it, when the key is set.
    case whenSet
    /// Windows apply to some layers only (`use_sliding_window`): refused when enabled.
    case refusedWhenEnabled
  }
}

extension DecoderFamily {
  public var architecture: DecoderArchitecture {
    switch self {
    case .llama: .llama
    case .qwen2: .qwen2
    case .qwen3: .qwen3
    case .mistral: .mistral
    }
  }
}
