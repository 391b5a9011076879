// Mistral (Jiang et al. 2023) as transformers' `MistralModel`: a Llama whose attention may be
// limited to a sliding window (`sliding_window`: a token attends to itself and the window − 1
// tokens before it; null in later releases). Its GGUFs use llama.cpp's `llama` architecture, Q/K
// rows permuted.

extension DecoderArchitecture {
  public static let mistral = DecoderArchitecture(
    alwaysBiasesQueryKeyValue: false, attentionBiasCoversOutput: true, normalizesQueryKey: false,
    ggufPermutesQueryKey: true, slidingWindow: .whenSet)
}
