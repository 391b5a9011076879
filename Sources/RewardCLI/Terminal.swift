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
