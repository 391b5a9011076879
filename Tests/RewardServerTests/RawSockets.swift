import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A blocking TCP connection to 127.0.0.1 that writes exactly the bytes given: what a slowloris
/// client, a client that aborts mid-body or one with broken chunked encoding sends, which an HTTP
/// client library would never produce. Calls block, so tests run them off the cooperative pool.
final class RawConnection: @unchecked Sendable {
  let fd: Int32

  init(port: Int) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var address = loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }  // `deinit` closes `fd`.
  }

  deinit { close(fd) }

  @discardableResult
  func transmit(_ text: String) -> Bool { RawServer.write(fd, text) }

  enum ReadResult: Equatable {
    /// The server closed the connection (after sending `text`, possibly empty).
    case closed(text: String)
    /// Nothing more within the wait; the connection is still open.
    case open(text: String)
  }

  /// Reads until the server closes the connection or `wait` passes with nothing new.
  func readUntilClosed(wait: Duration) -> ReadResult {
    read(until: nil, idle: wait) { _ in false }
  }

  /// Reads until one whole response (head and its `Content-Length` body) has arrived, the server
  /// closes the connection, or `deadline` passes: a slow server on a loaded machine is waited for,
  /// and a quick one is not waited on any longer than it takes.
  func readResponse(within deadline: Duration) -> ReadResult {
    read(until: .now + deadline, idle: deadline, stop: RawServer.holdsWholeMessage)
  }

  private func read(until deadline: ContinuousClock.Instant?, idle: Duration, stop: ([UInt8]) -> Bool) -> ReadResult {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !stop(received) {
      let wait = deadline.map { min(idle, $0 - .now) } ?? idle
      guard wait > .zero else { break }
      var timeout = timeval(
        tv_sec: Int(wait.components.seconds), tv_usec: Int(wait.components.attoseconds / 1_000_000_000_000))
      if timeout.tv_sec == 0 && timeout.tv_usec == 0 { timeout.tv_usec = 1 }  // 0 would mean "forever".
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      let count = recv(fd, &buffer, buffer.count, 0)
      let failure = errno
      if count > 0 {
        received += buffer[0..<count]
        continue
      }
      if count < 0 && failure == EINTR { continue }
      // 0: orderly close; ECONNRESET: closed with unread input. Either way the server let go.
      if count == 0 || failure == ECONNRESET { return .closed(text: String(decoding: received, as: UTF8.self)) }
      break  // EAGAIN: the wait passed with nothing new.
    }
    return .open(text: String(decoding: received, as: UTF8.self))
  }
}

/// A TCP server on 127.0.0.1 whose every connection is handled by `script` on a thread of its own:
/// an upstream that trickles its body or answers with chosen headers.
///
/// The listening descriptor belongs to the accept thread alone, which closes it on its way out.
/// It used to be closed by `stop()` while the accept thread might not have reached `accept` yet
/// (a thread starts late on a loaded machine): that thread then called `accept` on a descriptor
/// number the kernel had already handed to the next test's listener, took that test's connection,
/// ran this server's script on it and closed it, so the client saw "Connection reset by peer".
final class RawServer: @unchecked Sendable {
  let port: Int
  /// Written once by `stop()` to wake the accept thread out of `poll`.
  private let wakeWriter: Int32
  private let acceptThreadDone = DispatchSemaphore(value: 0)
  private let stopOnce = Mutex(false)

