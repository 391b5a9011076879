// Widening of stored weights to Float32: half precision and ggml's quantised blocks. The block
// layouts follow ggml's reference (de)quantisation (ggml-quants.c: block_q4_0 … block_q6_K); each
// function reads whole blocks from `source` and writes `blockSize` floats per block.

/// Half → float for every 16-bit pattern, built once (256 KiB): a table lookup beats converting
/// each scale and weight.
let halfToFloat: [Float] = (0...UInt16.max).map { Float(Float16(bitPattern: $0)) }

extension GGMLType {
  /// The types RewardKit widens to Float32 (the others open but cannot be used as weights).
  public static let dequantizable: [GGMLType] = [
    .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K,
  ]

  public var isDequantizable: Bool { Self.dequantizable.contains(self) }
}

enum Dequantization {
  /// Widens `count` elements (a multiple of the type's block size) from `source` to `destination`.
  /// The caller has checked the type is dequantizable and the bytes are in bounds.
  static func widen(
    _ type: GGMLType, _ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>
  ) {
    halfToFloat.withUnsafeBufferPointer { table in
      let half = table.baseAddress!
      let blocks = count / type.blockSize
      switch type {
      case .f32:
        destination.update(from: source.assumingMemoryBound(to: Float.self), count: count)
      case .f16:
        for i in 0..<count { destination[i] = half[Int(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))] }
      case .bf16:
        for i in 0..<count {
          destination[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
        }
      case .q4_0: for b in 0..<blocks { q4_0(source + 18 * b, destination + 32 * b, half) }
      case .q4_1: for b in 0..<blocks { q4_1(source + 20 * b, destination + 32 * b, half) }
      case .q5_0: for b in 0..<blocks { q5_0(source + 22 * b, destination + 32 * b, half) }
      case .q5_1: for b in 0..<blocks { q5_1(source + 24 * b, destination + 32 * b, half) }
      case .q8_0: for b in 0..<blocks { q8_0(source + 34 * b, destination + 32 * b, half) }
      case .q4_K: for b in 0..<blocks { q4_K(source + 144 * b, destination + 256 * b, half) }
      case .q5_K: for b in 0..<blocks { q5_K(source + 176 * b, destination + 256 * b, half) }
      case .q6_K: for b in 0..<blocks { q6_K(source + 210 * b, destination + 256 * b, half) }
      default: preconditionFailure("\(type.name) is not dequantizable (checked when the weights were loaded)")
      }
    }
  }

