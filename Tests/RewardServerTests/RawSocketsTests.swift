import Foundation
import Testing

/// The raw-socket helpers the network tests stand on. A stopped `RawServer` used to close its
/// listening descriptor under its accept thread: when that thread started late it called `accept`
/// on the number the kernel had meanwhile given the next server's listener and reset that server's
/// connections (RemoteDeadlineTests.deadlineCoversTheResponseBody failed so, 1 pass in 10 under
/// load). This test lost about 2 rounds in 3 that way before the fix.
@Suite struct RawSocketsTests {
  static let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

  @Test func aStoppedServerNeverTakesALaterServersConnections() async throws {
    var lost: [RawConnection.ReadResult] = []
    for _ in 0..<100 {
      // Stopped at once (as `closedPort()` did), before its accept thread has had a chance to run.
      try RawServer { _ in }.stop()
      let live = try RawServer { fd in
        RawServer.readRequest(fd)
        RawServer.write(fd, Self.answer)
      }
      defer { live.stop() }
      let port = live.port
      let result = await blocking { () -> RawConnection.ReadResult in
        guard let connection = try? RawConnection(port: port) else { return .open(text: "no connection") }
        connection.transmit("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return connection.readUntilClosed(wait: .seconds(30))
      }
      if result != .closed(text: Self.answer) { lost.append(result) }
    }
    #expect(lost.isEmpty, "\(lost.count) of 100 connections not answered by their server, first: \(lost.first!)")
  }

  /// The port refuses connections, and while it is held no other socket can bind it, not even
  /// one with SO_REUSEADDR as servers set.
  @Test func aRefusingPortRefusesAndCannotBeTaken() async throws {
    try await withRefusingPort { port in
      #expect(throws: POSIXError.self) { try RawConnection(port: port) }
      let other = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      defer { close(other) }
      var reuse: Int32 = 1
      setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = UInt16(port).bigEndian
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(other, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      let failure = errno
      #expect(bound == -1 && failure == EADDRINUSE)
    }
  }

  /// `readResponse` returns as soon as the whole response is in, though the server keeps the
  /// connection open, and says so when the server closes before answering.
  @Test func readResponseStopsAtTheEndOfTheBody() async throws {
    let keepsOpen = try RawServer { fd in
      RawServer.readRequest(fd)
      RawServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel")
      Thread.sleep(forTimeInterval: 0.05)
      RawServer.write(fd, "lo")
      RawServer.readRequest(fd)  // Returns when the client hangs up.
    }
    defer { keepsOpen.stop() }
    let hangsUp = try RawServer { fd in RawServer.readRequest(fd) }
    defer { hangsUp.stop() }
    let started = ContinuousClock.now
    let (whole, none) = await blocking { () -> (RawConnection.ReadResult, RawConnection.ReadResult) in
      guard let first = try? RawConnection(port: keepsOpen.port), let second = try? RawConnection(port: hangsUp.port)
      else { return (.open(text: "no connection"), .open(text: "no connection")) }
      first.transmit("GET / HTTP/1.1\r\n\r\n")
      second.transmit("GET / HTTP/1.1\r\n\r\n")
      return (first.readResponse(within: .seconds(30)), second.readResponse(within: .seconds(30)))
    }
    #expect(whole == .open(text: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
    #expect(ContinuousClock.now - started < .seconds(20), "waited for the close, not for the body's end")
    #expect(none == .closed(text: ""))
  }
}
