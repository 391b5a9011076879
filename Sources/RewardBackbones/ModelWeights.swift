import RewardCore
import RewardTensor

/// Reads a model's tensors from safetensors by name, checking each shape against what the
/// architecture expects, so a mismatched checkpoint fails with the tensor's name, not a crash.
public struct ModelWeights: Sendable {
  public let file: SafeTensorsFile
  /// Prepended to every name (e.g. "bert." for checkpoints saved from `BertFor…` heads).
  public let prefix: String

  public init(path: String, prefix: String = "") throws(BackboneError) {
    do {
      file = try SafeTensorsFile(path: path)
    } catch {
      throw BackboneError(file: path, error.message)
    }
    self.prefix = prefix
  }

  public init(file: SafeTensorsFile, prefix: String = "") {
    self.file = file
    self.prefix = prefix
  }

  public func contains(_ name: String) -> Bool { file.info(prefix + name) != nil }

  /// A rows × columns tensor (PyTorch layout, e.g. a Linear weight is out × in).
  public func matrix(_ name: String, rows: Int, columns: Int) throws(BackboneError) -> Matrix {
    Matrix(rows: rows, columns: columns, values: try values(name, shape: [rows, columns]))
  }

  public func vector(_ name: String, count: Int) throws(BackboneError) -> [Float] {
    try values(name, shape: [count])
  }

  func values(_ name: String, shape: [Int]) throws(BackboneError) -> [Float] {
    let fullName = prefix + name
    guard let info = file.info(fullName) else {
      throw BackboneError(file: file.path, field: fullName, "tensor missing (expected shape \(shape))")
    }
    guard info.shape == shape else {
      throw BackboneError(
        file: file.path, field: fullName, "shape \(info.shape) does not match the config, which implies \(shape)")
    }
    do {
      return try file.floats(fullName)
    } catch {
      throw BackboneError(file: file.path, field: fullName, error.message)
    }
  }
}
