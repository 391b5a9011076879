import Foundation
import Hummingbird
import Logging
import NIOHTTP1

/// Metric labels for these paths; any other path is counted as "other", so clients cannot grow
/// the number of series without bound.
let knownEndpoints: Set<String> = [
  "/get_reward", "/v1/rewards", "/v1/compare", "/classify", "/v1/classify", "/score", "/v1/score", "/health",
  "/metrics", "/v1/spec",
]

/// Outermost: counts and times every request, turns every error into a JSON error response (the
/// server never answers a bare 500 page, and never crashes on input), and logs one line per request.
struct ObservingMiddleware<Context: RequestContext>: RouterMiddleware {
  let metrics: ServerMetrics
  let logger: Logger
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    let started = ContinuousClock.now
    metrics.requestStarted()
    let response: Response
    var failure: APIError?
    do {
      response = try await next(request, context)
    } catch {
      let apiError = Self.apiError(for: error)
      failure = apiError
      metrics.error(apiError.kind.rawValue)
      response = apiError.response()
    }
    let seconds = (ContinuousClock.now - started).seconds
    let path = request.uri.path
    let endpoint = knownEndpoints.contains(path) ? path : "other"
    metrics.requestFinished(endpoint: endpoint, status: response.status.code, seconds: seconds)
    let level: Logger.Level = failure.map { $0.kind.status.code >= 500 ? .warning : .info } ?? .debug
    logger.log(
      level: level, "\(request.method) \(path) \(response.status.code)",
      metadata: [
        "ms": "\(Int((seconds * 1000).rounded()))",
        "error": failure.map { .string($0.message) } ?? nil,
      ].compactMapValues { $0 })
    return response
  }

  static func apiError(for error: any Error) -> APIError {
    if let apiError = error as? APIError { return apiError }
    if error is HTTPParserError { return RequestIntake.clientError(error) }
    if let httpError = error as? any HTTPResponseError {
      switch httpError.status {
      case .notFound: return APIError(.notFound, "no such endpoint")
      case .methodNotAllowed: return APIError(.methodNotAllowed, "method not allowed on this endpoint")
      case .contentTooLarge: return APIError(.payloadTooLarge, "the request body is too large")
      case let status where status.code < 500: return APIError(.badRequest, status.reasonPhrase)
      default: break
      }
    }
    return APIError(.internalError, "internal error: \(error)")
  }
}

/// Requires `Authorization: Bearer <key>` on every endpoint but `/health` (which load balancers
/// probe without credentials). The comparison takes the same time wherever the keys differ.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
  let expected: [UInt8]

  init(apiKey: String) {
    expected = Array("Bearer \(apiKey)".utf8)
  }

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    if request.uri.path == "/health" { return try await next(request, context) }
    guard let header = request.headers[.authorization], Self.equal(Array(header.utf8), expected) else {
      throw APIError(.unauthorized, "missing or wrong API key: send 'Authorization: Bearer <key>'")
    }
    return try await next(request, context)
  }

  static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
      difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
  }
}
