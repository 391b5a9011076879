import ArgumentParser
import Foundation
import RewardCore
import RewardServer
import RewardSpec

extension ServerConfiguration.LogFormat: ExpressibleByArgument {}

struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract:
      "Serve a reward spec or a trained checkpoint over HTTP to RL trainers (OpenRLHF, vLLM, TRL/verl clients).",
    discussion: """
      Endpoints: POST /get_reward (OpenRLHF), POST /v1/rewards, POST /v1/compare, \
      POST /classify and POST /score (vLLM), GET /health, GET /metrics (Prometheus), \
      GET /v1/spec. See docs/SERVER.md.

        reward serve --spec math.yaml --port 8000
        reward serve --config serve.yaml   # any setting below, as a snake_case key

      Options given here override the config file. SIGTERM or Ctrl-C stops accepting \
      requests, finishes those in flight, then exits.
      """)

  @Option(help: "Reward spec file (YAML or JSON) to serve.")
  var spec: String?

  @Option(help: "Model to serve: a checkpoint directory (from `reward train`), or anything else `--model` accepts.")
  var model: String?

  @Option(
    help: """
      Config file (YAML or JSON) whose keys are these options in snake_case (port, \
      max_body_bytes, header_timeout_s, …; docs/SERVER.md lists them all).
      """)
  var config: String?

  @Option(help: "Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).")
  var host: String?

  @Option(help: "Port to listen on (default 8000; 0 picks a free one).")
  var port: Int?

  @Option(help: "Require `Authorization: Bearer KEY` (default: $REWARDKIT_API_KEY, else no auth).")
  var apiKey: String?

  @Option(help: "Largest request body in bytes; larger ones get 413 (default 33554432).")
  var maxBodyBytes: Int?

  @Option(help: "Most items scored in one model call; concurrent requests are merged up to it (default 256).")
  var maxBatchSize: Int?

  @Option(
    name: .customLong("max-wait-ms"),
    help: "How long a batch of a model that gains from batching waits for more requests (default 2).")
  var maxWaitMilliseconds: Double?

  @Option(help: "Items that may wait in the queue; beyond it requests get 503 + Retry-After (default 65536).")
  var maxQueuedItems: Int?

  @Option(name: .customLong("request-timeout-s"), help: "Per-request scoring deadline in seconds (default 120).")
  var requestTimeoutSeconds: Double?

  @Option(
    name: .customLong("max-inflight-body-bytes"),
    help: "Body bytes all requests in flight may hold; beyond it 503 before reading (default 67108864).")
  var maxInFlightBodyBytes: Int?

  @Option(
    name: .customLong("header-timeout-s"),
    help: "Seconds a connection may take to send a request head (also the idle keep-alive limit; default 10).")
  var headerTimeoutSeconds: Double?

  @Option(
    name: .customLong("body-timeout-s"), help: "Seconds a request body may take to arrive; then 408 (default 60).")
  var bodyTimeoutSeconds: Double?

  @Option(help: "Open connections at most; more wait in the listen backlog (default 512).")
  var maxConnections: Int?

  @Option(
    name: .customLong("shutdown-timeout-s"),
    help: "On SIGTERM, seconds in-flight requests may take before they get 503 and the server exits (default 30).")
  var shutdownTimeoutSeconds: Double?

  @Option(help: "Threads that run scoring (default: the number of CPU cores).")
  var scoringThreads: Int?

  @Option(help: "Log format: text or json (default text).")
  var logFormat: ServerConfiguration.LogFormat?

  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
  var logLevel: String?

  @Flag(
    name: .customLong("no-engine-check"),
    help: "Do not check at start that the engines of the model's LLM judges answer (`check: false` per engine).")
  var noEngineCheck = false

  func resolvedConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws
    -> ServerConfiguration
  {
    var settings = try config.map(ServerConfiguration.load(file:)) ?? ServerConfiguration()
    if spec != nil || model != nil {
      settings.spec = spec
      settings.model = model
    }
    if let host { settings.host = host }
    if let port { settings.port = port }
    if let key = apiKey ?? environment["REWARDKIT_API_KEY"] { settings.apiKey = key }
    if let maxBodyBytes { settings.maxBodyBytes = maxBodyBytes }
    if let maxBatchSize { settings.maxBatchSize = maxBatchSize }
    if let maxWaitMilliseconds { settings.maxWaitMilliseconds = maxWaitMilliseconds }
    if let maxQueuedItems { settings.maxQueuedItems = maxQueuedItems }
    if let requestTimeoutSeconds { settings.requestTimeoutSeconds = requestTimeoutSeconds }
    if let maxInFlightBodyBytes { settings.maxInFlightBodyBytes = maxInFlightBodyBytes }
    if let headerTimeoutSeconds { settings.headerTimeoutSeconds = headerTimeoutSeconds }
    if let bodyTimeoutSeconds { settings.bodyTimeoutSeconds = bodyTimeoutSeconds }
    if let maxConnections { settings.maxConnections = maxConnections }
    if let shutdownTimeoutSeconds { settings.shutdownTimeoutSeconds = shutdownTimeoutSeconds }
    if let scoringThreads { settings.scoringThreads = scoringThreads }
    if let logFormat { settings.logFormat = logFormat }
    if let logLevel { settings.logLevel = logLevel }
    try settings.validate()
    return settings
  }

  func run() async throws {
    try await RewardServer.serve(resolvedConfiguration(), loadModel: ModelLoader.load, checkEngines: !noEngineCheck)
  }
}
