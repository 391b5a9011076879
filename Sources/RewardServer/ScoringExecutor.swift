import Foundation

/// A small pool of dedicated threads that runs scoring. Model and rule scoring is CPU-bound; running
/// it here (through `withTaskExecutorPreference`) keeps it off the NIO event loops and off the
/// cooperative pool that parses requests, so `/health` and `/metrics` answer while a batch runs.
public final class ScoringExecutor: TaskExecutor, @unchecked Sendable {
  // `condition` guards `jobs` and `stopped`; that is what makes the unchecked Sendable sound.
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []
  private var head = 0
  private var stopped = false
  public let threadCount: Int

  public init(threads: Int, name: String = "rewardkit-scoring") {
    threadCount = max(1, threads)
    for index in 0..<threadCount {
      let thread = Thread { [self] in self.work() }
      thread.name = "\(name)-\(index)"
      thread.start()
    }
  }

  public func enqueue(_ job: consuming ExecutorJob) {
    let unowned = UnownedJob(job)
    condition.lock()
    if stopped {
      condition.unlock()
      let executor = asUnownedTaskExecutor()
      Thread { unowned.runSynchronously(on: executor) }.start()
      return
    }
    jobs.append(unowned)
    condition.signal()
    condition.unlock()
  }

  /// Lets the threads finish queued work and exit. A job enqueued afterwards still runs (on a
  /// thread of its own), so no task is ever left suspended.
  public func shutdown() {
    condition.lock()
    stopped = true
    condition.broadcast()
    condition.unlock()
  }

  private func work() {
    while true {
      condition.lock()
      while head == jobs.count && !stopped { condition.wait() }
      if head == jobs.count {
        condition.unlock()
        return
      }
      let job = jobs[head]
      head += 1
      if head > 1024 && head * 2 > jobs.count {
        jobs.removeFirst(head)
        head = 0
      }
      condition.unlock()
      job.runSynchronously(on: asUnownedTaskExecutor())
    }
  }
}
