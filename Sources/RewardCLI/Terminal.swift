import Foundation
import RewardEval

/// Output helpers: results to stdout, progress and notes to stderr, and a progress bar only when
/// stderr is a terminal (so piped or `--quiet` runs stay clean).
struct Terminal: Sendable {
  let quiet: Bool
  let isInteractive: Bool

  init(quiet: Bool) {
    self.quiet = quiet
    self.isInteractive = isatty(STDERR_FILENO) != 0
  }

  func note(_ text: String) {
    guard !quiet else { return }
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  /// Redraws one progress line: label, bar, count, rate, ETA. When stderr is not a terminal
  /// (a log file), `logEvery` items, if given, print a plain line instead.
  func progress(_ label: String, done: Int, total: Int, started: Date, extra: String = "", logEvery: Int? = nil) {
    guard !quiet, total > 0 else { return }
    guard isInteractive else {
      guard let logEvery, done % max(1, logEvery) == 0 || done == total else { return }
      let elapsed = Date().timeIntervalSince(started)
      note("\(label) \(done)/\(total) after \(format(elapsed, 0)) s \(extra)")
      return
    }
    let fraction = Double(done) / Double(total)
    let width = 24
    let filled = Int(fraction * Double(width))
    let elapsed = Date().timeIntervalSince(started)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    let line = "\r\(label) \(bar) \(done)/\(total)  \(format(rate, 0))/s  ETA \(format(eta, 0))s \(extra)\u{1B}[K"
    FileHandle.standardError.write(Data(line.utf8))
    if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

/// A progress line for a stream whose length is unknown (`reward score` reading standard input or
/// a file it has not counted): records so far and the rate, redrawn at most twice a second.
final class StreamProgress: @unchecked Sendable {
  private let terminal: Terminal
  private let label: String
  private let started = Date()
  private let lock = NSLock()
  private var lastDrawn = Date.distantPast

  init(_ label: String, terminal: Terminal) {
    self.label = label
    self.terminal = terminal
  }

  func update(done: Int) {
    guard !terminal.quiet, terminal.isInteractive else { return }
    let now = Date()
    let shouldDraw = lock.withLock {
      guard now.timeIntervalSince(lastDrawn) >= 0.5 else { return false }
      lastDrawn = now
      return true
    }
    guard shouldDraw else { return }
    let elapsed = now.timeIntervalSince(started)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    FileHandle.standardError.write(Data("\r\(label) \(done) records  \(format(rate, 0))/s\u{1B}[K".utf8))
  }

  /// Clears the line before the summary is printed.
  func finish() {
    guard !terminal.quiet, terminal.isInteractive, lastDrawn != .distantPast else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}

func format(_ value: Double, _ digits: Int) -> String {
  TextTable.number(value, digits)
}

/// A plain-text table with aligned columns (RewardEval's, which the reports use too).
func table(_ header: [String], _ rows: [[String]]) -> String {
  TextTable.render(header, rows)
}

/// Writes text to a file path, or stdout for `-`.
func writeOutput(_ text: String, to path: String) throws {
  if path == "-" {
    FileHandle.standardOutput.write(Data(text.utf8))
  } else {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }
}
