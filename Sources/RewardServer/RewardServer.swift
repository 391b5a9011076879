import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import RewardCore
import RewardJudge
import ServiceLifecycle
import UnixSignals

/// The reward server: the routes of `docs/SERVER.md` over one `ScoringQueue`, run under
/// swift-service-lifecycle. On graceful shutdown (SIGTERM) the HTTP server stops accepting and
/// finishes in-flight requests first, then the queue scores what it holds and stops.
public struct RewardServer: Sendable {
  public let configuration: ServerConfiguration
  public let served: ServedModel
  public let metrics = ServerMetrics()
  public let logger: Logger

  public init(configuration: ServerConfiguration, served: ServedModel, logger: Logger) {
    self.configuration = configuration
    self.served = served
    self.logger = logger
  }

  /// The services to run, in start order. `onListening` receives the bound port (useful with port 0).
  public func services(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
    let executor = ScoringExecutor(threads: configuration.scoringThreads)
    let queue = ScoringQueue(
      model: served.model, settings: configuration.queueSettings, executor: executor, metrics: metrics)
    let api = RewardAPI(served: served, queue: queue, metrics: metrics)
    let app = Application(
      router: router(api),
      // Hummingbird's idle timer runs from the connection's opening or its last response until a
      // request head arrives (and while a body stalls): it is what closes slowloris connections.
      server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.headerTimeoutSeconds * 1e9)))),
      configuration: ApplicationConfiguration(
        address: .hostname(configuration.host, port: configuration.port), serverName: "RewardKit",
        availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
      onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
      logger: logger)
    let drain = DrainDeadline(queue: queue, timeout: .nanoseconds(Int64(configuration.shutdownTimeoutSeconds * 1e9)))
    return [queue, app, drain]
  }

  /// The service group `run` runs. Graceful shutdown (SIGTERM) answers what is still in flight
  /// after `shutdown_timeout_s` with 503 (`DrainDeadline`); should the drain still not end, it
  /// escalates to cancellation 5 s later.
  public func serviceGroup(
    signals: [UnixSignal] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) -> ServiceGroup {
    var group = ServiceGroupConfiguration(
      services: services(onListening: onListening), gracefulShutdownSignals: signals, logger: logger)
    group.maximumGracefulShutdownDuration = .nanoseconds(Int64((configuration.shutdownTimeoutSeconds + 5) * 1e9))
    return ServiceGroup(configuration: group)
  }

  /// Runs until one of `signals` arrives, then shuts down gracefully.
  public func run(
    signals: [UnixSignal] = [.sigterm, .sigint], onListening: @escaping @Sendable (Int) async -> Void = { _ in }
  ) async throws {
    try await serviceGroup(signals: signals, onListening: onListening).run()
  }

  func router(_ api: RewardAPI) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ObservingMiddleware(metrics: metrics, logger: logger))
    if let apiKey = configuration.apiKey { router.add(middleware: BearerAuthMiddleware(apiKey: apiKey)) }
    let metrics = metrics
    let capacity = configuration.maxQueuedItems
    let intake = RequestIntake(
      maxBodyBytes: configuration.maxBodyBytes,
      bodyTimeout: .nanoseconds(Int64(configuration.bodyTimeoutSeconds * 1e9)),
      budget: BodyBudget(limit: configuration.maxInFlightBodyBytes),
      queueIsFull: { metrics.queuedItems >= capacity })
    router.post("get_reward") { request, _ in try await json(request, intake, api.getReward) }
    router.post("v1/rewards") { request, _ in try await json(request, intake, api.rewards) }
    router.post("v1/compare") { request, _ in try await json(request, intake, api.compare) }
    for path in ["classify", "v1/classify"] {
      router.post(RouterPath(stringLiteral: path)) { request, _ in try await json(request, intake, api.classify) }
    }
    for path in ["score", "v1/score"] {
      router.post(RouterPath(stringLiteral: path)) { request, _ in try await json(request, intake, api.score) }
    }
    let name = served.model.name
    router.get("health") { _, _ in
      Self.jsonResponse(.object(JSONObject([("status", "ok"), ("model", .string(name))])))
    }
    // Load balancers probe with HEAD too: the same answer without a body.
    router.head("health") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"]) }
    let description = specDescription()
    router.get("v1/spec") { _, _ in Self.jsonResponse(description) }
    let judges = JudgeEngines.judges(in: served.model)
    router.get("metrics") { _, _ in
      Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
        body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render() + JudgeMetricsText.render(judges))))
    }
    return router
  }

  /// `GET /v1/spec`: the served model's description and the serving settings (never the API key).
  func specDescription() -> JSONValue {
    var object = served.description
    object["serving"] = .object(
      JSONObject([
        ("max_batch_size", .int(Int64(configuration.maxBatchSize))),
        ("max_wait_ms", .double(configuration.maxWaitMilliseconds)),
        ("max_queued_items", .int(Int64(configuration.maxQueuedItems))),
        ("request_timeout_s", .double(configuration.requestTimeoutSeconds)),
        ("max_body_bytes", .int(Int64(configuration.maxBodyBytes))),
        ("max_inflight_body_bytes", .int(Int64(configuration.maxInFlightBodyBytes))),
        ("header_timeout_s", .double(configuration.headerTimeoutSeconds)),
        ("body_timeout_s", .double(configuration.bodyTimeoutSeconds)),
        ("max_connections", .int(Int64(configuration.maxConnections))),
        ("shutdown_timeout_s", .double(configuration.shutdownTimeoutSeconds)),
        ("auth", .bool(configuration.apiKey != nil)),
        (
          "endpoints",
          [
            "POST /get_reward", "POST /v1/rewards", "POST /v1/compare", "POST /classify", "POST /score", "GET /health",
            "HEAD /health",
            "GET /metrics", "GET /v1/spec",
          ]
        ),
      ]))
    return .object(object)
  }

  static func jsonResponse(_ value: JSONValue) -> Response {
    Response(
      status: .ok, headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
  }
}

