import Foundation
import RewardCore

/// Element types of the safetensors format (the ones RewardKit reads and writes).
public enum TensorDType: String, Sendable, CaseIterable {
  case f64 = "F64"
  case f32 = "F32"
  case f16 = "F16"
  case bf16 = "BF16"
  case i64 = "I64"
  case i32 = "I32"
  case i16 = "I16"
  case i8 = "I8"
  case u8 = "U8"
  case bool = "BOOL"

  public var byteSize: Int {
    switch self {
    case .f64, .i64: 8
    case .f32, .i32: 4
    case .f16, .bf16, .i16: 2
    case .i8, .u8, .bool: 1
    }
  }
}

/// Where one tensor lives in a safetensors file.
public struct TensorInfo: Sendable, Equatable {
  public var name: String
  public var dtype: TensorDType
  public var shape: [Int]
  /// Byte range relative to the start of the data section.
  public var byteRange: Range<Int>

  public var elementCount: Int { shape.reduce(1, *) }
}

/// A problem with a safetensors file, naming the file and what was wrong.
public struct SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var message: String
  public var description: String { "\(path): invalid safetensors file: \(message)" }
}

/// A safetensors file (https://github.com/huggingface/safetensors: an 8-byte little-endian header
/// length, a JSON header mapping names to dtype/shape/offsets, then the raw bytes), memory-mapped
/// and validated before any tensor is read, so a truncated or hostile file gives an error, not a crash.
public struct SafeTensorsFile: Sendable {
  public let path: String
  public let metadata: [String: String]
  /// Tensors in the order of their data offsets.
  public let tensors: [TensorInfo]
  private let data: Data
  private let dataStart: Int
  private let index: [String: Int]

