import Foundation
import NIOHTTP1
import RewardCore
import RewardServer
import Testing

/// Issue 16 (7, 8, 14, 17): what hostile or broken clients do to the server, over raw sockets on
/// loopback. Bounds are loose: tests run in parallel on a busy two-core machine.
@Suite struct ConnectionLimitTests {
  static let head = "POST /get_reward HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

  /// Slowloris: a request head that never completes, even one trickled a byte at a time, is closed
  /// after `header_timeout_s` (it used to stay open for good).
  @Test func partialHeadersAreClosedWithinTheHeaderTimeout() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec), configure: { $0.headerTimeoutSeconds = 0.5 }) { server in
      let port = server.port
      let (silent, trickling) = await blocking { () -> (RawConnection.ReadResult, RawConnection.ReadResult) in
        guard let silent = try? RawConnection(port: port), let trickling = try? RawConnection(port: port) else {
          return (.open(text: "no connection"), .open(text: "no connection"))
        }
        silent.transmit("POST /get_reward HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        trickling.transmit("GET /health HTTP/1.1\r\n")
        for character in "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
          guard trickling.transmit(String(character)) else { break }
          Thread.sleep(forTimeInterval: 0.1)
        }
        return (silent.readUntilClosed(wait: .seconds(8)), trickling.readUntilClosed(wait: .seconds(8)))
      }
      #expect(silent == .closed(text: ""))
      #expect(trickling == .closed(text: ""))
      let health = try await server.get("/health").status
      #expect(health == 200)
    }
  }

  /// A keep-alive connection left idle after its response is closed too.
  @Test func idleKeepAliveConnectionsAreClosed() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec), configure: { $0.headerTimeoutSeconds = 0.5 }) { server in
      let port = server.port
      let result = await blocking { () -> RawConnection.ReadResult in
        guard let connection = try? RawConnection(port: port) else { return .open(text: "no connection") }
        connection.transmit("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return connection.readUntilClosed(wait: .seconds(8))
      }
      guard case .closed(let text) = result else {
        Issue.record("the idle connection stayed open: \(result)")
        return
      }
      #expect(text.hasPrefix("HTTP/1.1 200"))
    }
  }

  /// A body that trickles in slower than `body_timeout_s` gets 408 and the connection is closed.
  @Test func slowBodyGets408() async throws {
    try await ServerHarness.with(
      servedSpec(mathFormatSpec),
      configure: {
        $0.bodyTimeoutSeconds = 0.5
        $0.headerTimeoutSeconds = 5
      }
    ) { server in
      let port = server.port
      let result = await blocking { () -> RawConnection.ReadResult in
        guard let connection = try? RawConnection(port: port) else { return .open(text: "no connection") }
        connection.transmit(Self.head + "Content-Length: 40\r\n\r\n{\"query\"")
        for _ in 0..<20 {
          guard connection.transmit(" ") else { break }
          Thread.sleep(forTimeInterval: 0.1)
        }
        return connection.readUntilClosed(wait: .seconds(8))
      }
      guard case .closed(let text) = result else {
        Issue.record("no 408 and the connection stayed open: \(result)")
        return
      }
      #expect(text.hasPrefix("HTTP/1.1 408"), "\(text)")
      #expect(text.lowercased().contains("connection: close"))
      #expect(text.contains(#""type":"request_timeout""#))
      #expect(server.server.metrics.errorCount("request_timeout") == 1)
    }
  }

  /// Admission before reading: requests in flight that hold the whole body budget make the next
  /// request 503 with Retry-After, before its body is read; once they finish it is admitted.
  ///
  /// It once failed in about one full parallel run in three: CPU-bound tests of other targets held
  /// both threads of the cooperative pool and starved this one. scripts/test.sh now runs the
  /// network suites in a pass of their own.
  @Test func inFlightBodyBytesAreBoundedWith503() async throws {
    try await admissionHoldsTheBodyBudget()
  }

  func admissionHoldsTheBodyBudget() async throws {
    try await ServerHarness.with(
      servedSpec(mathFormatSpec),
      configure: {
        $0.maxBodyBytes = 1000
        $0.maxInFlightBodyBytes = 1000
        // The holder goes quiet after its first 100 bytes: on a loaded machine the probes below
        // can take longer than the 10 s idle (header) timeout, which would close it and release
        // its reservation before a probe sees the 503.
        $0.headerTimeoutSeconds = 300
      }
    ) { server in
      let port = server.port
      // Declares 960 bytes and sends only the start: the server reserves 960 bytes for it.
      let body = #"{"query": [""# + String(repeating: "x", count: 960 - 15) + #""]}"#
      #expect(body.utf8.count == 960)
      // A probe can reach admission before the holder's head does (on a loaded machine the raw
      // socket's write lands later): the holder is then the one refused. Such a holder is seen
      // (it got an answer) and replaced at once; it used to be probed 500 times first, which took
      // up to 48 s of a loaded run and could use up all five holders.
      var holder = try RawConnection(port: port)
      var holding = false
      holders: for _ in 0..<20 {
        holder.transmit(Self.head + "Content-Length: 960\r\n\r\n" + body.prefix(100))
        for _ in 0..<500 {
          let probe = try? await server.post("/get_reward", #"{"query": ["0123456789012345678901234567890123456789"]}"#)
          if probe?.status == 503 {
            holding = true
            break holders
          }
          if await Self.wasAnswered(holder) { break }
          try? await Task.sleep(for: .milliseconds(10))
        }
        holder = try RawConnection(port: port)
      }
      #expect(holding)
      let rejected = try await server.post("/get_reward", #"{"query": ["0123456789012345678901234567890123456789"]}"#)
      #expect(rejected.status == 503)
      #expect(rejected.headers.first(name: "retry-after") == "1")
      #expect(rejected.error?["type"] == "overloaded")
      #expect(rejected.error?["message"]?.stringValue?.contains("bytes of request bodies") == true)
      // The holder completes its body and is answered; its reservation is released.
      let heldConnection = holder
      let answer = await blocking { () -> RawConnection.ReadResult in
        heldConnection.transmit(String(body.dropFirst(100)))
        // Until the whole answer is in: a fixed 1.5 s wait for it failed on a loaded machine.
        return heldConnection.readResponse(within: .seconds(30))
      }
      guard case .open(let text) = answer else {
        Issue.record("the holder's connection closed: \(answer)")
        return
      }
      #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
      #expect(try await server.post("/get_reward", #"{"query": ["0123456789"]}"#).status == 200)
    }
  }

  /// Whether the server has answered (or closed) `connection`, which has not sent its whole request.
  static func wasAnswered(_ connection: RawConnection) async -> Bool {
    let result = await blocking { connection.readUntilClosed(wait: .milliseconds(1)) }
    return result != .open(text: "")
  }

  /// A full scoring queue answers 503 as soon as the head arrives: the body is never waited for.
  @Test func fullQueueRejectsBeforeReadingTheBody() async throws {
    let model = GatedModel()
    try await ServerHarness.with(
      served(model),
      configure: {
        $0.maxQueuedItems = 1
        $0.scoringThreads = 1
      }
    ) { server in
      async let first = server.post("/get_reward", #"{"query": ["a"]}"#)
      #expect(await eventually { model.started == 1 })
      async let second = server.post("/get_reward", #"{"query": ["b"]}"#)
      #expect(await eventually { server.server.metrics.queuedItems == 1 })
      let port = server.port
      let result = await blocking { () -> RawConnection.ReadResult in
        guard let connection = try? RawConnection(port: port) else { return .open(text: "no connection") }
        connection.transmit(Self.head + "Content-Length: 100000\r\n\r\n{")  // The rest never comes.
        return connection.readResponse(within: .seconds(30))
      }
      let text: String
      switch result {
      case .open(let received), .closed(let received): text = received
      }
      #expect(text.hasPrefix("HTTP/1.1 503"), "\(result)")
      #expect(text.contains(#""type":"overloaded""#))
      model.release()
      let firstStatus = try await first.status
      #expect(firstStatus == 200)
      let secondStatus = try await second.status
      #expect(secondStatus == 200)
    }
  }

  /// A client that closes mid-body, or sends broken chunked encoding, is a client error: counted
  /// as `client_aborted`, never as `internal`.
  @Test func clientAbortsAreNotServerErrors() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec)) { server in
      let port = server.port
      let chunked = await blocking { () -> RawConnection.ReadResult in
        guard let aborting = try? RawConnection(port: port), let broken = try? RawConnection(port: port) else {
          return .open(text: "no connection")
        }
        aborting.transmit(Self.head + "Content-Length: 500\r\n\r\n{\"query\": [")
        Thread.sleep(forTimeInterval: 0.2)
        shutdown(aborting.fd, Int32(SHUT_RDWR))
        broken.transmit(Self.head + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"que\r\nZZ-not-hex\r\n\r\n")
        return broken.readUntilClosed(wait: .seconds(5))
      }
      if case .closed(let text) = chunked, !text.isEmpty {
        #expect(text.hasPrefix("HTTP/1.1 400"), "\(text)")
      }
      let metrics = server.server.metrics
      #expect(await eventually { metrics.errorCount("client_aborted") + metrics.errorCount("bad_request") >= 2 })
      #expect(metrics.errorCount("client_aborted") >= 1)
      #expect(metrics.errorCount("internal") == 0)
      #expect(!metrics.render().contains("status=\"500\""))
      let health = try await server.get("/health").status
      #expect(health == 200)
    }
  }

  @Test func headHealthIs200() async throws {
    try await ServerHarness.with(servedSpec(mathFormatSpec), configure: { $0.apiKey = "k" }) { server in
      let reply = try await server.send(.HEAD, "/health", body: nil, headers: [])
      #expect(reply.status == 200)
      #expect(reply.text.isEmpty)
    }
  }

  /// Graceful shutdown (SIGTERM) with a request stuck in the model: after `shutdown_timeout_s` the
  /// request is answered 503 and the server stops, instead of waiting for the model for good.
  @Test func shutdownIsBoundedWhenScoringIsStuck() async throws {
    let model = GatedModel()
    var inFlight: Task<ServerHarness.Reply, any Error>?
    let started = ContinuousClock.now
    try await ServerHarness.with(
      served(model),
      configure: {
        $0.shutdownTimeoutSeconds = 0.5
        $0.requestTimeoutSeconds = 600
      }
    ) { server in
      inFlight = Task { try await server.post("/get_reward", #"{"query": ["abc"]}"#) }
      #expect(await eventually { model.started == 1 })
    }
    // `with` has returned: the server stopped although the model never answered.
    #expect(ContinuousClock.now - started < .seconds(60))  // loose for a loaded CI machine
    let reply = try await inFlight!.value
    #expect(reply.status == 503)
    #expect(reply.error?["type"] == "shutting_down")
    model.release()
  }
}
