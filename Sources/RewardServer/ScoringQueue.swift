import Foundation
import RewardCore
import ServiceLifecycle
import Synchronization

/// Micro-batching between HTTP requests and the model. Requests enqueue their candidates; workers
/// take whole requests, up to `maxBatchSize` items, waiting at most `maxWait` after the oldest
/// arrived for more to join (only for models that benefit from batching: a rule spec takes what
/// is queued at once), and score them in one `score` call on the scoring executor. The queue
/// is bounded (`capacity` items): beyond it a request fails at once with `overloaded` instead of
/// waiting without bound. Each request has a deadline; one that passes it fails with `timeout` and
/// is dropped from the queue if it has not started.
///
/// A request is never split across batches, and when requests share a batch their `group` keys are
/// kept apart, so group normalisation (GRPO) sees exactly one request's groups.
public actor ScoringQueue: Service {
  public struct Settings: Sendable {
    public var maxBatchSize: Int
    public var maxWait: Duration
    public var capacity: Int
    public var timeout: Duration
    public var workers: Int

    public init(maxBatchSize: Int, maxWait: Duration, capacity: Int, timeout: Duration, workers: Int) {
      self.maxBatchSize = maxBatchSize
      self.maxWait = maxWait
      self.capacity = capacity
      self.timeout = timeout
      self.workers = workers
    }
  }

  public nonisolated let settings: Settings
  private let model: any RewardModel
  private let executor: ScoringExecutor
  private let metrics: ServerMetrics
  private var pending: [ScoringJob] = []
  private var pendingHead = 0
  private var pendingItems = 0
  private var idleWorkers: [CheckedContinuation<Void, Never>] = []
  /// Workers waiting for a batch to fill, each with the timer that ends its wait at `maxWait`.
  private var batchWaiters: [Int: (worker: CheckedContinuation<Void, Never>, timer: Task<Void, Never>)] = [:]
  private var nextBatchWaiter = 0
  private var accepting = true
  /// Shutdown has begun: what is queued, or still arrives from requests in flight, is scored
  /// without waiting for company.
  private var draining = false
  /// Requests taken into a batch whose scoring has not returned yet.
  private var inFlight: [ObjectIdentifier: ScoringJob] = [:]
  private var liveWorkers: Int
  private var drainWaiter: CheckedContinuation<Void, Never>?
  private var abandoned = false

  public init(model: any RewardModel, settings: Settings, executor: ScoringExecutor, metrics: ServerMetrics) {
    self.model = model
    self.settings = settings
    self.executor = executor
    self.metrics = metrics
    liveWorkers = settings.workers
  }

  /// Scores `candidates` as part of a micro-batch; throws `APIError` (overloaded, timeout,
  /// shutting down, scoring failed).
  public func score(_ candidates: [Candidate]) async throws -> [Reward] {
    if candidates.isEmpty { return [] }
    guard accepting else { throw APIError(.shuttingDown, "the server is shutting down", retryAfterSeconds: 1) }
    guard candidates.count <= settings.capacity else {
      throw APIError(
        .payloadTooLarge,
        "the request has \(candidates.count) items; the server queues at most \(settings.capacity): split it")
    }
    guard pendingItems + candidates.count <= settings.capacity else {
      throw APIError(
        .overloaded, "the scoring queue is full (\(pendingItems) items waiting); retry later", retryAfterSeconds: 1)
    }
    let job = ScoringJob(candidates: candidates)
    let timeout = settings.timeout
    return try await withCheckedThrowingContinuation { continuation in
      job.attach(continuation, timeout: timeout)
      pending.append(job)
      pendingItems += candidates.count
      metrics.queueDepth(pendingItems)
      if let worker = idleWorkers.popLast() { worker.resume() }
      if pendingItems >= settings.maxBatchSize { wakeBatchWaiters() }
    }
  }

  /// Runs the workers until graceful shutdown, then stops accepting requests and returns once
  /// everything already queued is scored (the HTTP server, shut down first, drains in-flight
  /// requests into this queue). Cancellation (graceful shutdown past `shutdown_timeout_s`) answers
  /// every request still queued or being scored with 503 and returns without waiting for the
  /// workers: a worker stuck in a model call must not keep the process from exiting.
  public nonisolated func run() async throws {
    for _ in 0..<settings.workers {
      Task {
        await withTaskExecutorPreference(self.executor) { await self.work() }
        await self.workerFinished()
      }
    }
    await withTaskCancellationHandler {
      try? await gracefulShutdown()
      await self.stopAccepting()
      await self.waitForWorkers()
    } onCancel: {
      Task { await self.abandon() }
    }
    executor.shutdown()
  }

  func stopAccepting() {
    accepting = false
    for worker in idleWorkers { worker.resume() }
    idleWorkers.removeAll()
    wakeBatchWaiters()
  }

  /// Called when graceful shutdown starts, before the HTTP server drains its requests into the
  /// queue: a request waiting for a micro-batch would otherwise hold the drain for `maxWait`.
  func stopWaitingForBatches() {
    draining = true
    wakeBatchWaiters()
  }

  private func workerFinished() {
    liveWorkers -= 1
    if liveWorkers == 0, let waiter = drainWaiter {
      drainWaiter = nil
      waiter.resume()
    }
  }

  private func waitForWorkers() async {
    guard liveWorkers > 0, !abandoned else { return }
    await withCheckedContinuation { drainWaiter = $0 }
  }

  /// Fails every request not yet answered and lets `run` return.
  func abandon() {
    abandoned = true
    stopAccepting()
    let shutdown = APIError(.shuttingDown, "the server is shutting down", retryAfterSeconds: 1)
    for job in pending[pendingHead...] { job.finish(.failure(shutdown)) }
    for job in inFlight.values { job.finish(.failure(shutdown)) }
    if let waiter = drainWaiter {
      drainWaiter = nil
      waiter.resume()
    }
  }

  private func work() async {
    while let batch = await nextBatch() {
      await run(batch)
      for job in batch { inFlight[ObjectIdentifier(job)] = nil }
    }
  }

  /// The next requests to score together, or nil once shut down and empty.
  private func nextBatch() async -> [ScoringJob]? {
    while true {
      dropFinishedJobs()
      guard pendingHead < pending.count else {
        if !accepting { return nil }
        await withCheckedContinuation { idleWorkers.append($0) }
        continue
      }
      if accepting, !draining, settings.maxWait > .zero, model.benefitsFromBatching,
        pendingItems < settings.maxBatchSize
      {
        let due = pending[pendingHead].enqueued + settings.maxWait
        if ContinuousClock.now < due {
          await waitForBatch(until: due)
          continue  // Another worker may have taken the jobs meanwhile.
        }
      }
      return takeBatch()
    }
  }

  /// Waits until `due`, or less: until enough items are queued for a full batch or shutdown starts.
  /// A plain sleep until `due` held a full batch (and a graceful shutdown) for all of `maxWait`.
  private func waitForBatch(until due: ContinuousClock.Instant) async {
    let id = nextBatchWaiter
    nextBatchWaiter += 1
    await withCheckedContinuation { worker in
      let timer = Task {
        try? await Task.sleep(until: due, clock: .continuous)
        self.wakeBatchWaiter(id)  // The timer runs on this actor.
      }
      batchWaiters[id] = (worker, timer)
    }
  }

  private func wakeBatchWaiter(_ id: Int) {
    batchWaiters.removeValue(forKey: id)?.worker.resume()
  }

  private func wakeBatchWaiters() {
    for (worker, timer) in batchWaiters.values {
      timer.cancel()
      worker.resume()
    }
    batchWaiters.removeAll()
  }

  private func dropFinishedJobs() {
    while pendingHead < pending.count, pending[pendingHead].isFinished {
      pendingItems -= pending[pendingHead].candidates.count
      pendingHead += 1
    }
    compact()
  }

  private func takeBatch() -> [ScoringJob] {
    var batch: [ScoringJob] = []
    var items = 0
    while pendingHead < pending.count {
      let job = pending[pendingHead]
      if !batch.isEmpty && items + job.candidates.count > settings.maxBatchSize { break }
      pendingHead += 1
      pendingItems -= job.candidates.count
      if job.isFinished { continue }
      batch.append(job)
      inFlight[ObjectIdentifier(job)] = job
      items += job.candidates.count
    }
    compact()
    metrics.queueDepth(pendingItems)
    return batch
  }

  private func compact() {
    if pendingHead == pending.count {
      pending.removeAll(keepingCapacity: true)
      pendingHead = 0
    } else if pendingHead > 256 && pendingHead * 2 > pending.count {
      pending.removeFirst(pendingHead)
      pendingHead = 0
    }
  }

  /// Scores a batch; if a merged batch fails, each request is retried alone so that one request's
  /// failure is not blamed on the others.
  private nonisolated func run(_ batch: [ScoringJob]) async {
    let candidates = Self.merge(batch)
    let started = ContinuousClock.now
    do {
      let rewards = try await model.score(candidates)
      guard rewards.count == candidates.count else {
        throw ConfigurationError("\(model.name) returned \(rewards.count) rewards for \(candidates.count) candidates")
      }
      metrics.batchScored(size: candidates.count, seconds: (ContinuousClock.now - started).seconds)
      var offset = 0
      for job in batch {
        job.finish(.success(Array(rewards[offset..<offset + job.candidates.count])))
        offset += job.candidates.count
      }
    } catch {
      if batch.count > 1 {
        for job in batch { await run([job]) }
      } else {
        batch[0].finish(.failure(APIError(.scoringFailed, "scoring failed: \(error)")))
      }
    }
  }

  /// All candidates of a batch, with each request's groups made distinct from other requests'.
  static func merge(_ batch: [ScoringJob]) -> [Candidate] {
    guard batch.count > 1 else { return batch.first?.candidates ?? [] }
    var merged: [Candidate] = []
    merged.reserveCapacity(batch.reduce(0) { $0 + $1.candidates.count })
    for (index, job) in batch.enumerated() {
      for var candidate in job.candidates {
        if let group = candidate.group { candidate.group = "\(index)\u{1F}\(group)" }
        merged.append(candidate)
      }
    }
    return merged
  }
}

