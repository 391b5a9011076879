import Foundation

/// A whole file mapped read-only into memory: weights are read in place, so a model costs its
/// file's pages (shared with the page cache) rather than a private copy. The mapping lives as
/// long as this object; pointers into it must not outlive it.
public final class MappedFile: @unchecked Sendable {
  public let path: String
  public let count: Int
  /// The first byte (never nil: an empty file maps a 1-byte dummy so pointers stay valid).
  public let base: UnsafeRawPointer
  private let mapping: UnsafeMutableRawPointer?

  /// Errors name the file and the system's reason.
  public init(path: String) throws(LanguageModelError) {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw LanguageModelError(file: path, "cannot open the file (\(String(cString: strerror(errno))))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw LanguageModelError(file: path, "cannot read the file's size (\(String(cString: strerror(errno))))")
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else { throw LanguageModelError(file: path, "not a regular file") }
    self.path = path
    count = Int(status.st_size)
    if count == 0 {
      mapping = nil
      base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64))
      return
    }
    guard let pointer = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), pointer != MAP_FAILED else {
      throw LanguageModelError(file: path, "cannot map the file (\(String(cString: strerror(errno))))")
    }
    mapping = pointer
    base = UnsafeRawPointer(pointer)
  }

  deinit {
    if let mapping {
      munmap(mapping, count)
    } else {
      UnsafeMutableRawPointer(mutating: base).deallocate()
    }
  }

  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// A problem with a language model's files or configuration: names the file, the key or tensor,
/// and what was expected.
public struct LanguageModelError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  /// The metadata key, config field or tensor name the problem is about.
  public var field: String?
  public var message: String

  public init(file: String, field: String? = nil, _ message: String) {
    self.file = file
    self.field = field
    self.message = message
  }

  public var description: String {
    if let field { return "\(file): '\(field)': \(message)" }
    return "\(file): \(message)"
  }
}
