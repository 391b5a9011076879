import Foundation
import RewardCore
import Testing

@testable import RewardTensor

@Suite struct SafeTensorsTests {
  /// A file with the given JSON header and `dataBytes` bytes of data.
  static func file(header: String, dataBytes: Int) -> Data {
    var data = Data()
    var length = UInt64(header.utf8.count).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    data.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
    return data
  }

  static func message(_ body: () throws(SafeTensorsError) -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return error.message
    }
  }

  @Test func roundTripsTensorsAndMetadata() throws {
    let tensors = [
      NamedTensor(name: "weight", shape: [2, 3], values: [1, -2, 3.5, 0, 1e-8, -7]),
      NamedTensor(name: "bias", shape: [3], values: [0.25, 0.5, 0.75]),
    ]
    let data = SafeTensorsWriter.encode(tensors, metadata: ["format": "pt"])
    let file = try SafeTensorsFile(data: data)
    #expect(file.metadata == ["format": "pt"])
    #expect(file.tensors.map(\.name) == ["weight", "bias"])
    #expect(file.info("weight")?.shape == [2, 3])
    #expect(try file.floats("weight") == tensors[0].values)
    #expect(try file.floats("bias") == tensors[1].values)
  }

  @Test func roundTripsThroughAMappedFile() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString).safetensors").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try SafeTensorsWriter.write([NamedTensor(name: "x", shape: [4], values: [1, 2, 3, 4])], to: path)
    #expect(try SafeTensorsFile(path: path).floats("x") == [1, 2, 3, 4])
  }

  @Test func decodesHalfPrecisionFormats() throws {
    // 1.5 and -2 in F16 (0x3E00, 0xC000) and BF16 (0x3FC0, 0xC000), little-endian.
    let header =
      #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}"#
    var data = Self.file(header: header, dataBytes: 0)
    data.append(contentsOf: [0x00, 0x3E, 0x00, 0xC0, 0xC0, 0x3F, 0x00, 0xC0])
    let file = try SafeTensorsFile(data: data)
    #expect(try file.floats("h") == [1.5, -2])
    #expect(try file.floats("b") == [1.5, -2])
  }

  @Test func rejectsATruncatedFile() {
    #expect(
      Self.message { () throws(SafeTensorsError) in _ = try SafeTensorsFile(data: Data([1, 0, 0])) }?.contains(
        "shorter than") == true)
    // The header promises 8 bytes of data; only 4 are there.
    let truncated = Self.file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4)
    let message = Self.message { () throws(SafeTensorsError) in _ = try SafeTensorsFile(data: truncated) }
    #expect(message?.contains("out of range") == true, "\(message ?? "no error")")
  }

  @Test func rejectsAHeaderLengthBeyondTheFile() {
    var data = Data()
    var length = UInt64(1_000_000).littleEndian
    withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array("{}".utf8))
    let message = Self.message { () throws(SafeTensorsError) in
      _ = try SafeTensorsFile(data: data, path: "model.safetensors")
    }
    #expect(message?.contains("header length 1000000 goes beyond the end of the file") == true)
  }

  @Test func rejectsOverlappingTensors() {
    let header =
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
    let message = Self.message { () throws(SafeTensorsError) in
      _ = try SafeTensorsFile(data: Self.file(header: header, dataBytes: 12))
    }
    #expect(message == "tensors 'a' and 'b' overlap")
  }

  @Test func rejectsOutOfRangeAndInconsistentOffsets() {
    let backwards = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#
    #expect(
      Self.message { () throws(SafeTensorsError) in
        _ = try SafeTensorsFile(data: Self.file(header: backwards, dataBytes: 8))
      }?
      .contains("out of range") == true)
    let wrongSize = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
    #expect(
      Self.message { () throws(SafeTensorsError) in
        _ = try SafeTensorsFile(data: Self.file(header: wrongSize, dataBytes: 8))
      }?
      .contains("needs 12 bytes but data_offsets span 8") == true)
  }

  @Test func rejectsAnUnknownDtype() {
    let header = #"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#
    let message = Self.message { () throws(SafeTensorsError) in
      _ = try SafeTensorsFile(data: Self.file(header: header, dataBytes: 1))
    }
    #expect(message?.contains("unknown dtype 'F8_E4M3'") == true)
  }

  @Test func rejectsAHeaderThatIsNotJSON() {
    let message = Self.message { () throws(SafeTensorsError) in
      _ = try SafeTensorsFile(data: Self.file(header: "{oops", dataBytes: 0))
    }
    #expect(message?.contains("not valid JSON") == true)
  }

  @Test func errorsNameTheFile() {
    let error = SafeTensorsError(path: "/models/x/model.safetensors", message: "tensors 'a' and 'b' overlap")
    #expect(error.description == "/models/x/model.safetensors: invalid safetensors file: tensors 'a' and 'b' overlap")
    #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: "/nonexistent/model.safetensors") }
  }

  @Test func missingTensorIsAnError() throws {
    let file = try SafeTensorsFile(data: SafeTensorsWriter.encode([NamedTensor(name: "a", shape: [1], values: [1])]))
    #expect(Self.message { () throws(SafeTensorsError) in _ = try file.floats("b") } == "no tensor named 'b'")
  }
}

