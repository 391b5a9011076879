import Foundation

// GGUF, llama.cpp's model file (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
//   "GGUF" magic, uint32 version (2 or 3), uint64 tensor count, uint64 metadata count,
//   metadata: (string key, uint32 value type, value)…, tensor infos: (string name, uint32 n_dims,
//   uint64 dims[n_dims] fastest first, uint32 ggml type, uint64 offset)…, padding to
//   `general.alignment` (default 32), then the data section the offsets point into.
// Strings are a uint64 length and UTF-8 bytes; everything is little-endian.

/// A GGUF metadata value type, numbered as in the file.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
  case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

  /// Bytes of one value in the file (strings and arrays: at least their length field).
  var minimumSize: Int {
    switch self {
    case .uint8, .int8, .bool: 1
    case .uint16, .int16: 2
    case .uint32, .int32, .float32: 4
    case .uint64, .int64, .float64, .string: 8
    case .array: 12
    }
  }
}

/// One metadata value.
public enum GGUFValue: Sendable, Equatable {
  case unsigned(UInt64, GGUFValueType)
  case signed(Int64, GGUFValueType)
  case float(Double, GGUFValueType)
  case bool(Bool)
  case string(String)
  case array(GGUFValueType, [GGUFValue])

  public var type: GGUFValueType {
    switch self {
    case .unsigned(_, let type), .signed(_, let type), .float(_, let type): type
    case .bool: .bool
    case .string: .string
    case .array: .array
    }
  }

  /// The value as an `Int` when it is an integer that fits.
  public var integerValue: Int? {
    switch self {
    case .unsigned(let value, _): value <= UInt64(Int.max) ? Int(value) : nil
    case .signed(let value, _): Int(value)
    default: nil
    }
  }

  var typeName: String {
    if case .array(let element, _) = self { return "array of \(element)" }
    return "\(type)"
  }
}

/// The element type of a GGUF tensor (ggml's `ggml_type`), with its block layout: `blockSize`
/// elements are stored in `blockBytes` bytes. Types RewardKit cannot dequantise are still known
/// here so that the file opens and the error names the tensor that uses one.
public enum GGMLType: UInt32, Sendable, CaseIterable {
  case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
  case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
  case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
  case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30

  public var blockSize: Int {
    switch self {
    case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: 1
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl: 32
    default: 256
    }
  }

  public var blockBytes: Int {
    switch self {
    case .f32, .i32: 4
    case .f16, .bf16, .i16: 2
    case .f64, .i64: 8
    case .i8: 1
    case .q4_0, .iq4_nl: 18
    case .q4_1: 20
    case .q5_0: 22
    case .q5_1: 24
    case .q8_0: 34
    case .q8_1: 36
    case .q2_K: 84
    case .q3_K: 110
    case .q4_K: 144
    case .q5_K: 176
    case .q6_K: 210
    case .q8_K: 292
    case .iq2_xxs: 66
    case .iq2_xs: 74
    case .iq3_xxs: 98
    case .iq1_s: 50
    case .iq3_s: 110
    case .iq2_s: 82
    case .iq4_xs: 136
    case .iq1_m: 56
    }
  }

  /// The name llama.cpp prints (F32, Q4_K, BF16, …).
  public var name: String { String(describing: self).uppercased() }
}

/// Where one tensor lives in a GGUF file.
public struct GGUFTensorInfo: Sendable, Equatable {
  public var name: String
  /// Dimensions as the file stores them, fastest-varying first (ggml's `ne`).
  public var dimensions: [Int]
  public var type: GGMLType
  /// Byte offset from the start of the data section.
  public var offset: Int
  public var byteCount: Int

  /// Dimensions slowest first, as PyTorch writes shapes: a weight of `ne = [in, out]` is `[out, in]`.
  public var shape: [Int] { dimensions.reversed() }
  public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A GGUF file, memory-mapped and validated when opened: every count, length and offset is
/// checked against the file's size before it is used, so a truncated or hostile file is an error
/// naming the key or tensor, never a crash or a huge allocation.
public struct GGUFFile: Sendable {
  public static let defaultAlignment = 32
  /// ggml's limit on tensor dimensions.
  static let maximumDimensions = 4

  public let path: String
  public let version: Int
  /// Metadata in file order (keys are unique).
  public let metadataKeys: [String]
  public let metadata: [String: GGUFValue]
  /// Tensors in file order.
  public let tensors: [GGUFTensorInfo]
  public let alignment: Int
  /// Byte offset of the data section in the file.
  public let dataOffset: Int
  public let file: MappedFile
  private let index: [String: Int]

