import Foundation

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
    var address = loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard fd >= 0, connected == 0 else { throw POSIXError(.ECONNREFUSED) }
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
    var timeout = timeval(
      tv_sec: Int(wait.components.seconds), tv_usec: Int(wait.components.attoseconds / 1_000_000_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = recv(fd, &buffer, buffer.count, 0)
      if count > 0 {
        received += buffer[0..<count]
        continue
      }
      let text = String(decoding: received, as: UTF8.self)
      // 0: orderly close; ECONNRESET: closed with unread input. Either way the server let go.
      if count == 0 || errno == ECONNRESET { return .closed(text: text) }
      return .open(text: text)
    }
  }
}

/// A TCP server on 127.0.0.1 whose every connection is handled by `script` on a thread of its own:
/// an upstream that trickles its body or answers with chosen headers.
final class RawServer: @unchecked Sendable {
  let port: Int
  private let listener: Int32

  init(script: @escaping @Sendable (Int32) -> Void) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var reuse: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
      }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    listener = fd
    port = Int(UInt16(bigEndian: address.sin_port))
    Thread {
      while true {
        let connection = accept(fd, nil, nil)
        if connection < 0 { return }
        Thread {
          script(connection)
          close(connection)
        }.start()
      }
    }.start()
  }

  func stop() {
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
  }

  /// Reads one request (head and a `Content-Length` body) from `fd`.
  static func readRequest(_ fd: Int32) {
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let text = String(decoding: received, as: UTF8.self)
      if let end = text.range(of: "\r\n\r\n") {
        let head = text[..<end.lowerBound].lowercased()
        let length =
          head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
          .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        if received.count >= text.utf8.distance(from: text.startIndex, to: end.upperBound) + length { return }
      }
      let count = recv(fd, &buffer, buffer.count, 0)
      if count <= 0 { return }
      received += buffer[0..<count]
    }
  }

  @discardableResult
  static func write(_ fd: Int32, _ text: String) -> Bool {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
  }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
func closedPort() throws -> Int {
  let server = try RawServer { _ in }
  server.stop()
  return server.port
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
