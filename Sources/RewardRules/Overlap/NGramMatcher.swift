/// Clipped n-gram match counts (Σ over n-grams of min(hypothesis count, reference count)) between
/// two id sequences, exactly. When `order` ids fit in one 64-bit key (ids nonzero, below
/// 2^bitsPerID, order × bitsPerID ≤ 64) it counts in a flat open-addressing table with a
/// multiplicative hash; otherwise it falls back to a dictionary of two-word keys. The flat table is
/// what makes BLEU and chrF an order of magnitude faster than sacreBLEU.
enum NGramMatcher {
  static func clippedMatches(hypothesis: [UInt64], reference: [UInt64], order: Int, bitsPerID: Int) -> Int {
    guard hypothesis.count >= order, reference.count >= order else { return 0 }
    guard order * bitsPerID <= 64 else {
      return dictionaryMatches(hypothesis: hypothesis, reference: reference, order: order, bitsPerID: bitsPerID)
    }
    let referenceGrams = reference.count - order + 1
    let hypothesisGrams = hypothesis.count - order + 1
    var capacity = 16
    while capacity < 2 * (referenceGrams + hypothesisGrams) { capacity <<= 1 }
    let shift = UInt64(64 - capacity.trailingZeroBitCount)
    let mask = capacity - 1
    var keys = [UInt64](repeating: 0, count: capacity)
    var referenceCounts = [Int32](repeating: 0, count: capacity)
    var matches = 0
    keys.withUnsafeMutableBufferPointer { keys in
      referenceCounts.withUnsafeMutableBufferPointer { counts in
        @inline(__always) func slot(_ key: UInt64) -> Int {
          var index = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
          while keys[index] != 0 && keys[index] != key { index = (index + 1) & mask }
          return index
        }
        let width = UInt64(bitsPerID)
        reference.withUnsafeBufferPointer { ids in
          for start in 0..<referenceGrams {
            var key: UInt64 = 0
            for k in 0..<order { key = (key << width) | ids[start + k] }
            let index = slot(key)
            keys[index] = key
            counts[index] += 1
          }
        }
        // Each hypothesis n-gram consumes one remaining reference occurrence: Σ min(h, r).
        hypothesis.withUnsafeBufferPointer { ids in
          for start in 0..<hypothesisGrams {
            var key: UInt64 = 0
            for k in 0..<order { key = (key << width) | ids[start + k] }
            let index = slot(key)
            if keys[index] == key, counts[index] > 0 {
              counts[index] -= 1
              matches += 1
            }
          }
        }
      }
    }
    return matches
  }

  private static func dictionaryMatches(hypothesis: [UInt64], reference: [UInt64], order: Int, bitsPerID: Int) -> Int {
    let referenceCounts = NGramCounter.count(reference, order: order, bitsPerID: UInt64(bitsPerID))
    var matched = 0
    for (gram, count) in NGramCounter.count(hypothesis, order: order, bitsPerID: UInt64(bitsPerID)) {
      if let referenceCount = referenceCounts[gram] { matched += min(count, referenceCount) }
    }
    return matched
  }

  /// Bits needed for ids 1...maximum.
  static func bits(forMaximumID maximum: UInt64) -> Int { max(1, 64 - maximum.leadingZeroBitCount) }
}