/// Admits and reads the body (see `RequestIntake`: 503, 413, 408), parses it as a JSON object (else
/// 400 naming where it broke), runs `handler` and writes its result as JSON.
func json(_ request: Request, _ intake: RequestIntake, _ handler: (FieldReader) async throws -> JSONValue)
  async throws -> Response
{
  try await intake.withBody(of: request) { bytes in
    let object = try parseJSONObject(bytes)
    return RewardServer.jsonResponse(try await handler(FieldReader(object)))
  }
}

extension RewardServer {
  /// `reward serve`: sets up logging as configured, loads the spec or model, and serves until
  /// SIGTERM/SIGINT. `loadModel` is the CLI's `--model` loader, so everything it loads (checkpoint
  /// directories, spec files, remote URLs) is servable.
  /// With `checkEngines`, the served model's judge engines must answer before the server starts
  /// (a clear message naming the engine's URL instead of failing the first request).
  public static func serve(
    _ configuration: ServerConfiguration, loadModel: (String) throws -> any RewardModel, checkEngines: Bool = true
  ) async throws {
    let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
    let format = configuration.logFormat
    LoggingSystem.bootstrap { label in
      var handler: any LogHandler =
        format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
    let logger = Logger(label: "reward.serve")
    let served: ServedModel
    if let spec = configuration.spec {
      served = try ServedModel.spec(path: spec)
    } else {
      let reference = configuration.model!
      served = ServedModel.model(try loadModel(reference), source: reference)
    }
    if checkEngines { try await JudgeEngines.checkReachable(served.model) }
    let server = RewardServer(configuration: configuration, served: served, logger: logger)
    try await server.run { port in
      logger.info(
        "serving \(served.model.name) on http://\(configuration.host):\(port)",
        metadata: ["max_batch_size": "\(configuration.maxBatchSize)", "auth": "\(configuration.apiKey != nil)"])
    }
  }
}
