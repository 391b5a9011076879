import Foundation
import RewardCore
import RewardRemote

/// `kind: remote`: a reward model served over HTTP — an OpenRLHF-style `/get_reward` URL (RewardKit's
/// own server included) or a vLLM `/classify` endpoint — as a component. See docs/SERVER.md.
enum RemoteComponent {
  static func make(_ p: inout Parameters) throws(SpecError) -> any SpecComponent {
    let url = try p.string("url")
    guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
      throw p.error("url", "expected an http:// or https:// URL, found '\(url.excerpt())'")
    }
    let protocolName = try p.choice(
      "protocol", among: RemoteProtocol.allCases.map(\.rawValue), default: RemoteProtocol.openrlhf.rawValue)
    var settings = RemoteSettings(url: url, wireProtocol: RemoteProtocol(rawValue: protocolName)!)
    settings.batchSize = try p.int("batch_size", default: settings.batchSize, range: 1...100_000)
    settings.maxConcurrentBatches = try p.int("max_concurrent", default: settings.maxConcurrentBatches, range: 1...256)
    settings.retry.maxRetries = try p.int("max_retries", default: settings.retry.maxRetries, range: 0...20)
    let timeout = try p.double("timeout_s", default: 60)
    guard timeout > 0 else { throw p.error("timeout_s", "must be greater than 0") }
    settings.timeout = .milliseconds(Int64(timeout * 1000))
    let backoff = try p.double("initial_backoff_ms", default: 200)
    guard backoff >= 0 else { throw p.error("initial_backoff_ms", "must not be negative") }
    settings.retry.initialBackoff = .microseconds(Int64(backoff * 1000))
    let retryAfterCap = try p.double(
      "max_retry_after_s", default: Double(settings.retry.maxRetryAfter.components.seconds))
    guard retryAfterCap >= 0, retryAfterCap.isFinite else {
      throw p.error("max_retry_after_s", "must be a number ≥ 0")
    }
    settings.retry.maxRetryAfter = .milliseconds(Int64(retryAfterCap * 1000))
    settings.model = try p.optionalString("model")
    settings.labelIndex = try p.int("label_index", default: 0, range: 0...1_000_000)
    settings.separator = try p.string("separator", default: settings.separator)
    // A secret does not belong in a spec file: the spec names the environment variable holding it.
    if let variable = try p.optionalString("api_key_env") {
      guard let key = ProcessInfo.processInfo.environment[variable], !key.isEmpty else {
        throw p.error("api_key_env", "the environment variable \(variable) is not set")
      }
      settings.apiKey = key
    }
    return ModelComponent(RemoteRewardModel(name: url, settings: settings))
  }
}
