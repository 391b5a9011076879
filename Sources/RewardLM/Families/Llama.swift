import Foundation

// Llama (Touvron et al. 2023; Llama 3, Grattafiori et al. 2024) as transformers' `LlamaModel`:
// pre-norm layers, grouped-query attention with RoPE, SiLU-gated MLP, RMSNorm. SmolLM2 is a
// Llama. Llama 3.1 scales RoPE frequencies for long contexts (`rope_type: llama3`); its GGUFs
// carry the same scaling as a `rope_freqs` tensor of per-frequency divisors.

extension DecoderArchitecture {
  /// `attention_bias` biases q, k, v and o; llama.cpp stores Q/K rows permuted.
  public static let llama = DecoderArchitecture(
    alwaysBiasesQueryKeyValue: false, attentionBiasCoversOutput: true, normalizesQueryKey: false,
    ggufPermutesQueryKey: true, slidingWindow: .none)
}

/// Llama 3's long-context frequency scaling (`rope_type: llama3`).
public struct Llama3RoPEScaling: Sendable, Equatable {
  public var factor: Double
  public var lowFrequencyFactor: Double
  public var highFrequencyFactor: Double
  public var originalContextLength: Double

  /// Llama 3.1's rule, in float32 as transformers computes it: wavelengths longer than
  /// `original / low` are divided by `factor`, shorter than `original / high` kept, and the band
  /// between interpolated smoothly.
  func scale(_ frequencies: [Float]) -> [Float] {
    let lowWavelength = Float(originalContextLength / lowFrequencyFactor)
    let highWavelength = Float(originalContextLength / highFrequencyFactor)
    let factor = Float(self.factor)
    return frequencies.map { frequency in
      let wavelength = 2 * Float.pi / frequency
      let scaled = wavelength > lowWavelength ? frequency / factor : frequency
      guard !(wavelength < highWavelength), !(wavelength > lowWavelength) else { return scaled }
      let smooth =
        (Float(originalContextLength) / wavelength - Float(lowFrequencyFactor))
        / Float(highFrequencyFactor - lowFrequencyFactor)
      return (1 - smooth) * scaled / factor + smooth * scaled
    }
  }
}
