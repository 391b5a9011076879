import Foundation
import RewardCore
import RewardTensor

/// A model's tensors by name, from a GGUF file or from safetensors (one file or shards listed
/// in `model.safetensors.index.json`), all memory-mapped. Lookups check the shape the
/// architecture expects, so a wrong or missing tensor is an error naming it.
public struct TensorStore: Sendable {
  /// Where the tensors came from (a file or a directory), for errors.
  public let source: String
  private var tensors: [String: Entry] = [:]

  struct Entry: Sendable {
    var file: MappedFile
    var type: GGMLType?
    /// The dtype when it is not one RewardKit reads as weights (e.g. I64), for the error.
    var unsupportedType: String?
    /// Slowest-first (PyTorch order).
    var shape: [Int]
    var offset: Int
    var byteCount: Int
  }

  public var names: [String] { tensors.keys.sorted() }
  public func contains(_ name: String) -> Bool { tensors[name] != nil }
  public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
  public func type(of name: String) -> GGMLType? { tensors[name]?.type }

  /// The tensors of a GGUF file.
  public init(gguf: GGUFFile) {
    source = gguf.path
    for info in gguf.tensors {
      tensors[info.name] = Entry(
        file: gguf.file, type: info.type, shape: info.shape, offset: gguf.dataOffset + info.offset,
        byteCount: info.byteCount)
    }
  }

  /// One safetensors file.
  public init(safetensors path: String) throws(LanguageModelError) {
    source = path
    try add(safetensors: path, only: nil)
  }

  /// A Hugging Face directory's weights: `model.safetensors`, or the shards its
  /// `model.safetensors.index.json` lists (every listed tensor must be in its shard).
  public init(directory: String) throws(LanguageModelError) {
    source = directory
    let single = (directory as NSString).appendingPathComponent("model.safetensors")
    let indexPath = (directory as NSString).appendingPathComponent("model.safetensors.index.json")
    if FileManager.default.fileExists(atPath: single) {
      try add(safetensors: single, only: nil)
      return
    }
    guard FileManager.default.fileExists(atPath: indexPath) else {
      throw LanguageModelError(
        file: directory, "no model.safetensors or model.safetensors.index.json (a model directory needs its weights)")
    }
    let json: JSONValue
    do {
      json = try JSONParser.parse(String(contentsOfFile: indexPath, encoding: .utf8))
    } catch let error as JSONSyntaxError {
      throw LanguageModelError(
        file: indexPath, "not valid JSON (line \(error.line), column \(error.column): \(error.message))")
    } catch {
      throw LanguageModelError(file: indexPath, "cannot read the file (\(error.localizedDescription))")
    }
    guard let map = json.objectValue?["weight_map"]?.objectValue else {
      throw LanguageModelError(
        file: indexPath, field: "weight_map", "expected an object from tensor name to shard file")
    }
    var shards: [String: [String]] = [:]
    for (name, value) in map.entries {
      guard let shard = value.stringValue, !shard.contains("/"), !shard.isEmpty else {
        throw LanguageModelError(
          file: indexPath, field: "weight_map.\(name)",
          "expected a shard file name in this directory, found \(value.jsonText)")
      }
      shards[shard, default: []].append(name)
    }
    for (shard, names) in shards.sorted(by: { $0.key < $1.key }) {
      try add(safetensors: (directory as NSString).appendingPathComponent(shard), only: Set(names))
    }
  }

  private mutating func add(safetensors path: String, only listed: Set<String>?) throws(LanguageModelError) {
    let file = try MappedFile(path: path)
    let parsed: SafeTensorsFile
    do {
      parsed = try SafeTensorsFile(
        data: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: file.base), count: file.count, deallocator: .none),
        path: path)
    } catch {
      throw LanguageModelError(file: path, error.message)
    }
    // The data section starts after the 8-byte length and the JSON header (validated above).
    let headerLength = Int(UInt64(littleEndian: file.base.loadUnaligned(as: UInt64.self)))
    let dataStart = 8 + headerLength
    var found = Set<String>()
    for info in parsed.tensors {
      if let listed, !listed.contains(info.name) { continue }
      let type: GGMLType?
      switch info.dtype {
      case .f32: type = .f32
      case .f16: type = .f16
      case .bf16: type = .bf16
      default: type = nil
      }
      tensors[info.name] = Entry(
        file: file, type: type, unsupportedType: type == nil ? info.dtype.rawValue : nil, shape: info.shape,
        offset: dataStart + info.byteRange.lowerBound, byteCount: info.byteRange.count)
      found.insert(info.name)
    }
    if let listed, let missing = listed.subtracting(found).sorted().first {
      throw LanguageModelError(
        file: path, field: missing, "model.safetensors.index.json lists this tensor in this shard, but it is not there")
    }
  }

  private func entry(_ name: String, expecting shape: [Int]) throws(LanguageModelError) -> Entry {
    guard let entry = tensors[name] else {
      throw LanguageModelError(file: source, field: name, "tensor missing (expected shape \(shape))")
    }
    // A 1-D tensor may be stored as [n] or [1, n]; anything else must match exactly.
    let squeezed = entry.shape.count == 2 && entry.shape[0] == 1 && shape.count == 1 ? [entry.shape[1]] : entry.shape
    guard squeezed == shape else {
      throw LanguageModelError(
        file: entry.file.path, field: name,
        "shape \(entry.shape) does not match the configuration, which implies \(shape)")
    }
    return entry
  }

  private func tensor(_ name: String, _ entry: Entry, rows: Int, columns: Int) throws(LanguageModelError)
    -> WeightTensor
  {
    guard let type = entry.type else {
      throw LanguageModelError(
        file: entry.file.path, field: name,
        "unsupported dtype \(entry.unsupportedType ?? "?") for a weight (F32, F16, BF16)")
    }
    return try WeightTensor(
      name: name, rows: rows, columns: columns, type: type, data: entry.file.base + entry.offset,
      byteCount: entry.byteCount, owner: entry.file)
  }

  /// A rows × columns weight (PyTorch layout: a Linear weight is outputs × inputs).
  public func matrix(_ name: String, rows: Int, columns: Int) throws(LanguageModelError) -> WeightTensor {
    try tensor(name, try entry(name, expecting: [rows, columns]), rows: rows, columns: columns)
  }

  /// A vector (norm weight, bias) widened to Float32.
  public func vector(_ name: String, count: Int) throws(LanguageModelError) -> [Float] {
    try tensor(name, try entry(name, expecting: [count]), rows: 1, columns: count).floats()
  }

  public func optionalVector(_ name: String, count: Int) throws(LanguageModelError) -> [Float]? {
    contains(name) ? try vector(name, count: count) : nil
  }
}
