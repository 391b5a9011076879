import Hummingbird
import RewardCore

/// An error answered to the client as JSON: `{"error": {"type", "message", "field"?}}`, with the
/// HTTP status its kind implies. `type` is also the label of `rewardkit_errors_total`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case unauthorized
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case payloadTooLarge = "payload_too_large"
    /// The request head or body did not arrive within its time limit (408; the connection is closed).
    case requestTimeout = "request_timeout"
    /// The client went away or broke the framing mid-body (connection closed, bad chunked encoding):
    /// a client error, not the server's, though the answer rarely reaches anyone.
    case clientAborted = "client_aborted"
    case overloaded
    case timeout
    case shuttingDown = "shutting_down"
    case scoringFailed = "scoring_failed"
    case internalError = "internal"

    var status: HTTPResponse.Status {
      switch self {
      case .badRequest: .badRequest
      case .unauthorized: .unauthorized
      case .notFound: .notFound
      case .methodNotAllowed: .methodNotAllowed
      case .payloadTooLarge: .contentTooLarge
      case .requestTimeout: .requestTimeout
      case .clientAborted: .badRequest
      case .overloaded, .shuttingDown: .serviceUnavailable
      case .timeout: .gatewayTimeout
      case .scoringFailed, .internalError: .internalServerError
      }
    }
  }

  public var kind: Kind
  public var message: String
  /// The request field at fault, as a key path (`items[2].response`), when there is one.
  public var field: String?
  /// Seconds for a `Retry-After` header (overload, shutdown).
  public var retryAfterSeconds: Int?

  public init(_ kind: Kind, _ message: String, field: String? = nil, retryAfterSeconds: Int? = nil) {
    self.kind = kind
    self.message = message
    self.field = field
    self.retryAfterSeconds = retryAfterSeconds
  }

  static func badRequest(_ field: String, _ message: String) -> APIError {
    APIError(.badRequest, "\(field): \(message)", field: field)
  }

  public var description: String { "\(kind.rawValue): \(message)" }

  /// The `error` object as it appears in responses (also per item in `/v1/rewards`).
  var json: JSONValue {
    var object = JSONObject([("type", .string(kind.rawValue)), ("message", .string(message))])
    if let field { object["field"] = .string(field) }
    return .object(object)
  }

  func response() -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
    if kind == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
    // The rest of such a body is not read: the connection cannot carry another request.
    if kind == .requestTimeout || kind == .clientAborted { headers[.connection] = "close" }
    let body = JSONValue.object(JSONObject([("error", json)])).jsonText
    return Response(status: kind.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
  }
}
