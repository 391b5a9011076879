import RewardTensor

/// Writes a one-tensor weights file, to build broken checkpoints in tests.
enum SafeTensorsWriterShim {
  static func write(values: [Float], to path: String) throws {
    try SafeTensorsWriter.write(
      [NamedTensor(name: "head.weight", shape: [values.count], values: values)], to: path)
  }
}