  init(script: @escaping @Sendable (Int32) -> Void) throws {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw POSIXError(.EMFILE) }
    var reuse: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(listener, pointer, length) == 0 && listen(listener, 16) == 0
          && getsockname(listener, pointer, &length) == 0
      }
    }
    var wake: [Int32] = [-1, -1]
    guard bound, pipe(&wake) == 0 else {
      close(listener)
      throw POSIXError(.EADDRINUSE)
    }
    // Non-blocking, so a connection that goes away between `poll` and `accept` cannot park the
    // accept thread where `stop()` no longer reaches it.
    _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
    port = Int(UInt16(bigEndian: address.sin_port))
    wakeWriter = wake[1]
    let (wakeReader, done) = (wake[0], acceptThreadDone)
    Thread {
      defer {
        close(listener)
        close(wakeReader)
        done.signal()
      }
      while Self.waitForConnection(on: listener, orWake: wakeReader) {
        let connection = accept(listener, nil, nil)
        if connection < 0 {
          // EAGAIN: the client left before we took it; EINTR, ECONNABORTED: try again.
          if [EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED].contains(errno) { continue }
          return
        }
        // Darwin hands the listener's O_NONBLOCK on to accepted sockets; the scripts block.
        _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) & ~O_NONBLOCK)
        Thread {
          script(connection)
          close(connection)  // The only close of `connection`: scripts never close it themselves.
        }.start()
      }
    }.start()
  }

  deinit { stop() }

  /// Stops accepting and returns once the listening socket is closed. Connections already taken
  /// run on until their scripts end. Calling it again does nothing.
  func stop() {
    let first = stopOnce.withLock { stopped in
      defer { stopped = true }
      return !stopped
    }
    guard first else { return }
    writeOneByte(wakeWriter)
    acceptThreadDone.wait()
    close(wakeWriter)
  }

  /// Blocks until `listener` has a connection to accept (true) or `wake` is readable (false).
  private static func waitForConnection(on listener: Int32, orWake wake: Int32) -> Bool {
    var watched = [
      pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
    ]
    while true {
      let ready = poll(&watched, nfds_t(watched.count), -1)
      if ready < 0 && errno == EINTR { continue }
      guard ready > 0, watched[1].revents == 0 else { return false }
      if watched[0].revents & Int16(POLLIN) != 0 { return true }
      if watched[0].revents != 0 { return false }  // POLLERR, POLLNVAL: the listener is broken.
    }
  }

  /// Reads one request (head and a `Content-Length` body) from `fd`.
  static func readRequest(_ fd: Int32) {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !holdsWholeMessage(received) {
      let count = recv(fd, &buffer, buffer.count, 0)
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { return }
      received += buffer[0..<count]
    }
  }

  /// Whether `bytes` hold an HTTP head and as many body bytes as its `Content-Length` (0 if none).
  static func holdsWholeMessage(_ bytes: [UInt8]) -> Bool {
    let text = String(decoding: bytes, as: UTF8.self)
    guard let end = text.range(of: "\r\n\r\n") else { return false }
    let head = text[..<end.lowerBound].lowercased()
    let length =
      head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
      .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
    return bytes.count >= text.utf8.distance(from: text.startIndex, to: end.upperBound) + length
  }

  /// Sends all of `text`; false once the peer is gone.
  @discardableResult
  static func write(_ fd: Int32, _ text: String) -> Bool {
    let bytes = Array(text.utf8)
    var sent = 0
    while sent < bytes.count {
      let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return false }
      sent += count
    }
    return true
  }
}

/// Runs `body` with a port on 127.0.0.1 that refuses connections: a socket holds it, bound but not
/// listening, until `body` returns. A port bound and released at once (as this helper did) could be
/// handed by the kernel to another test's server meanwhile (they all bind port 0): the "refused"
/// request then reached that server and got its answer.
func withRefusingPort<T>(_ body: (Int) async throws -> T) async throws -> T {
  let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard holder >= 0 else { throw POSIXError(.EMFILE) }
  defer { close(holder) }
  // No SO_REUSEADDR: that keeps every other socket, reusing or not, off this port.
  var address = loopback(port: 0)
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
      bind(holder, pointer, length) == 0 && getsockname(holder, pointer, &length) == 0
    }
  }
  guard bound else { throw POSIXError(.EADDRINUSE) }
  return try await body(Int(UInt16(bigEndian: address.sin_port)))
}

/// Outside `RawServer`, whose own static `write` would shadow the C function.
private func writeOneByte(_ fd: Int32) {
  var byte: UInt8 = 1
  _ = write(fd, &byte, 1)
}

private func loopback(port: Int) -> sockaddr_in {
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = UInt16(port).bigEndian
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  return address
}

/// Runs blocking `work` on a thread of its own, so the cooperative pool keeps serving the server.
func blocking<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
  await withCheckedContinuation { continuation in
    Thread { continuation.resume(returning: work()) }.start()
  }
}
