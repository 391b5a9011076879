// Qwen3 (Qwen team 2025) as transformers' `Qwen3Model`: a Llama with RMSNorm over each head's
// query and key (`q_norm`, `k_norm`, weights of head_dim) before RoPE, an explicit `head_dim`, and
// no q/k/v biases unless `attention_bias` says so (then o too).

extension DecoderArchitecture {
  public static let qwen3 = DecoderArchitecture(
    alwaysBiasesQueryKeyValue: false, attentionBiasCoversOutput: true, normalizesQueryKey: true,
    ggufPermutesQueryKey: false, slidingWindow: .refusedWhenEnabled)
}
