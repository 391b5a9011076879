/// A dense row-major Float32 matrix: the one numeric container the encoder and heads share.
/// Rows are contiguous, so a row slice or a block of consecutive rows is a plain pointer for BLAS.
public struct Matrix: Sendable, Equatable {
  public let rows: Int
  public let columns: Int
  public var values: [Float]

  public init(rows: Int, columns: Int, repeating value: Float = 0) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    values = [Float](repeating: value, count: rows * columns)
  }

  public init(rows: Int, columns: Int, values: [Float]) {
    precondition(values.count == rows * columns, "\(values.count) values do not fill a \(rows)×\(columns) matrix")
    self.rows = rows
    self.columns = columns
    self.values = values
  }

  /// A matrix from equal-length rows.
  public init(rowArrays: [[Float]]) {
    let columns = rowArrays.first?.count ?? 0
    precondition(rowArrays.allSatisfy { $0.count == columns }, "rows must have the same length")
    self.init(rows: rowArrays.count, columns: columns, values: rowArrays.flatMap { $0 })
  }

  public subscript(row: Int, column: Int) -> Float {
    get { values[row * columns + column] }
    set { values[row * columns + column] = newValue }
  }

  public func row(_ index: Int) -> [Float] {
    Array(values[index * columns..<(index + 1) * columns])
  }

  public var rowArrays: [[Float]] { (0..<rows).map(row) }

  public var transposed: Matrix {
    var out = Matrix(rows: columns, columns: rows)
    for r in 0..<rows {
      for c in 0..<columns { out.values[c * rows + r] = values[r * columns + c] }
    }
    return out
  }
}