  public init(path: String) throws(LanguageModelError) {
    try self.init(file: try MappedFile(path: path))
  }

  public init(file: MappedFile) throws(LanguageModelError) {
    let path = file.path
    var reader = GGUFCursor(bytes: file.bytes, path: path)
    let magic = try reader.bytes(4, what: "the magic number")
    guard Array(magic) == Array("GGUF".utf8) else {
      throw LanguageModelError(
        file: path,
        "not a GGUF file (it starts with \(Array(magic).map { String(format: "%02x", $0) }.joined(separator: " ")), "
          + "expected the magic 'GGUF')")
    }
    let version = try reader.uint32(what: "the version")
    guard version == 2 || version == 3 else {
      let hint = version.byteSwapped == 2 || version.byteSwapped == 3 ? " (a big-endian file, not supported)" : ""
      throw LanguageModelError(file: path, "unsupported GGUF version \(version)\(hint) (supported: 2, 3)")
    }
    let tensorCount = try reader.uint64(what: "the tensor count")
    let metadataCount = try reader.uint64(what: "the metadata count")
    // Each entry takes at least a length-prefixed name and its type: more entries than the file
    // could hold is a corrupt header, refused before anything is allocated.
    guard metadataCount <= UInt64(reader.remaining / 13) else {
      throw LanguageModelError(
        file: path, "metadata count \(metadataCount) is impossible for a file of \(file.count) bytes")
    }
    var keys: [String] = []
    var metadata: [String: GGUFValue] = [:]
    for entry in 0..<Int(metadataCount) {
      let key = try reader.string(what: "the key of metadata entry \(entry)")
      let rawType = try reader.uint32(what: "the type of '\(key)'", field: key)
      guard let type = GGUFValueType(rawValue: rawType) else {
        throw LanguageModelError(file: path, field: key, "unknown metadata value type \(rawType)")
      }
      let value = try reader.value(of: type, key: key, depth: 0)
      guard metadata.updateValue(value, forKey: key) == nil else {
        throw LanguageModelError(file: path, field: key, "duplicate metadata key")
      }
      keys.append(key)
    }
    var alignment = Self.defaultAlignment
    if let value = metadata["general.alignment"] {
      guard case .unsigned(let n, .uint32) = value, n > 0, n & (n - 1) == 0, n <= 1 << 20 else {
        throw LanguageModelError(
          file: path, field: "general.alignment", "expected a power of two as uint32, found \(value)")
      }
      alignment = Int(n)
    }
    guard tensorCount <= UInt64(reader.remaining / 24) else {
      throw LanguageModelError(
        file: path, "tensor count \(tensorCount) is impossible for a file of \(file.count) bytes")
    }
    var tensors: [GGUFTensorInfo] = []
    var index: [String: Int] = [:]
    for number in 0..<Int(tensorCount) {
      let name = try reader.string(what: "the name of tensor \(number)")
      let dimensionCount = try reader.uint32(what: "the dimension count", field: name)
      guard dimensionCount >= 1, dimensionCount <= Self.maximumDimensions else {
        throw LanguageModelError(
          file: path, field: name, "\(dimensionCount) dimensions (expected 1 to \(Self.maximumDimensions))")
      }
      var dimensions: [Int] = []
      var elements = 1
      for _ in 0..<dimensionCount {
        let dimension = try reader.uint64(what: "a dimension", field: name)
        guard dimension > 0, dimension < 1 << 40 else {
          throw LanguageModelError(file: path, field: name, "dimension \(dimension) is out of range")
        }
        let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dimension))
        guard !overflow, product < 1 << 48 else {
          throw LanguageModelError(file: path, field: name, "too many elements (\(dimensions + [Int(dimension)]))")
        }
        elements = product
        dimensions.append(Int(dimension))
      }
      let rawType = try reader.uint32(what: "the tensor type", field: name)
      guard let type = GGMLType(rawValue: rawType) else {
        throw LanguageModelError(file: path, field: name, "unknown tensor type \(rawType)")
      }
      guard dimensions[0] % type.blockSize == 0 else {
        throw LanguageModelError(
          file: path, field: name,
          "first dimension \(dimensions[0]) is not a multiple of \(type.name)'s block of \(type.blockSize)")
      }
      let offset = try reader.uint64(what: "the data offset", field: name)
      guard offset % UInt64(alignment) == 0 else {
        throw LanguageModelError(file: path, field: name, "data offset \(offset) is not aligned to \(alignment)")
      }
      guard offset < UInt64(file.count) else {
        throw LanguageModelError(file: path, field: name, "data offset \(offset) is beyond the file's end")
      }
      guard index.updateValue(tensors.count, forKey: name) == nil else {
        throw LanguageModelError(file: path, field: name, "duplicate tensor name")
      }
      tensors.append(
        GGUFTensorInfo(
          name: name, dimensions: dimensions, type: type, offset: Int(offset),
          byteCount: elements / type.blockSize * type.blockBytes))
    }
    let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
    for tensor in tensors {
      let end = dataOffset + tensor.offset + tensor.byteCount
      guard end <= file.count else {
        throw LanguageModelError(
          file: path, field: tensor.name,
          "data [\(dataOffset + tensor.offset), \(end)) goes beyond the end of the file (\(file.count) bytes): "
            + "the file is truncated or corrupt")
      }
    }
    self.path = path
    self.version = Int(version)
    metadataKeys = keys
    self.metadata = metadata
    self.tensors = tensors
    self.alignment = alignment
    self.dataOffset = dataOffset
    self.file = file
    self.index = index
  }

  public func tensor(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

  /// The bytes of a tensor's data, valid while this file (its mapping) lives.
  public func data(of tensor: GGUFTensorInfo) -> UnsafeRawPointer {
    file.base + dataOffset + tensor.offset
  }

  // MARK: Typed metadata access: nil when absent, an error naming the key when of another type.

  func wrongType(_ key: String, _ expected: String, _ value: GGUFValue) -> LanguageModelError {
    LanguageModelError(file: path, field: key, "expected \(expected), found \(value.typeName)")
  }

  public func string(_ key: String) throws(LanguageModelError) -> String? {
    guard let value = metadata[key] else { return nil }
    guard case .string(let text) = value else { throw wrongType(key, "a string", value) }
    return text
  }

  /// Any integer type, as `Int` (a uint64 beyond `Int.max` is an error).
  public func integer(_ key: String) throws(LanguageModelError) -> Int? {
    guard let value = metadata[key] else { return nil }
    guard let number = value.integerValue else { throw wrongType(key, "an integer", value) }
    return number
  }

  /// float32 or float64 (integers are accepted too: some converters write whole numbers so).
  public func float(_ key: String) throws(LanguageModelError) -> Double? {
    guard let value = metadata[key] else { return nil }
    if case .float(let number, _) = value { return number }
    if let number = value.integerValue { return Double(number) }
    throw wrongType(key, "a number", value)
  }

  public func bool(_ key: String) throws(LanguageModelError) -> Bool? {
    guard let value = metadata[key] else { return nil }
    guard case .bool(let flag) = value else { throw wrongType(key, "a bool", value) }
    return flag
  }

  public func strings(_ key: String) throws(LanguageModelError) -> [String]? {
    guard let value = metadata[key] else { return nil }
    guard case .array(.string, let items) = value else { throw wrongType(key, "an array of strings", value) }
    return items.map { if case .string(let text) = $0 { text } else { "" } }
  }

  public func integers(_ key: String) throws(LanguageModelError) -> [Int]? {
    guard let value = metadata[key] else { return nil }
    guard case .array(_, let items) = value else { throw wrongType(key, "an array of integers", value) }
    var numbers: [Int] = []
    numbers.reserveCapacity(items.count)
    for item in items {
      guard let number = item.integerValue else { throw wrongType(key, "an array of integers", value) }
      numbers.append(number)
    }
    return numbers
  }

  public func floats(_ key: String) throws(LanguageModelError) -> [Double]? {
    guard let value = metadata[key] else { return nil }
    guard case .array(_, let items) = value else { throw wrongType(key, "an array of numbers", value) }
    var numbers: [Double] = []
    numbers.reserveCapacity(items.count)
    for item in items {
      if case .float(let number, _) = item {
        numbers.append(number)
      } else if let number = item.integerValue {
        numbers.append(Double(number))
      } else {
        throw wrongType(key, "an array of numbers", value)
      }
    }
    return numbers
  }

  /// A key that must be present: `required("llama.block_count", integer)`.
  public func required<T>(_ key: String, _ read: (String) throws(LanguageModelError) -> T?) throws(LanguageModelError)
    -> T
  {
    guard let value = try read(key) else { throw LanguageModelError(file: path, field: key, "missing metadata key") }
    return value
  }
}

