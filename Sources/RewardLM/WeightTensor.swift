import Foundation
import RewardTensor

/// One weight tensor as stored — Float32, half precision or ggml quantised blocks — read in place
/// from its memory-mapped file. Products widen it to Float32 panel by panel (`linear`), so a
/// model's memory stays near its file size however large the model is.
///
/// Shapes are PyTorch's: a Linear weight is `rows` (outputs) × `columns` (inputs); quantised
/// blocks run along a row, so every row starts on a block boundary and widens on its own.
public struct WeightTensor: Sendable {
  public let name: String
  public let rows: Int
  public let columns: Int
  public let type: GGMLType
  /// The mapping the bytes live in (kept alive by this reference) and their offset in it.
  let owner: MappedFile
  let offset: Int
  var data: UnsafeRawPointer { owner.base + offset }
  let rowBytes: Int

  /// Checks that the type is one RewardKit widens and that `rows` × `columns` fits `byteCount`.
  init(
    name: String, rows: Int, columns: Int, type: GGMLType, data: UnsafeRawPointer, byteCount: Int,
    owner: MappedFile
  ) throws(LanguageModelError) {
    guard type.isDequantizable else {
      throw LanguageModelError(
        file: owner.path, field: name,
        "unsupported tensor type \(type.name) (supported: \(GGMLType.dequantizable.map(\.name).joined(separator: ", ")))"
      )
    }
    guard columns % type.blockSize == 0 else {
      throw LanguageModelError(
        file: owner.path, field: name, "\(columns) columns are not a multiple of \(type.name)'s block \(type.blockSize)"
      )
    }
    let rowBytes = columns / type.blockSize * type.blockBytes
    guard rowBytes * rows == byteCount else {
      throw LanguageModelError(
        file: owner.path, field: name,
        "\(rows)×\(columns) \(type.name) needs \(rowBytes * rows) bytes, has \(byteCount)")
    }
    self.name = name
    self.rows = rows
    self.columns = columns
    self.type = type
    // Float32 data used in place must be float-aligned; a misaligned one is widened by copying.
    offset = data - owner.base
    self.owner = owner
    self.rowBytes = rowBytes
  }

  public var elementCount: Int { rows * columns }

  /// True when the stored bytes are already Float32s BLAS can read in place.
  var isInPlaceFloat: Bool { type == .f32 && Int(bitPattern: data) % MemoryLayout<Float>.alignment == 0 }

  /// Widens rows `range` into `destination` (range.count × columns floats).
  public func widenRows(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= rows, "rows \(range) outside \(name)'s \(rows)")
    Dequantization.widen(type, data + range.lowerBound * rowBytes, count: range.count * columns, into: destination)
  }

  /// One row as Float32 (an embedding lookup).
  public func row(_ index: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: columns) { buffer, initialized in
      widenRows(index..<index + 1, into: buffer.baseAddress!)
      initialized = columns
    }
  }

  /// The whole tensor as Float32 (norm weights, biases: small tensors).
  public func floats() -> [Float] {
    [Float](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
      if elementCount > 0 { widenRows(0..<rows, into: buffer.baseAddress!) }
      initialized = elementCount
    }
  }

  /// Rows widened per BLAS call: about 2 MiB of Float32, at least 64 rows so each call is
  /// large enough for sgemm to be efficient.
  var panelRows: Int { min(rows, max(64, (1 << 19) / max(1, columns))) }

  /// output[i, offset + r] (+)= Σ_k input[i, k] · self[r, k] for all rows r: `input · selfᵀ`
  /// written into columns `outputColumn ..< outputColumn + rows` of an output with row stride
  /// `outputStride`. Quantised and half weights are widened a panel at a time into `scratch`.
  public func linear(
    input: UnsafePointer<Float>, inputRows: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
    outputColumn: Int = 0, accumulate: Bool = false, scratch: inout [Float]
  ) {
    guard inputRows > 0, rows > 0 else { return }
    if isInPlaceFloat {
      BLAS.gemm(
        m: inputRows, n: rows, k: columns, a: input, lda: columns,
        b: data.assumingMemoryBound(to: Float.self), ldb: columns, transposeB: true,
        c: output + outputColumn, ldc: outputStride, beta: accumulate ? 1 : 0)
      return
    }
    let panel = panelRows
    if scratch.count < panel * columns { scratch = [Float](repeating: 0, count: panel * columns) }
    scratch.withUnsafeMutableBufferPointer { buffer in
      let panelBase = buffer.baseAddress!
      var start = 0
      while start < rows {
        let end = min(rows, start + panel)
        widenInParallel(start..<end, into: panelBase)
        BLAS.gemm(
          m: inputRows, n: end - start, k: columns, a: input, lda: columns, b: panelBase, ldb: columns,
          transposeB: true, c: output + outputColumn + start, ldc: outputStride, beta: accumulate ? 1 : 0)
        start = end
      }
    }
  }

  /// `input · selfᵀ` a panel of weight rows at a time, for reductions over an output too wide to
  /// hold (the LM head's vocabulary times every scored token): `body(rows, products)` gets the
  /// panel's weight rows and the inputRows × rows.count products (row stride rows.count), valid
  /// during the call only. Each panel is widened once for all input rows.
  public func forEachPanelProduct(
    input: UnsafePointer<Float>, inputRows: Int, scratch: inout [Float],
    _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
  ) {
    guard inputRows > 0, rows > 0 else { return }
    let panel = panelRows
    var products = [Float](repeating: 0, count: inputRows * panel)
    if !isInPlaceFloat && scratch.count < panel * columns { scratch = [Float](repeating: 0, count: panel * columns) }
    scratch.withUnsafeMutableBufferPointer { buffer in
      products.withUnsafeMutableBufferPointer { out in
        var start = 0
        while start < rows {
          let end = min(rows, start + panel)
          let weights: UnsafePointer<Float>
          if isInPlaceFloat {
            weights = data.assumingMemoryBound(to: Float.self) + start * columns
          } else {
            widenInParallel(start..<end, into: buffer.baseAddress!)
            weights = UnsafePointer(buffer.baseAddress!)
          }
          BLAS.gemm(
            m: inputRows, n: end - start, k: columns, a: input, lda: columns, b: weights, ldb: columns,
            transposeB: true, c: out.baseAddress!, ldc: end - start)
          body(start..<end, out.baseAddress!)
          start = end
        }
      }
    }
  }

  /// Widening is memory-bound and single-threaded per row: split a panel over the cores BLAS uses.
  func widenInParallel(_ range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
    let destinationAddress = Int(bitPattern: destination)
    DecoderKernels.inParallel(count: range.count, minimumPerWorker: 16) { rows in
      // An address, not a pointer, crosses into the workers (pointers are not Sendable).
      let target = UnsafeMutablePointer<Float>(bitPattern: destinationAddress)! + rows.lowerBound * columns
      widenRows(range.lowerBound + rows.lowerBound..<range.lowerBound + rows.upperBound, into: target)
    }
  }
}
