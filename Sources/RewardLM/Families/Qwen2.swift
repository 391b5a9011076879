// Qwen2 / Qwen2.5 (Yang et al. 2024) as transformers' `Qwen2Model`: a Llama with biases on the
// q, k and v projections (always; not on o). Its sliding window applies to some layers only and is
// off in released checkpoints; a config that enables it is refused. Qwen GGUFs keep Hugging
// Face's Q/K layout (llama.cpp runs them with NeoX-style RoPE).

extension DecoderArchitecture {
  public static let qwen2 = DecoderArchitecture(
    alwaysBiasesQueryKeyValue: true, attentionBiasCoversOutput: false, normalizesQueryKey: false,
    ggufPermutesQueryKey: false, slidingWindow: .refusedWhenEnabled)
}