  @inline(__always)
  static func scale(_ p: UnsafeRawPointer, _ offset: Int, _ half: UnsafePointer<Float>) -> Float {
    half[Int(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))]
  }

  /// d (f16), 16 bytes of 4-bit values: low nibbles are elements 0–15, high nibbles 16–31; x = (q − 8)·d.
  static func q4_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 0, half)
    let q = (p + 2).assumingMemoryBound(to: UInt8.self)
    for j in 0..<16 {
      y[j] = Float(Int(q[j] & 0x0F) - 8) * d
      y[j + 16] = Float(Int(q[j] >> 4) - 8) * d
    }
  }

  /// d, m (f16), 16 bytes of nibbles; x = q·d + m.
  static func q4_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 0, half)
    let m = scale(p, 2, half)
    let q = (p + 4).assumingMemoryBound(to: UInt8.self)
    for j in 0..<16 {
      y[j] = Float(q[j] & 0x0F) * d + m
      y[j + 16] = Float(q[j] >> 4) * d + m
    }
  }

  /// d (f16), 32 fifth bits (uint32), 16 bytes of nibbles; x = (q | bit·16 − 16)·d.
  static func q5_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 0, half)
    let high = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
    let q = (p + 6).assumingMemoryBound(to: UInt8.self)
    for j in 0..<16 {
      let h0 = Int((high >> UInt32(j)) << 4) & 0x10
      let h1 = Int(high >> UInt32(j + 12)) & 0x10
      y[j] = Float((Int(q[j] & 0x0F) | h0) - 16) * d
      y[j + 16] = Float((Int(q[j] >> 4) | h1) - 16) * d
    }
  }

  /// d, m (f16), fifth bits, nibbles; x = (q | bit·16)·d + m.
  static func q5_1(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 0, half)
    let m = scale(p, 2, half)
    let high = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    let q = (p + 8).assumingMemoryBound(to: UInt8.self)
    for j in 0..<16 {
      let h0 = Int((high >> UInt32(j)) << 4) & 0x10
      let h1 = Int(high >> UInt32(j + 12)) & 0x10
      y[j] = Float(Int(q[j] & 0x0F) | h0) * d + m
      y[j + 16] = Float(Int(q[j] >> 4) | h1) * d + m
    }
  }

  /// d (f16), 32 signed bytes; x = q·d.
  static func q8_0(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 0, half)
    let q = (p + 2).assumingMemoryBound(to: Int8.self)
    for j in 0..<32 { y[j] = Float(q[j]) * d }
  }

  /// The 6-bit scale and min of sub-block `j` (0–7) packed in the 12 bytes of a Q4_K/Q5_K block.
  @inline(__always)
  static func scaleAndMin(_ j: Int, _ s: UnsafePointer<UInt8>) -> (Float, Float) {
    if j < 4 { return (Float(s[j] & 63), Float(s[j + 4] & 63)) }
    return (
      Float((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4)), Float((s[j + 4] >> 4) | ((s[j] >> 6) << 4))
    )
  }

  /// d, dmin (f16), 12 bytes of packed 6-bit scales/mins, 128 bytes of nibbles: 8 sub-blocks of
  /// 32, in pairs sharing 32 bytes (low nibbles first); x = d·sc·q − dmin·m.
  static func q4_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 0, half)
    let dmin = scale(p, 2, half)
    let scales = (p + 4).assumingMemoryBound(to: UInt8.self)
    let q = (p + 16).assumingMemoryBound(to: UInt8.self)
    for pair in 0..<4 {
      let (sc1, m1) = scaleAndMin(2 * pair, scales)
      let (sc2, m2) = scaleAndMin(2 * pair + 1, scales)
      let (d1, o1, d2, o2) = (d * sc1, dmin * m1, d * sc2, dmin * m2)
      let bytes = q + 32 * pair
      let out = y + 64 * pair
      for l in 0..<32 {
        out[l] = d1 * Float(bytes[l] & 0x0F) - o1
        out[l + 32] = d2 * Float(bytes[l] >> 4) - o2
      }
    }
  }

  /// As Q4_K plus 32 bytes of fifth bits (bit 2·pair for the low half, 2·pair+1 for the high).
  static func q5_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 0, half)
    let dmin = scale(p, 2, half)
    let scales = (p + 4).assumingMemoryBound(to: UInt8.self)
    let high = (p + 16).assumingMemoryBound(to: UInt8.self)
    let q = (p + 48).assumingMemoryBound(to: UInt8.self)
    for pair in 0..<4 {
      let (sc1, m1) = scaleAndMin(2 * pair, scales)
      let (sc2, m2) = scaleAndMin(2 * pair + 1, scales)
      let (d1, o1, d2, o2) = (d * sc1, dmin * m1, d * sc2, dmin * m2)
      let bit1 = UInt8(1) << UInt8(2 * pair)
      let bit2 = UInt8(2) << UInt8(2 * pair)
      let bytes = q + 32 * pair
      let out = y + 64 * pair
      for l in 0..<32 {
        out[l] = d1 * Float((bytes[l] & 0x0F) + (high[l] & bit1 != 0 ? 16 : 0)) - o1
        out[l + 32] = d2 * Float((bytes[l] >> 4) + (high[l] & bit2 != 0 ? 16 : 0)) - o2
      }
    }
  }

  /// 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed 8-bit scales, d (f16): two
  /// halves of 128, each four runs of 32 with a scale per 16; x = d·sc·(q − 32).
  static func q6_K(_ p: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ half: UnsafePointer<Float>) {
    let d = scale(p, 208, half)
    for part in 0..<2 {
      let low = (p + 64 * part).assumingMemoryBound(to: UInt8.self)
      let high = (p + 128 + 32 * part).assumingMemoryBound(to: UInt8.self)
      let scales = (p + 192 + 8 * part).assumingMemoryBound(to: Int8.self)
      let out = y + 128 * part
      for l in 0..<32 {
        let s = l / 16
        let q1 = Int((low[l] & 0x0F) | ((high[l] & 3) << 4)) - 32
        let q2 = Int((low[l + 32] & 0x0F) | (((high[l] >> 2) & 3) << 4)) - 32
        let q3 = Int((low[l] >> 4) | (((high[l] >> 4) & 3) << 4)) - 32
        let q4 = Int((low[l + 32] >> 4) | (((high[l] >> 6) & 3) << 4)) - 32
        out[l] = d * Float(scales[s]) * Float(q1)
        out[l + 32] = d * Float(scales[s + 2]) * Float(q2)
        out[l + 64] = d * Float(scales[s + 4]) * Float(q3)
        out[l + 96] = d * Float(scales[s + 6]) * Float(q4)
      }
    }
  }
}
