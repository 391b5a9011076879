import Foundation

/// The engine an `engine:` block describes, as judges hold it: the client (behind the request
/// cache when one is configured), the configuration it came from (for the start-up reachability
/// check and its located message) and the client's usage counters (for reports and `/metrics`).
public struct ConfiguredEngine: ChatEngine {
  public let engine: any ChatEngine
  public let configuration: EngineConfiguration
  public let usage: EngineUsage

  public var modelName: String { engine.modelName }

  public func chat(_ request: ChatRequest) async throws -> ChatResponse {
    try await engine.chat(request)
  }

  /// `configuration.checkReachable()`: every endpoint answers within 5 s, unless `check: false`.
  public func checkReachable() async throws {
    try await configuration.checkReachable()
  }
}

extension EngineConfiguration {
  /// `makeEngine()` with its configuration and counters kept beside it.
  public func makeConfiguredEngine(environment: [String: String] = ProcessInfo.processInfo.environment) throws
    -> ConfiguredEngine
  {
    let usage = EngineUsage()
    return ConfiguredEngine(
      engine: try makeEngine(usage: usage, environment: environment), configuration: self, usage: usage)
  }
}