/// Reads GGUF's little-endian fields with every length checked against what is left.
struct GGUFCursor {
  let bytes: UnsafeRawBufferPointer
  let path: String
  var offset = 0
  /// Nested arrays deeper than this are refused (no real file nests at all).
  static let maximumDepth = 4

  init(bytes: UnsafeRawBufferPointer, path: String) {
    self.bytes = bytes
    self.path = path
  }

  var remaining: Int { bytes.count - offset }

  func truncated(_ what: String, field: String?) -> LanguageModelError {
    LanguageModelError(
      file: path, field: field, "file ends at byte \(bytes.count) while reading \(what): the file is truncated")
  }

  mutating func bytes(_ count: Int, what: String, field: String? = nil) throws(LanguageModelError)
    -> UnsafeRawBufferPointer
  {
    guard count >= 0, count <= remaining else { throw truncated(what, field: field) }
    defer { offset += count }
    return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
  }

  mutating func load<T: FixedWidthInteger>(_: T.Type, what: String, field: String?) throws(LanguageModelError) -> T {
    let size = MemoryLayout<T>.size
    guard size <= remaining else { throw truncated(what, field: field) }
    defer { offset += size }
    return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
  }

  mutating func uint32(what: String, field: String? = nil) throws(LanguageModelError) -> UInt32 {
    try load(UInt32.self, what: what, field: field)
  }

