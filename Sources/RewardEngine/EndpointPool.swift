/// The engine replicas a client talks to, and the cap on requests in flight across all of them.
/// A request takes a slot (waiting, first come first served, when all are taken) on the endpoint
/// with the fewest requests in flight, so a slow or busy replica gets less work; ties rotate.
actor EndpointPool {
  let endpoints: [String]
  let capacity: Int
  private(set) var inFlight: [Int]
  private var taken = 0
  private var waiters: [CheckedContinuation<Void, Never>] = []
  private var firstWaiter = 0
  private var rotation = 0

  init(endpoints: [String], capacity: Int) {
    precondition(!endpoints.isEmpty && capacity > 0)
    self.endpoints = endpoints
    self.capacity = capacity
    inFlight = Array(repeating: 0, count: endpoints.count)
  }

  /// Waits for a slot and returns the endpoint index it is on. `avoiding` (the endpoint that just
  /// failed) is skipped when another endpoint exists, so a retry goes to a different replica.
  func acquire(avoiding: Int? = nil) async -> Int {
    if taken < capacity {
      taken += 1
    } else {
      // `release` hands its slot straight to the first waiter, so `taken` stays as it is.
      await withCheckedContinuation { waiters.append($0) }
    }
    return choose(avoiding: avoiding)
  }

  func release(_ index: Int) {
    inFlight[index] -= 1
    if firstWaiter < waiters.count {
      let next = waiters[firstWaiter]
      firstWaiter += 1
      if firstWaiter > 64, firstWaiter * 2 > waiters.count {
        waiters.removeFirst(firstWaiter)
        firstWaiter = 0
      }
      next.resume()
    } else {
      taken -= 1
    }
  }

  private func choose(avoiding: Int?) -> Int {
    var best: Int?
    for offset in 0..<endpoints.count {
      let index = (rotation + offset) % endpoints.count
      if index == avoiding, endpoints.count > 1 { continue }
      if best == nil || inFlight[index] < inFlight[best!] { best = index }
    }
    rotation = (rotation + 1) % endpoints.count
    let chosen = best ?? 0
    inFlight[chosen] += 1
    return chosen
  }
}
