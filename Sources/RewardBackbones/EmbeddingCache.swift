import Foundation
import RewardCore

/// A 128-bit content key (two independently seeded stable hashes).
public struct EmbeddingKey: Hashable, Sendable {
  public var high: UInt64
  public var low: UInt64

  public init(_ parts: [String]) {
    var a = StableHasher(seed: 1)
    var b = StableHasher(seed: 2)
    for part in parts {
      a.combine(part)
      b.combine(part)
    }
    high = a.finalized
    low = b.finalized
  }

  init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }
}

/// Embeddings on disk, so a second run over the same texts does not re-encode them. One
/// append-only file per model and encoding setting: a 16-byte header ("RKEMBED1", dimension)
/// then fixed-size records (16-byte key, `dimension` float32s). Appends take an exclusive
/// `flock`, so concurrent runs can share a file; a torn last record (a killed run) is ignored
/// and overwritten. Existing records are memory-mapped, not read into memory.
public final class EmbeddingCache: @unchecked Sendable {
  public let path: String
  public let dimension: Int
  private static let magic = Array("RKEMBED1".utf8)
  private static let headerSize = 16
  private var recordSize: Int { 16 + 4 * dimension }
  private let lock = NSLock()
  private var stored: Data
  private var offsets: [EmbeddingKey: Int] = [:]
  private var added: [EmbeddingKey: [Float]] = [:]

  public init(path: String, dimension: Int) throws {
    precondition(dimension > 0)
    self.path = path
    self.dimension = dimension
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    stored = (try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)) ?? Data()
    guard stored.count >= Self.headerSize, Array(stored.prefix(8)) == Self.magic,
      Self.readDimension(stored) == dimension
    else {
      // Not ours or from another layout: a cache can always be rebuilt.
      stored = Data()
      if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
      return
    }
    var offset = Self.headerSize
    while offset + recordSize <= stored.count {
      offsets[key(at: offset)] = offset + 16
      offset += recordSize
    }
  }

  private struct SharedKey: Hashable, Sendable {
    var path: String
    var dimension: Int
  }
  private static let sharedCaches = SharedInstances<SharedKey, EmbeddingCache>()

  /// The process's one cache object for a file. Featurizers with the same model and settings use
  /// the same file; with one object each sees the vectors the others computed in this process
  /// (a second object would see only what was on disk when it opened, and compute them again).
  public static func shared(path: String, dimension: Int) throws -> EmbeddingCache {
    let path = URL(fileURLWithPath: path).standardizedFileURL.path
    return try sharedCaches.instance(for: SharedKey(path: path, dimension: dimension)) {
      try EmbeddingCache(path: path, dimension: dimension)
    }
  }

  /// Entries on disk and added in this process.
  public var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return offsets.count + added.count
  }

  public func lookup(_ key: EmbeddingKey) -> [Float]? {
    lock.lock()
    defer { lock.unlock() }
    if let vector = added[key] { return vector }
    guard let offset = offsets[key] else { return nil }
    return stored.withUnsafeBytes { raw in
      (0..<dimension).map {
        Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * $0, as: UInt32.self)))
      }
    }
  }

  /// Appends new entries to the file (and keeps them in memory for lookups).
  public func store(_ entries: [(key: EmbeddingKey, vector: [Float])]) throws {
    let fresh = entries.filter { $0.vector.count == dimension }
    guard !fresh.isEmpty else { return }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(fresh.count * recordSize)
    for (key, vector) in fresh {
      Self.append(key.high, to: &bytes)
      Self.append(key.low, to: &bytes)
      for value in vector { Self.append(value.bitPattern, to: &bytes) }
    }
    lock.lock()
    defer { lock.unlock() }
    try appendToFile(bytes)
    for (key, vector) in fresh { added[key] = vector }
  }

  private func appendToFile(_ records: [UInt8]) throws {
    let descriptor = open(path, O_RDWR | O_CREAT, 0o644)
    guard descriptor >= 0 else { throw ConfigurationError("cannot open the embedding cache \(path) (errno \(errno))") }
    defer { close(descriptor) }
    flock(descriptor, LOCK_EX)
    defer { flock(descriptor, LOCK_UN) }
    var size = Int(lseek(descriptor, 0, SEEK_END))
    if size < Self.headerSize {
      var header = Self.magic
      Self.append(UInt32(dimension), to: &header)
      Self.append(UInt32(0), to: &header)
      guard ftruncate(descriptor, 0) == 0, pwrite(descriptor, header, header.count, 0) == header.count else {
        throw ConfigurationError("cannot write the embedding cache \(path) (errno \(errno))")
      }
      size = Self.headerSize
    }
    // Drop a torn record left by an interrupted run, so every record stays aligned.
    let aligned = Self.headerSize + (size - Self.headerSize) / recordSize * recordSize
    if aligned != size { _ = ftruncate(descriptor, off_t(aligned)) }
    let written = records.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(aligned)) }
    guard written == records.count else {
      throw ConfigurationError("cannot append to the embedding cache \(path) (errno \(errno))")
    }
  }

  private func key(at offset: Int) -> EmbeddingKey {
    stored.withUnsafeBytes { raw in
      EmbeddingKey(
        high: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
        low: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }
  }

  private static func readDimension(_ data: Data) -> Int {
    data.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self))) }
  }

  private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }
}
