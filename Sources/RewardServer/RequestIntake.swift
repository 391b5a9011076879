import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// Admission and reading of request bodies, before any JSON is parsed. A parsed body takes an order
/// of magnitude more memory than its bytes, so the server decides whether it can take a request
/// before it reads it: a full scoring queue or too many body bytes already held by requests in
/// flight answer 503 with `Retry-After` at once; a body larger than `maxBodyBytes` answers 413; one
/// that takes longer than `bodyTimeout` to arrive answers 408 and closes the connection.
struct RequestIntake: Sendable {
  let maxBodyBytes: Int
  let bodyTimeout: Duration
  let budget: BodyBudget
  /// Whether the scoring queue has no room for even one more item.
  let queueIsFull: @Sendable () -> Bool

  /// Reads the body under the limits above and runs `handler` on its bytes; the body's share of the
  /// in-flight budget is held until `handler` returns (the parsed form lives that long).
  func withBody<Result>(of request: Request, _ handler: ([UInt8]) async throws -> Result) async throws -> Result {
    if queueIsFull() {
      throw APIError(.overloaded, "the scoring queue is full; retry later", retryAfterSeconds: 1)
    }
    let reservation = BodyBudget.Reservation(budget: budget)
    defer { reservation.release() }
    if let declared = request.headers[.contentLength].flatMap({ Int($0) }) {
      if declared > maxBodyBytes { throw tooLarge }
      try reservation.grow(to: declared)
    }
    let bytes = try await collect(request.body, into: reservation)
    return try await handler(bytes)
  }

  var tooLarge: APIError {
    APIError(.payloadTooLarge, "the request body is larger than the limit of \(maxBodyBytes) bytes")
  }

  /// The whole body, or 408 once `bodyTimeout` has passed. The read is cancelled at the deadline,
  /// which stops the connection's input, so a trickling client cannot hold it open.
  private func collect(_ body: RequestBody, into reservation: BodyBudget.Reservation) async throws -> [UInt8] {
    let limit = maxBodyBytes
    let timeout = bodyTimeout
    return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
      group.addTask {
        var bytes: [UInt8] = []
        do {
          for try await chunk in body {
            if bytes.count + chunk.readableBytes > limit { throw tooLarge }
            try reservation.grow(to: bytes.count + chunk.readableBytes)
            bytes.append(contentsOf: chunk.readableBytesView)
          }
        } catch let error as APIError {
          throw error
        } catch {
          throw Self.clientError(error)
        }
        return bytes
      }
      group.addTask {
        try await Task.sleep(for: timeout)
        return nil
      }
      defer { group.cancelAll() }
      guard let first = try await group.next(), let bytes = first else {
        throw APIError(.requestTimeout, "the request body did not arrive within \(timeout.seconds) s")
      }
      return bytes
    }
  }

  /// An error from reading the body: the client broke the HTTP framing or went away. Neither is the
  /// server's fault, so neither is counted as `internal`.
  static func clientError(_ error: any Error) -> APIError {
    if error is HTTPParserError {
      return APIError(.clientAborted, "malformed request body (HTTP framing): \(error)")
    }
    return APIError(.clientAborted, "the client closed the connection before the body was complete: \(error)")
  }
}

/// The bytes of request bodies held by requests in flight, bounded by `limit`.
final class BodyBudget: Sendable {
  let limit: Int
  private let held = Mutex(0)

  init(limit: Int) {
    self.limit = limit
  }

  var heldBytes: Int { held.withLock { $0 } }

  fileprivate func take(_ bytes: Int) -> Bool {
    held.withLock { held in
      guard held + bytes <= limit else { return false }
      held += bytes
      return true
    }
  }

  fileprivate func give(_ bytes: Int) {
    held.withLock { $0 -= bytes }
  }

  /// One request's share, grown as its body arrives and released once when the request is done.
  final class Reservation: Sendable {
    let budget: BodyBudget
    private let bytes = Mutex(0)

    init(budget: BodyBudget) {
      self.budget = budget
    }

    /// Holds at least `total` bytes, or throws 503 when the budget has no room for them.
    func grow(to total: Int) throws(APIError) {
      try bytes.withLock { (bytes) throws(APIError) in
        guard total > bytes else { return }
        guard budget.take(total - bytes) else {
          throw APIError(
            .overloaded,
            "the server is already holding \(budget.heldBytes) bytes of request bodies (limit \(budget.limit)); "
              + "retry later", retryAfterSeconds: 1)
        }
        bytes = total
      }
    }

    func release() {
      let held = bytes.withLock { bytes in
        defer { bytes = 0 }
        return bytes
      }
      budget.give(held)
    }
  }
}
