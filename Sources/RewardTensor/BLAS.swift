import COpenBLAS

/// Thin, typed access to OpenBLAS. Every matrix product in RewardKit goes through `gemm`, so the
/// hot paths run on OpenBLAS's multithreaded kernels instead of Swift loops.
public enum BLAS {
  /// C[m×n] = alpha · op(A) · op(B) + beta · C, all row-major with leading dimensions (the
  /// distance between rows), so callers can multiply sub-blocks (e.g. one attention head) in place.
  /// op(A) is m×k and op(B) is k×n; `transposeA`/`transposeB` say whether A and B are stored
  /// transposed (A as k×m, B as n×k).
  @inlinable
  public static func gemm(
    m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
    b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    alpha: Float = 1, beta: Float = 0
  ) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(
      CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
      blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
  }

  /// Threads OpenBLAS uses for one call (it defaults to the number of cores, or the
  /// `OPENBLAS_NUM_THREADS` environment variable).
  public static var threadCount: Int {
    get { Int(openblas_get_num_threads()) }
    set { openblas_set_num_threads(Int32(max(1, newValue))) }
  }

  /// OpenBLAS's build description (version, kernel chosen for this CPU), for benchmark records.
  public static var configuration: String {
    guard let text = openblas_get_config() else { return "unknown" }
    return String(cString: text)
  }
}

extension Matrix {
  /// `self · other`, or `self · otherᵀ` when `transposingOther` (other stored as n×k).
  public func multiplied(by other: Matrix, transposingOther: Bool = false) -> Matrix {
    let (k, n) = transposingOther ? (other.columns, other.rows) : (other.rows, other.columns)
    precondition(
      columns == k,
      "cannot multiply \(rows)×\(columns) by \(transposingOther ? "transposed " : "")\(other.rows)×\(other.columns)")
    var out = Matrix(rows: rows, columns: n)
    guard k > 0 else { return out }
    values.withUnsafeBufferPointer { a in
      other.values.withUnsafeBufferPointer { b in
        out.values.withUnsafeMutableBufferPointer { c in
          BLAS.gemm(
            m: rows, n: n, k: k, a: a.baseAddress!, lda: columns, b: b.baseAddress!, ldb: other.columns,
            transposeB: transposingOther, c: c.baseAddress!, ldc: n)
        }
      }
    }
    return out
  }

  /// `self · weightᵀ + bias`: a fully connected layer with PyTorch's weight layout (out × in).
  public func linear(weight: Matrix, bias: [Float]?) -> Matrix {
    precondition(weight.columns == columns, "linear layer expects \(weight.columns) inputs, got \(columns)")
    var out = Matrix(rows: rows, columns: weight.rows)
    if let bias {
      precondition(bias.count == weight.rows, "bias has \(bias.count) values for \(weight.rows) outputs")
      out.values.withUnsafeMutableBufferPointer { c in
        bias.withUnsafeBufferPointer { b in
          for r in 0..<rows { (c.baseAddress! + r * weight.rows).update(from: b.baseAddress!, count: b.count) }
        }
      }
    }
    guard columns > 0, rows > 0 else { return out }
    values.withUnsafeBufferPointer { a in
      weight.values.withUnsafeBufferPointer { w in
        out.values.withUnsafeMutableBufferPointer { c in
          BLAS.gemm(
            m: rows, n: weight.rows, k: columns, a: a.baseAddress!, lda: columns, b: w.baseAddress!,
            ldb: weight.columns, transposeB: true, c: c.baseAddress!, ldc: weight.rows, beta: bias == nil ? 0 : 1)
        }
      }
    }
    return out
  }
}
