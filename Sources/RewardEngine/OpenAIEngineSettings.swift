import Foundation
import RewardCore

/// How to reach an OpenAI-compatible engine and how hard to push it.
public struct OpenAIEngineSettings: Sendable, Equatable {
  /// One or more replicas' base URLs as the OpenAI client takes them (`http://host:8000/v1`);
  /// requests go to the one with the fewest requests in flight.
  public var baseURLs: [String]
  /// The served model name sent as `model` (vLLM's `--served-model-name`; any text for llama-server).
  public var model: String
  public var apiKey: APIKey?
  /// Requests in flight at once, across all endpoints.
  public var maxInFlight: Int
  public var requestsPerMinute: Int?
  public var tokensPerMinute: Int?
  /// Per attempt: connecting, sending, and reading the whole answer.
  public var timeout: Duration
  public var retry: RetryPolicy
  public var maxResponseBytes: Int

  public init(
    baseURLs: [String], model: String, apiKey: APIKey? = nil, maxInFlight: Int = 16, requestsPerMinute: Int? = nil,
    tokensPerMinute: Int? = nil, timeout: Duration = .seconds(120), retry: RetryPolicy = RetryPolicy(),
    maxResponseBytes: Int = 32 << 20
  ) {
    self.baseURLs = baseURLs
    self.model = model
    self.apiKey = apiKey
    self.maxInFlight = maxInFlight
    self.requestsPerMinute = requestsPerMinute
    self.tokensPerMinute = tokensPerMinute
    self.timeout = timeout
    self.retry = retry
    self.maxResponseBytes = maxResponseBytes
  }

  /// `http(s)://host[:port][/path]` without a trailing slash; a URL with no path gets `/v1`
  /// (where every OpenAI-compatible server mounts its API).
  public static func normalizedBaseURL(_ text: String) throws -> String {
    var url = text.trimmingCharacters(in: .whitespaces)
    guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
      throw ConfigurationError("engine base URL '\(redactingCredentials(url))': expected http:// or https://")
    }
    while url.hasSuffix("/") { url.removeLast() }
    let afterScheme = url.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
    guard afterScheme.count >= 3, !afterScheme[2].isEmpty else {
      throw ConfigurationError("engine base URL '\(redactingCredentials(url))': no host")
    }
    if !afterScheme[2].contains("/") { url += "/v1" }
    return url
  }

  /// A URL fit for messages and reports: `user:password@` is removed.
  public static func redactingCredentials(_ url: String) -> String {
    guard let scheme = url.range(of: "://") else { return url }
    let rest = url[scheme.upperBound...]
    let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
    guard let at = rest[..<hostEnd].lastIndex(of: "@") else { return url }
    return String(url[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
  }
}

/// An API key. It prints as `<redacted>` (in `print`, `dump`, string interpolation and error
/// messages), so settings can be logged; only the HTTP `Authorization` header sees the value.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
  let value: String

  public init(_ value: String) { self.value = value }

  public var description: String { "<redacted>" }
  public var debugDescription: String { "<redacted>" }
  public var customMirror: Mirror { Mirror(self, children: []) }
}
