import Foundation

/// Process-wide instances keyed by what makes two of them interchangeable (a model file's
/// fingerprint and settings), so that every model loaded in one process that needs the same
/// backbone, cache or featurizer gets the one already made: `reward eval --model A --model B`
/// with two heads on one backbone loads its weights once and encodes each text once.
///
/// `make` runs under the lock, so two threads asking for the same key never build it twice
/// (loading is slow and memory-heavy); it must not ask the same registry for another key.
/// Entries live as long as the process, like the models that use them.
public final class SharedInstances<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Key: Value] = [:]

  public init() {}

  /// The instance for `key`, made by `make` the first time it is asked for. A failed `make`
  /// leaves nothing behind, so the next call tries again.
  public func instance(for key: Key, make: () throws -> Value) rethrows -> Value {
    lock.lock()
    defer { lock.unlock() }
    if let value = values[key] { return value }
    let value = try make()
    values[key] = value
    return value
  }

  /// How many instances exist (for tests).
  public var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return values.count
  }
}
