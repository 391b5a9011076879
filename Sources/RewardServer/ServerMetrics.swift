import Synchronization

/// Counters, gauges and histograms for `GET /metrics`, written in the Prometheus text format
/// (version 0.0.4). Kept in-process and dependency-free: a handful of series, updated under one
/// lock, is far cheaper than the scoring it measures.
public final class ServerMetrics: Sendable {
  /// Seconds; dense below 20 ms, where a rule spec's requests land.
  static let latencyBuckets: [Double] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
  ]
  static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]

  struct Histogram {
    let bounds: [Double]
    var counts: [UInt64]
    var sum = 0.0
    var count: UInt64 = 0

    init(bounds: [Double]) {
      self.bounds = bounds
      counts = Array(repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
      if let bucket = bounds.firstIndex(where: { value <= $0 }) { counts[bucket] += 1 }
      sum += value
      count += 1
    }
  }

  struct RequestKey: Hashable, Comparable {
    var endpoint: String
    var status: Int
    static func < (a: RequestKey, b: RequestKey) -> Bool { (a.endpoint, a.status) < (b.endpoint, b.status) }
  }

  struct State {
    var requests: [RequestKey: UInt64] = [:]
    var items: [String: UInt64] = [:]
    var latency: [String: Histogram] = [:]
    var errors: [String: UInt64] = [:]
    var batchSize = Histogram(bounds: batchBuckets)
    var batchSeconds = Histogram(bounds: latencyBuckets)
    var queuedItems = 0
    var inFlightRequests = 0
  }

  private let state = Mutex(State())

  public init() {}

  func requestStarted() { state.withLock { $0.inFlightRequests += 1 } }

  func requestFinished(endpoint: String, status: Int, seconds: Double) {
    state.withLock { state in
      state.inFlightRequests -= 1
      state.requests[RequestKey(endpoint: endpoint, status: status), default: 0] += 1
      state.latency[endpoint, default: Histogram(bounds: Self.latencyBuckets)].observe(seconds)
    }
  }

  func itemsScored(endpoint: String, count: Int) {
    state.withLock { $0.items[endpoint, default: 0] += UInt64(count) }
  }

  func error(_ kind: String) { state.withLock { $0.errors[kind, default: 0] += 1 } }

  func batchScored(size: Int, seconds: Double) {
    state.withLock { state in
      state.batchSize.observe(Double(size))
      state.batchSeconds.observe(seconds)
    }
  }

  func queueDepth(_ items: Int) { state.withLock { $0.queuedItems = items } }

  /// The current values, for tests and logs.
  public var queuedItems: Int { state.withLock { $0.queuedItems } }
  public func errorCount(_ kind: String) -> UInt64 { state.withLock { $0.errors[kind] ?? 0 } }

  /// Every series in Prometheus text exposition format.
  public func render() -> String {
    let snapshot = state.withLock { $0 }
    var out = ""
    func header(_ name: String, _ type: String, _ help: String) {
      out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }
    header("rewardkit_requests_total", "counter", "HTTP requests answered, by endpoint and status code.")
    for (key, value) in snapshot.requests.sorted(by: { $0.key < $1.key }) {
      out += "rewardkit_requests_total{endpoint=\"\(key.endpoint)\",status=\"\(key.status)\"} \(value)\n"
    }
    header("rewardkit_items_total", "counter", "Items (candidates) scored, by endpoint.")
    for (endpoint, value) in snapshot.items.sorted(by: { $0.key < $1.key }) {
      out += "rewardkit_items_total{endpoint=\"\(endpoint)\"} \(value)\n"
    }
    header("rewardkit_errors_total", "counter", "Errors, by kind.")
    for (kind, value) in snapshot.errors.sorted(by: { $0.key < $1.key }) {
      out += "rewardkit_errors_total{kind=\"\(kind)\"} \(value)\n"
    }
    header("rewardkit_request_duration_seconds", "histogram", "Time from request to response, by endpoint.")
    for (endpoint, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
      write(histogram, name: "rewardkit_request_duration_seconds", labels: "endpoint=\"\(endpoint)\",", into: &out)
    }
    header("rewardkit_batch_size", "histogram", "Items per scoring batch (micro-batches merge concurrent requests).")
    write(snapshot.batchSize, name: "rewardkit_batch_size", labels: "", into: &out)
    header("rewardkit_batch_duration_seconds", "histogram", "Time to score one batch.")
    write(snapshot.batchSeconds, name: "rewardkit_batch_duration_seconds", labels: "", into: &out)
    header("rewardkit_queue_depth", "gauge", "Items waiting to be scored.")
    out += "rewardkit_queue_depth \(snapshot.queuedItems)\n"
    header("rewardkit_in_flight_requests", "gauge", "Requests being handled.")
    out += "rewardkit_in_flight_requests \(snapshot.inFlightRequests)\n"
    return out
  }

  private func write(_ histogram: Histogram, name: String, labels: String, into out: inout String) {
    var cumulative: UInt64 = 0
    for (bound, count) in zip(histogram.bounds, histogram.counts) {
      cumulative += count
      out += "\(name)_bucket{\(labels)le=\"\(bound)\"} \(cumulative)\n"
    }
    out += "\(name)_bucket{\(labels)le=\"+Inf\"} \(histogram.count)\n"
    let bare = labels.isEmpty ? "" : "{\(labels.dropLast())}"
    out += "\(name)_sum\(bare) \(histogram.sum)\n"
    out += "\(name)_count\(bare) \(histogram.count)\n"
  }
}