  mutating func uint64(what: String, field: String? = nil) throws(LanguageModelError) -> UInt64 {
    try load(UInt64.self, what: what, field: field)
  }

  mutating func string(what: String, field: String? = nil) throws(LanguageModelError) -> String {
    let length = try uint64(what: what, field: field)
    guard length <= UInt64(remaining) else {
      throw LanguageModelError(
        file: path, field: field,
        "\(what): string length \(length) goes beyond the end of the file (\(remaining) bytes left)")
    }
    let raw = try bytes(Int(length), what: what, field: field)
    guard let text = String(validating: raw, as: UTF8.self) else {
      throw LanguageModelError(file: path, field: field, "\(what) is not valid UTF-8")
    }
    return text
  }

  mutating func value(of type: GGUFValueType, key: String, depth: Int) throws(LanguageModelError) -> GGUFValue {
    let what = "the value of '\(key)'"
    switch type {
    case .uint8: return .unsigned(UInt64(try load(UInt8.self, what: what, field: key)), type)
    case .uint16: return .unsigned(UInt64(try load(UInt16.self, what: what, field: key)), type)
    case .uint32: return .unsigned(UInt64(try load(UInt32.self, what: what, field: key)), type)
    case .uint64: return .unsigned(try load(UInt64.self, what: what, field: key), type)
    case .int8: return .signed(Int64(try load(Int8.self, what: what, field: key)), type)
    case .int16: return .signed(Int64(try load(Int16.self, what: what, field: key)), type)
    case .int32: return .signed(Int64(try load(Int32.self, what: what, field: key)), type)
    case .int64: return .signed(try load(Int64.self, what: what, field: key), type)
    case .float32: return .float(Double(Float(bitPattern: try load(UInt32.self, what: what, field: key))), type)
    case .float64: return .float(Double(bitPattern: try load(UInt64.self, what: what, field: key)), type)
    case .bool:
      let byte = try load(UInt8.self, what: what, field: key)
      guard byte <= 1 else { throw LanguageModelError(file: path, field: key, "bool value \(byte) is not 0 or 1") }
      return .bool(byte == 1)
    case .string: return .string(try string(what: what, field: key))
    case .array:
      guard depth < Self.maximumDepth else {
        throw LanguageModelError(file: path, field: key, "arrays nested deeper than \(Self.maximumDepth)")
      }
      let rawType = try uint32(what: "the element type of '\(key)'", field: key)
      guard let element = GGUFValueType(rawValue: rawType) else {
        throw LanguageModelError(file: path, field: key, "unknown array element type \(rawType)")
      }
      let count = try uint64(what: "the length of '\(key)'", field: key)
      guard count <= UInt64(remaining / element.minimumSize) else {
        throw LanguageModelError(
          file: path, field: key,
          "array of \(count) \(element) values cannot fit in the \(remaining) bytes left: the file is truncated or corrupt"
        )
      }
      var items: [GGUFValue] = []
      items.reserveCapacity(Int(count))
      for _ in 0..<Int(count) { items.append(try value(of: element, key: key, depth: depth + 1)) }
      return .array(element, items)
    }
  }
}
