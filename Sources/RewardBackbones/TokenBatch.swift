/// Encodings padded to one length and laid out row-major (sequence by sequence), as the encoder
/// takes them. Padding positions have attention mask 0: no real token attends to them.
public struct TokenBatch: Sendable, Equatable {
  public let sequenceCount: Int
  public let sequenceLength: Int
  public let ids: [Int32]
  public let typeIDs: [Int32]
  public let attentionMask: [Int32]
  /// The mask as floats, to multiply attention probabilities by.
  let floatMask: [Float]
  private let extents: [Int]

  /// Pads each encoding on the right to the longest one (mask 0, id `paddingID`).
  public init(_ encodings: [Encoding], paddingID: Int32 = 0) {
    let length = encodings.map(\.count).max() ?? 0
    var ids: [Int32] = []
    var types: [Int32] = []
    var mask: [Int32] = []
    ids.reserveCapacity(length * encodings.count)
    types.reserveCapacity(length * encodings.count)
    mask.reserveCapacity(length * encodings.count)
    var extents: [Int] = []
    for encoding in encodings {
      let extra = length - encoding.count
      ids += encoding.ids + [Int32](repeating: paddingID, count: extra)
      types += encoding.typeIDs + [Int32](repeating: 0, count: extra)
      mask += encoding.attentionMask + [Int32](repeating: 0, count: extra)
      extents.append((encoding.attentionMask.lastIndex(of: 1) ?? -1) + 1)
    }
    sequenceCount = encodings.count
    sequenceLength = length
    self.ids = ids
    typeIDs = types
    attentionMask = mask
    floatMask = mask.map(Float.init)
    self.extents = extents
  }

  public var rowCount: Int { sequenceCount * sequenceLength }

  /// One past the last real token of a sequence: later positions are all padding.
  public func extent(of sequence: Int) -> Int { extents[sequence] }
}