/// Bounds the drain on graceful shutdown. Listed after the HTTP server, it hears of the shutdown
/// first (services stop in reverse order) and starts the clock; when `timeout` has passed, the
/// queue answers everything still queued or being scored with 503, so the HTTP server's drain ends
/// even if a model call never returns.
struct DrainDeadline: Service {
  let queue: ScoringQueue
  let timeout: Duration

  func run() async throws {
    try? await gracefulShutdown()
    await queue.stopWaitingForBatches()
    let (queue, timeout) = (queue, timeout)
    Task {
      try? await Task.sleep(for: timeout)
      await queue.abandon()
    }
  }
}

/// One request waiting in the queue. It finishes exactly once: with rewards, with an error, or
/// with a timeout, whichever comes first; later attempts are ignored.
final class ScoringJob: Sendable {
  let candidates: [Candidate]
  let enqueued = ContinuousClock.now
  private struct Waiting {
    var continuation: CheckedContinuation<[Reward], any Error>?
    var timer: Task<Void, Never>?
    var finished = false
  }
  private let state = Mutex(Waiting())

  init(candidates: [Candidate]) {
    self.candidates = candidates
  }

  var isFinished: Bool { state.withLock { $0.finished } }

  func attach(_ continuation: CheckedContinuation<[Reward], any Error>, timeout: Duration) {
    state.withLock { $0.continuation = continuation }
    let timer = Task { [weak self] in
      guard (try? await Task.sleep(for: timeout)) != nil else { return }
      self?.finish(.failure(APIError(.timeout, "scoring did not finish within \(timeout.seconds) s")))
    }
    let finishedAlready = state.withLock { waiting in
      if !waiting.finished { waiting.timer = timer }
      return waiting.finished
    }
    if finishedAlready { timer.cancel() }
  }

  func finish(_ result: Result<[Reward], any Error>) {
    let (continuation, timer) = state.withLock { waiting in
      defer {
        waiting.continuation = nil
        waiting.timer = nil
        waiting.finished = true
      }
      return (waiting.continuation, waiting.timer)
    }
    timer?.cancel()
    continuation?.resume(with: result)
  }
}

extension Duration {
  var seconds: Double {
    let (whole, attoseconds) = components
    return Double(whole) + Double(attoseconds) * 1e-18
  }
}
