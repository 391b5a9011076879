import Foundation

@testable import RewardLM

/// Writes GGUF bytes field by field, so tests can make valid files and precisely broken ones.
struct GGUFBuilder {
  var bytes: [UInt8] = []
  var alignment = 32

  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  mutating func i32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  mutating func f32(_ v: Float) { u32(v.bitPattern) }
  mutating func string(_ s: String) {
    u64(UInt64(s.utf8.count))
    bytes += Array(s.utf8)
  }

  /// A tensor to put in the file: its ggml dims (fastest first), type and raw bytes.
  struct Tensor {
    var name: String
    var dimensions: [Int]
    var type: UInt32
    var data: [UInt8]
  }

  enum Value {
    case u32(UInt32), i32(Int32), f32(Float), bool(Bool), string(String), strings([String]), i32s([Int32])
    case u64(UInt64)
  }

  /// A whole version-3 file.
  static func file(metadata: [(String, Value)], tensors: [Tensor], version: UInt32 = 3) -> [UInt8] {
    var b = GGUFBuilder()
    b.bytes += Array("GGUF".utf8)
    b.u32(version)
    b.u64(UInt64(tensors.count))
    b.u64(UInt64(metadata.count))
    for (key, value) in metadata {
      b.string(key)
      switch value {
      case .u32(let v):
        b.u32(4)
        b.u32(v)
        if key == "general.alignment" { b.alignment = Int(v) }
      case .u64(let v):
        b.u32(10)
        b.u64(v)
      case .i32(let v):
        b.u32(5)
        b.i32(v)
      case .f32(let v):
        b.u32(6)
        b.f32(v)
      case .bool(let v):
        b.u32(7)
        b.u8(v ? 1 : 0)
      case .string(let v):
        b.u32(8)
        b.string(v)
      case .strings(let items):
        b.u32(9)
        b.u32(8)
        b.u64(UInt64(items.count))
        for item in items { b.string(item) }
      case .i32s(let items):
        b.u32(9)
        b.u32(5)
        b.u64(UInt64(items.count))
        for item in items { b.i32(item) }
      }
    }
    var offset = 0
    var offsets: [Int] = []
    for tensor in tensors {
      offsets.append(offset)
      offset += (tensor.data.count + b.alignment - 1) / b.alignment * b.alignment
    }
    for (tensor, offset) in zip(tensors, offsets) {
      b.string(tensor.name)
      b.u32(UInt32(tensor.dimensions.count))
      for d in tensor.dimensions { b.u64(UInt64(d)) }
      b.u32(tensor.type)
      b.u64(UInt64(offset))
    }
    while b.bytes.count % b.alignment != 0 { b.u8(0) }
    for tensor in tensors {
      b.bytes += tensor.data
      while b.bytes.count % b.alignment != 0 { b.u8(0) }
    }
    return b.bytes
  }

  static func f32Data(_ values: [Float]) -> [UInt8] {
    var b = GGUFBuilder()
    for v in values { b.f32(v) }
    return b.bytes
  }
}

/// A file in a fresh temporary directory, removed with the directory by the caller's `defer`.
func temporaryFile(_ bytes: [UInt8], name: String = "model.gguf") throws -> (directory: String, path: String) {
  let directory = NSTemporaryDirectory() + "rewardlm-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  let path = directory + "/" + name
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  return (directory, path)
}

func openGGUF(_ bytes: [UInt8]) throws -> GGUFFile {
  let (directory, path) = try temporaryFile(bytes)
  defer { try? FileManager.default.removeItem(atPath: directory) }
  return try GGUFFile(path: path)
}

/// The error opening these bytes gives, or nil when they open.
func ggufError(_ bytes: [UInt8]) throws -> LanguageModelError? {
  do {
    _ = try openGGUF(bytes)
    return nil
  } catch let error as LanguageModelError {
    return error
  }
}
