#!/usr/bin/env python3
"""Hostile-client and misbehaving-upstream probes for scripts/bench_server_overload.sh (loopback only,
every loop bounded). Each subcommand prints one line of `key=value` results.

  big-bodies   PORT PID N MB     N concurrent POST /get_reward bodies of MB megabytes; peak RSS (VmHWM)
  slowloris    PORT PID N WAIT   N partial-header connections; server fds now and after WAIT seconds
  upstream     MODE PORT SECONDS a misbehaving upstream on 127.0.0.1:PORT for SECONDS:
                                 trickle (head at once, body 1 byte/s) or retry-after (503, Retry-After: 3600)
"""
import http.client
import json
import os
import socket
import sys
import threading
import time


def rss_kib(pid, key):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def big_bodies(port, pid, count, megabytes):
    item = "The answer is \\boxed{42}. " * int(os.environ.get("ITEM_REPEAT", "40"))  # 26 bytes each
    per = int(megabytes * 1024 * 1024 / (len(item) + 3))
    body = json.dumps({"query": [item] * per}).encode()
    statuses = []
    lock = threading.Lock()

    def send():
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            connection.request("POST", "/get_reward", body, {"Content-Type": "application/json"})
            status = connection.getresponse().status
        except Exception as error:  # noqa: BLE001 - a reset is a result here
            status = type(error).__name__
        with lock:
            statuses.append(status)

    before = rss_kib(pid, "VmRSS")
    started = time.time()
    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    summary = {str(s): statuses.count(s) for s in set(statuses)}
    print(
        f"requests={count} body_mb={len(body) / 1e6:.1f} rss_before_mb={before / 1024:.0f} "
        f"peak_rss_mb={rss_kib(pid, 'VmHWM') / 1024:.0f} seconds={time.time() - started:.1f} statuses={summary}"
    )


def slowloris(port, pid, count, wait):
    sockets = []
    refused = 0
    for _ in range(count):
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=2)
            connection.sendall(b"POST /get_reward HTTP/1.1\r\nHost: x\r\n")
            sockets.append(connection)
        except OSError:
            refused += 1
    time.sleep(1)
    held_now = fds(pid)
    health_now = health(port)
    time.sleep(wait)
    held_later = fds(pid)
    health_later = health(port)
    closed = 0
    for connection in sockets:
        connection.settimeout(0.01)
        try:
            if connection.recv(1) == b"":
                closed += 1
        except (socket.timeout, BlockingIOError):
            pass
        except OSError:
            closed += 1
        connection.close()
    print(
        f"connections={count} refused={refused} server_fds_after_1s={held_now} health_after_1s={health_now} "
        f"server_fds_after_{wait:g}s={held_later} health_after_{wait:g}s={health_later} closed_by_server={closed}"
    )


def health(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        connection.request("GET", "/health")
        return connection.getresponse().status
    except Exception as error:  # noqa: BLE001
        return type(error).__name__


def upstream(mode, port, seconds):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    listener.settimeout(1)
    deadline = time.time() + seconds

    def serve(connection):
        connection.settimeout(5)
        try:
            connection.recv(1 << 20)
            if mode == "trickle":
                body = b'{"rewards": [1.0]}' + b" " * 200
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
                for byte in body:
                    if time.time() > deadline:
                        break
                    connection.sendall(bytes([byte]))
                    time.sleep(1)
            else:
                connection.sendall(b"HTTP/1.1 503 Busy\r\nRetry-After: 3600\r\nContent-Length: 4\r\n\r\nbusy")
        except OSError:
            pass
        finally:
            connection.close()

    while time.time() < deadline:
        try:
            connection, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "big-bodies":
        big_bodies(int(args[0]), int(args[1]), int(args[2]), float(args[3]))
    elif command == "slowloris":
        slowloris(int(args[0]), int(args[1]), int(args[2]), float(args[3]))
    elif command == "upstream":
        upstream(args[0], int(args[1]), float(args[2]))
    else:
        sys.exit(__doc__)
