/// 64-bit FNV-1a with a seed folded into the offset basis: stable across runs and platforms
/// (unlike Swift's `Hasher`, which is randomly seeded per process), as feature hashing and
/// content hashes in checkpoints need.
public struct StableHasher: Sendable {
  public var value: UInt64

  public init(seed: UInt64 = 0) {
    value = 0xCBF2_9CE4_8422_2325 ^ (seed &* 0x9E37_79B9_7F4A_7C15)
  }

  @inlinable
  public mutating func combine(byte: UInt8) {
    value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
  }

  public mutating func combine<S: Sequence>(bytes: S) where S.Element == UInt8 {
    for byte in bytes { combine(byte: byte) }
  }

  public mutating func combine(_ string: String) {
    combine(bytes: string.utf8)
    combine(byte: 0xFF)  // a separator no UTF-8 text contains, so "ab"+"c" ≠ "a"+"bc"
  }

  /// A final avalanche (from SplitMix64) so that low bits are well mixed for `% buckets`.
  public var finalized: UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  public var hexDigest: String {
    let hex = String(finalized, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
