import Foundation

/// A byte-level BPE vocabulary and its ranked merges: one pre-tokenized piece (UTF-8 bytes) → ids,
/// merging the lowest-ranked adjacent pair first, leftmost on ties, as Hugging Face `tokenizers`.
struct BPEModel: Sendable {
  /// The id of each byte's one-character token (`-1` where the vocabulary has none).
  let byteTokens: [TokenID]
  /// (left id, right id) packed in a UInt64 → the merge's rank and the merged token's id.
  let merges: [UInt64: Merge]
  /// Byte-level spellings → ids, consulted whole before merging when `ignoreMerges` is set.
  let vocabulary: [String: TokenID]
  let ignoreMerges: Bool
  /// Set when consecutive unknown tokens fuse into one (`fuse_unk`).
  let unknownTokenID: TokenID?
  private let cache = PieceCache()

  struct Merge: Sendable {
    var rank: Int32
    var id: TokenID
  }

  init(
    vocabulary: [String: TokenID], merges: [(String, String)], ignoreMerges: Bool, byteFallback: Bool,
    unknownTokenID: TokenID? = nil, fuseUnknown: Bool = false
  ) throws(TokenizerError) {
    // A byte without a token becomes the unknown token, or (as `tokenizers` does when the model
    // has none) is left out: SmolLM2's vocabulary has no token for a few control bytes.
    var byteTokens = [TokenID](repeating: -1, count: 256)
    for byte in 0..<256 {
      if let id = vocabulary[String(ByteLevel.characters[byte])] {
        byteTokens[byte] = id
      } else if byteFallback, let id = vocabulary[String(format: "<0x%02X>", byte)] {
        byteTokens[byte] = id
      } else if let unknownTokenID {
        byteTokens[byte] = unknownTokenID
      }
    }
    self.unknownTokenID = fuseUnknown ? unknownTokenID : nil
    var table: [UInt64: Merge] = [:]
    table.reserveCapacity(merges.count)
    for (rank, (left, right)) in merges.enumerated() {
      guard let a = vocabulary[left], let b = vocabulary[right] else {
        throw TokenizerError(
          field: "model.merges[\(rank)]", "merge '\(left) \(right)' names a token that is not in the vocabulary")
      }
      guard let merged = vocabulary[left + right] else {
        throw TokenizerError(
          field: "model.merges[\(rank)]",
          "merge '\(left) \(right)' makes '\(left + right)', which is not in the vocabulary")
      }
      let key = Self.key(a, b)
      // A repeated merge keeps its first (best) rank, as `tokenizers` does.
      if table[key] == nil { table[key] = Merge(rank: Int32(rank), id: merged) }
    }
    self.byteTokens = byteTokens
    self.merges = table
    self.vocabulary = vocabulary
    self.ignoreMerges = ignoreMerges
  }

  @inline(__always) static func key(_ a: TokenID, _ b: TokenID) -> UInt64 {
    UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
  }

  /// The ids of one piece, appended to `ids`.
  func encode(_ piece: ArraySlice<UInt8>, into ids: inout [TokenID]) {
    if piece.count == 1 {
      let id = byteTokens[Int(piece.first!)]
      if id >= 0 { ids.append(id) }
      return
    }
    if let cached = cache.get(piece) {
      ids.append(contentsOf: cached)
      return
    }
    var result: [TokenID]
    if ignoreMerges, let whole = vocabulary[ByteLevel.spell(piece)] {
      result = [whole]
    } else {
      result = merge(piece)
    }
    cache.set(piece, result)
    ids.append(contentsOf: result)
  }

  /// Rank-ordered merging over a linked list of symbols, with a min-heap of candidate pairs keyed
  /// (rank, position); entries made stale by an earlier merge are skipped when popped.
  private func merge(_ piece: ArraySlice<UInt8>) -> [TokenID] {
    var symbols: [TokenID] = []
    symbols.reserveCapacity(piece.count)
    for byte in piece {
      let id = byteTokens[Int(byte)]
      guard id >= 0 else { continue }
      if let unknownTokenID, id == unknownTokenID, symbols.last == unknownTokenID { continue }
      symbols.append(id)
    }
    let n = symbols.count
    guard n > 1 else { return symbols }
    var next = Array(1...n)
    next[n - 1] = -1
    var previous = Array(-1..<(n - 1))
    var heap = MinHeap()
    for i in 0..<(n - 1) {
      if let merge = merges[Self.key(symbols[i], symbols[i + 1])] { heap.push(rank: merge.rank, position: i) }
    }
    while let (rank, position) = heap.pop() {
      let right = next[position]
      // Stale: the left symbol was merged away, or the pair at this position changed.
      guard symbols[position] >= 0, right >= 0,
        let merge = merges[Self.key(symbols[position], symbols[right])], merge.rank == rank
      else { continue }
      symbols[position] = merge.id
      symbols[right] = -1
      let after = next[right]
      next[position] = after
      if after >= 0 { previous[after] = position }
      let before = previous[position]
      if before >= 0, let m = merges[Self.key(symbols[before], merge.id)] { heap.push(rank: m.rank, position: before) }
      if after >= 0, let m = merges[Self.key(merge.id, symbols[after])] { heap.push(rank: m.rank, position: position) }
    }
    var result: [TokenID] = []
    var i = 0
    while i >= 0 {
      result.append(symbols[i])
      i = next[i]
    }
    return result
  }
}

/// A binary min-heap of (rank, position) packed into UInt64, so ties go to the leftmost pair.
private struct MinHeap {
  private var items: [UInt64] = []

  mutating func push(rank: Int32, position: Int) {
    items.append(UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(position))
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard items[i] < items[parent] else { break }
      items.swapAt(i, parent)
      i = parent
    }
  }

  mutating func pop() -> (rank: Int32, position: Int)? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var i = 0
      while true {
        let left = 2 * i + 1
        let right = left + 1
        var smallest = i
        if left < items.count, items[left] < items[smallest] { smallest = left }
        if right < items.count, items[right] < items[smallest] { smallest = right }
        if smallest == i { break }
        items.swapAt(i, smallest)
        i = smallest
      }
    }
    return (Int32(bitPattern: UInt32(top >> 32)), Int(top & 0xFFFF_FFFF))
  }
}

/// The ids of recently seen pieces: real text repeats its words, and merging is the costly part.
/// Bounded; cleared when full (as `tokenizers`' cache stops growing).
private final class PieceCache: @unchecked Sendable {
  private var entries: [ArraySlice<UInt8>: [TokenID]] = [:]
  private let lock = NSLock()
  private let capacity = 50_000

  func get(_ piece: ArraySlice<UInt8>) -> [TokenID]? {
    lock.lock()
    defer { lock.unlock() }
    return entries[piece]
  }

  func set(_ piece: ArraySlice<UInt8>, _ ids: [TokenID]) {
    guard piece.count <= 256 else { return }
    lock.lock()
    defer { lock.unlock() }
    if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
    entries[ArraySlice(Array(piece))] = ids
  }
}