@Suite struct MatrixTests {
  @Test func multipliesThroughBLAS() {
    let a = Matrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
    let b = Matrix(rowArrays: [[7, 8], [9, 10], [11, 12]])
    #expect(a.multiplied(by: b) == Matrix(rowArrays: [[58, 64], [139, 154]]))
    #expect(a.multiplied(by: b.transposed, transposingOther: true) == Matrix(rowArrays: [[58, 64], [139, 154]]))
  }

  @Test func linearLayerAddsBias() {
    let x = Matrix(rowArrays: [[1, 2], [3, 4], [0, 0]])
    let weight = Matrix(rowArrays: [[1, 0], [0, 1], [1, 1]])  // 3 outputs × 2 inputs
    let y = x.linear(weight: weight, bias: [10, 20, 30])
    #expect(y == Matrix(rowArrays: [[11, 22, 33], [13, 24, 37], [10, 20, 30]]))
  }

  @Test func layerNormMatchesTheDefinition() {
    var x = Matrix(rowArrays: [[1, 2, 3, 4]])
    Activations.layerNormalize(&x, gamma: [1, 1, 2, 1], beta: [0, 0, 0, 1], epsilon: 0)
    let std = Float(1.25).squareRoot()
    let expected: [Float] = [-1.5 / std, -0.5 / std, 2 * 0.5 / std, 1.5 / std + 1]
    for (a, b) in zip(x.values, expected) { #expect(abs(a - b) < 1e-5) }
  }

  @Test func geluAndSoftmaxMatchReferenceValues() {
    var values: [Float] = [-3, -1, 0, 0.5, 2]
    Activations.gelu(&values)
    // x·Φ(x) from the normal CDF.
    let expected: [Float] = [-0.0040496, -0.1586553, 0, 0.3457312, 1.9544997]
    for (a, b) in zip(values, expected) { #expect(abs(a - b) < 1e-5) }
    var row: [Float] = [1, 2, 3, 100]
    let mask: [Float] = [1, 1, 1, 0]
    row.withUnsafeMutableBufferPointer { r in
      mask.withUnsafeBufferPointer { Activations.maskedSoftmax(r, mask: $0.baseAddress!) }
    }
    let e = [exp(Float(-2)), exp(Float(-1)), 1]
    let sum = e.reduce(0, +)
    for (a, b) in zip(row, e.map { $0 / sum } + [0]) { #expect(abs(a - b) < 1e-6) }
    for x: Float in [-80, -20, -5.5, -0.3, 0] { #expect(abs(VectorMath.exp(x) - exp(x)) <= 3e-7 * exp(x) + 1e-38) }
    for x: Float in [-4, -1, -0.1, 0, 0.3, 2.5] { #expect(abs(VectorMath.erf(x) - erf(x)) < 2e-7) }
  }
}