  public init(path: String) throws(SafeTensorsError) {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw SafeTensorsError(path: path, message: "cannot read the file (\(error.localizedDescription))")
    }
    try self.init(data: data, path: path)
  }

  public init(data: Data, path: String = "<memory>") throws(SafeTensorsError) {
    func fail(_ message: String) -> SafeTensorsError { SafeTensorsError(path: path, message: message) }
    guard data.count >= 8 else { throw fail("file is \(data.count) bytes, shorter than the 8-byte header length") }
    let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) {
      $0 | UInt64($1.element) << (8 * UInt64($1.offset))
    }
    guard headerLength <= UInt64(data.count - 8) else {
      throw fail("header length \(headerLength) goes beyond the end of the file (\(data.count) bytes)")
    }
    let headerEnd = 8 + Int(headerLength)
    let header: JSONValue
    do {
      header = try JSONParser.parse(bytes: Array(data[data.startIndex + 8..<data.startIndex + headerEnd]))
    } catch {
      throw fail("header is not valid JSON (line \(error.line), column \(error.column): \(error.message))")
    }
    guard let object = header.objectValue else { throw fail("header must be a JSON object, found \(header.typeName)") }
    let dataLength = data.count - headerEnd
    var metadata: [String: String] = [:]
    var tensors: [TensorInfo] = []
    for (name, value) in object.entries {
      if name == "__metadata__" {
        guard let entries = value.objectValue else { throw fail("__metadata__ must be an object of strings") }
        for (key, item) in entries.entries {
          guard let text = item.stringValue else { throw fail("__metadata__.\(key) must be a string") }
          metadata[key] = text
        }
        continue
      }
      guard let entry = value.objectValue else { throw fail("tensor '\(name)': expected an object") }
      guard let dtypeName = entry["dtype"]?.stringValue else { throw fail("tensor '\(name)': missing 'dtype'") }
      guard let dtype = TensorDType(rawValue: dtypeName) else {
        throw fail(
          "tensor '\(name)': unknown dtype '\(dtypeName)' (expected one of \(TensorDType.allCases.map(\.rawValue).joined(separator: ", ")))"
        )
      }
      guard let shapeValues = entry["shape"]?.arrayValue else { throw fail("tensor '\(name)': missing 'shape'") }
      var shape: [Int] = []
      for dim in shapeValues {
        guard case .int(let n) = dim, n >= 0, n < Int64(Int32.max) else {
          throw fail("tensor '\(name)': shape entries must be non-negative integers")
        }
        shape.append(Int(n))
      }
      guard let offsets = entry["data_offsets"]?.arrayValue, offsets.count == 2,
        case .int(let begin) = offsets[0], case .int(let end) = offsets[1]
      else { throw fail("tensor '\(name)': 'data_offsets' must be [begin, end]") }
      guard begin >= 0, begin <= end, end <= Int64(dataLength) else {
        throw fail(
          "tensor '\(name)': data_offsets [\(begin), \(end)] out of range (data section is \(dataLength) bytes)")
      }
      let (count, overflow) = shape.reduce((1, false)) { acc, dim in
        let (product, o) = acc.0.multipliedReportingOverflow(by: dim)
        return (product, acc.1 || o)
      }
      guard !overflow, count.multipliedReportingOverflow(by: dtype.byteSize).overflow == false,
        Int64(count * dtype.byteSize) == end - begin
      else {
        throw fail(
          "tensor '\(name)': shape \(shape) of \(dtypeName) needs \(count &* dtype.byteSize) bytes but data_offsets span \(end - begin)"
        )
      }
      tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, byteRange: Int(begin)..<Int(end)))
    }
    tensors.sort { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
    for (a, b) in zip(tensors, tensors.dropFirst()) where a.byteRange.upperBound > b.byteRange.lowerBound {
      throw fail("tensors '\(a.name)' and '\(b.name)' overlap")
    }
    self.path = path
    self.metadata = metadata
    self.tensors = tensors
    self.data = data
    self.dataStart = headerEnd
    self.index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
  }

  public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

  /// The tensor's elements converted to Float (F64, F32, F16, BF16 and integer types).
  public func floats(_ name: String) throws(SafeTensorsError) -> [Float] {
    guard let info = info(name) else {
      throw SafeTensorsError(path: path, message: "no tensor named '\(name)'")
    }
    let start = data.startIndex + dataStart + info.byteRange.lowerBound
    let count = info.elementCount
    return data.withUnsafeBytes { raw in
      let base = raw.baseAddress!.advanced(by: start - data.startIndex)
      func load<T>(_ type: T.Type, _ i: Int) -> T {
        base.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
      }
      switch info.dtype {
      case .f32:
        #if _endian(little)
          // The file's bytes are already the host's floats: one copy instead of a per-element loop.
          return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(
              from: UnsafeRawBufferPointer(start: base, count: count * 4))
            initialized = count
          }
        #else
          return (0..<count).map { Float(bitPattern: UInt32(littleEndian: load(UInt32.self, $0))) }
        #endif
      case .f64: return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: load(UInt64.self, $0)))) }
      case .f16: return (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: load(UInt16.self, $0)))) }
      case .bf16:
        return (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: load(UInt16.self, $0))) << 16) }
      case .i64: return (0..<count).map { Float(Int64(littleEndian: load(Int64.self, $0))) }
      case .i32: return (0..<count).map { Float(Int32(littleEndian: load(Int32.self, $0))) }
      case .i16: return (0..<count).map { Float(Int16(littleEndian: load(Int16.self, $0))) }
      case .i8: return (0..<count).map { Float(load(Int8.self, $0)) }
      case .u8, .bool: return (0..<count).map { Float(load(UInt8.self, $0)) }
      }
    }
  }
}

/// A tensor to write: name, shape and row-major Float32 values.
public struct NamedTensor: Sendable, Equatable {
  public var name: String
  public var shape: [Int]
  public var values: [Float]

  public init(name: String, shape: [Int], values: [Float]) {
    precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
    self.name = name
    self.shape = shape
    self.values = values
  }
}

public enum SafeTensorsWriter {
  /// Serializes F32 tensors (in the given order) with string metadata.
  public static func encode(_ tensors: [NamedTensor], metadata: [String: String] = [:]) -> Data {
    var header = JSONObject()
    if !metadata.isEmpty {
      header["__metadata__"] = .object(
        JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }
    var offset = 0
    for tensor in tensors {
      let bytes = tensor.values.count * 4
      header[tensor.name] = [
        "dtype": "F32", "shape": .array(tensor.shape.map { .int(Int64($0)) }),
        "data_offsets": [.int(Int64(offset)), .int(Int64(offset + bytes))],
      ]
      offset += bytes
    }
    var headerBytes = Array(JSONValue.object(header).jsonText.utf8)
    // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
    while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
    var out = Data(capacity: 8 + headerBytes.count + offset)
    var length = UInt64(headerBytes.count).littleEndian
    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
    out.append(contentsOf: headerBytes)
    for tensor in tensors {
      for value in tensor.values {
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
      }
    }
    return out
  }

  public static func write(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String) throws {
    try encode(tensors, metadata: metadata).write(to: URL(fileURLWithPath: path), options: .atomic)
  }
}
