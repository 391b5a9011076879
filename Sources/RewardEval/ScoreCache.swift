import Foundation
import RewardCore

/// Scores kept on disk per (model, item), so an interrupted evaluation resumes where it stopped
/// and a second report on the same data costs nothing. One JSON Lines file per model key
/// (`{"k": item hash, "r": reward}` a line), appended after every scored batch; a torn last line
/// from a killed run is ignored on reading.
public struct ScoreCache: Sendable {
  public let file: String
  public private(set) var scores: [String: Double]

  /// Opens (or starts) the cache of `modelKey` inside `directory`.
  public init(directory: String, modelKey: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var hasher = StableHasher()
    hasher.combine(modelKey)
    let readable = String(modelKey.split(separator: "/").last ?? "model").filter { $0.isLetter || $0.isNumber }
    file = directory + "/" + readable.prefix(40) + "-" + hasher.hexDigest + ".jsonl"
    scores = [:]
    if let text = try? String(contentsOfFile: file, encoding: .utf8) {
      for line in text.split(separator: "\n") {
        guard let object = try? JSONParser.parse(String(line)).objectValue,
          let key = object["k"]?.stringValue, let value = object["r"]?.doubleValue
        else { continue }
        scores[key] = value
      }
    }
  }

  /// A stable key for a candidate: its prompt turns, response and reference.
  public static func key(_ candidate: Candidate) -> String {
    var hasher = StableHasher()
    for message in candidate.prompt {
      hasher.combine(message.role.rawValue)
      hasher.combine("\u{1}")
      hasher.combine(message.content)
      hasher.combine("\u{2}")
    }
    hasher.combine("\u{3}")
    hasher.combine(candidate.response)
    hasher.combine("\u{4}")
    hasher.combine(candidate.reference ?? "")
    return hasher.hexDigest
  }

  /// Records new scores in memory and appends them to the file.
  public mutating func add(_ entries: [(key: String, value: Double)]) throws {
    guard !entries.isEmpty else { return }
    var text = ""
    for (key, value) in entries {
      scores[key] = value
      let line: JSONValue = ["k": .string(key), "r": .double(value)]
      text += line.jsonText + "\n"
    }
    if !FileManager.default.fileExists(atPath: file) {
      _ = FileManager.default.createFile(atPath: file, contents: nil)
    }
    guard let handle = FileHandle(forWritingAtPath: file) else {
      throw ConfigurationError("cannot write the score cache '\(file)'")
    }
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(text.utf8))
  }
}

/// Scores candidates with a model in batches: identical candidates are scored once, cached scores
/// are reused, and progress is reported as (done, total) over the distinct candidates.
public struct BatchScorer: Sendable {
  public var model: any RewardModel
  public var batchSize: Int
  public var cacheDirectory: String?
  public var cacheKey: String
  /// Time spent inside `model.score`, for the harness-overhead measurement.
  public let clock = ScoringClock()

  public init(model: any RewardModel, batchSize: Int = 256, cacheDirectory: String? = nil, cacheKey: String? = nil) {
    self.model = model
    self.batchSize = max(1, batchSize)
    self.cacheDirectory = cacheDirectory
    self.cacheKey = cacheKey ?? model.name
  }

  public func score(
    _ candidates: [Candidate], progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
  ) async throws -> [Double] {
    let keys = candidates.map(ScoreCache.key)
    var cache = try cacheDirectory.map { try ScoreCache(directory: $0, modelKey: cacheKey) }
    var known: [String: Double] = cache?.scores ?? [:]
    var pending: [Int] = []  // first index of each distinct unscored candidate
    var seen = Set<String>()
    for (index, key) in keys.enumerated() where known[key] == nil && seen.insert(key).inserted {
      pending.append(index)
    }
    let total = Set(keys).count
    var done = total - pending.count
    progress?(done, total)
    for start in stride(from: 0, to: pending.count, by: batchSize) {
      let batch = Array(pending[start..<min(pending.count, start + batchSize)])
      let started = Date()
      let rewards = try await model.score(batch.map { candidates[$0] })
      clock.add(Date().timeIntervalSince(started), candidates: batch.count)
      guard rewards.count == batch.count else {
        throw ConfigurationError(
          "model '\(model.name)' returned \(rewards.count) rewards for \(batch.count) candidates")
      }
      let entries = zip(batch, rewards).map { (key: keys[$0.0], value: $0.1.value) }
      for entry in entries { known[entry.key] = entry.value }
      try cache?.add(entries)
      done += batch.count
      progress?(done, total)
    }
    return keys.map { known[$0]! }
  }
}

/// Accumulates the seconds a model spent scoring, and how many candidates it scored.
public final class ScoringClock: @unchecked Sendable {
  private let lock = NSLock()
  private var total = 0.0
  private var count = 0

  public init() {}

  public var seconds: Double { lock.withLock { total } }
  public var candidates: Int { lock.withLock { count } }

  func add(_ seconds: Double, candidates: Int) {
    lock.withLock {
      total += seconds
      count += candidates
    }
  }
}
