import Foundation
import RewardCore

/// Scores kept on disk per (model, item), so an interrupted evaluation resumes where it stopped
/// and a second report on the same data costs nothing. One JSON Lines file per model key
/// (`{"k": item hash, "r": reward}` a line), appended after every scored batch; a torn last line
/// from a killed run is ignored on reading.
public struct ScoreCache: Sendable {
  public let file: String
  public private(set) var scores: [String: Double]

  /// The default directory of score caches: `scores` in RewardKit's cache root.
  public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    CacheRoot.folder("scores", environment: environment)
  }

  /// The model path plus a digest of its checkpoint's config.json (when it has one), so a
  /// retrained checkpoint gets fresh scores.
  public static func modelKey(_ path: String) -> String {
    var hasher = StableHasher()
    hasher.combine(path)
    if let config = FileManager.default.contents(atPath: path + "/config.json") { hasher.combine(bytes: config) }
    return path + "#" + hasher.hexDigest
  }

  /// Opens (or starts) the cache of `modelKey` inside `directory`.
  public init(directory: String, modelKey: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var hasher = StableHasher()
    hasher.combine(modelKey)
    let path = modelKey.split(separator: "#").first.map(String.init) ?? modelKey
    let readable = String(path.split(separator: "/").last ?? "model").filter { $0.isLetter || $0.isNumber || $0 == "-" }
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

  /// A stable key for a candidate: a 128-bit digest of its prompt turns, response and reference.
  public static func key(_ candidate: Candidate) -> String {
    var hasher = ContentHasher()
    for message in candidate.prompt {
      hasher.combine(message.role.rawValue)
      hasher.combine(message.content)
    }
    hasher.combine(candidate.response)
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

/// What an evaluation does with a NaN or infinite reward.
public enum NonFiniteRewardPolicy: Sendable, Equatable {
  /// Stop with `NonFiniteRewardError`, naming the model and the item (the default).
  case fail
  /// Keep the item, count it (`ScoringClock.nonFinite`) and let it fail every comparison: a pair
  /// with a non-finite reward is never correct. `reward eval --allow-non-finite`.
  case countAsInvalid
}

/// Scores candidates with a model in batches: identical candidates are scored once, cached scores
/// are reused, and progress is reported as (done, total) over the distinct candidates. Every
/// reward is checked to be finite (see `NonFiniteRewardPolicy`); non-finite ones are never cached.
public struct BatchScorer: Sendable {
  public var model: any RewardModel
  public var batchSize: Int
  public var cacheDirectory: String?
  public var cacheKey: String
  public var nonFinite: NonFiniteRewardPolicy
  /// Time spent inside `model.score`, for the harness-overhead measurement.
  public let clock = ScoringClock()

  public init(
    model: any RewardModel, batchSize: Int = 256, cacheDirectory: String? = nil, cacheKey: String? = nil,
    nonFinite: NonFiniteRewardPolicy = .fail
  ) {
    self.model = model
    self.batchSize = max(1, batchSize)
    self.cacheDirectory = cacheDirectory
    self.cacheKey = cacheKey ?? model.name
    self.nonFinite = nonFinite
  }

  /// How an error names candidate `index` when the caller has nothing better: its position and
  /// the start of its response.
  public static func describeCandidate(_ candidates: [Candidate], _ index: Int) -> String {
    let response = candidates[index].response
    let excerpt = response.count > 40 ? String(response.prefix(40)) + "…" : response
    return "candidate \(index + 1) of \(candidates.count) (response \"\(excerpt)\")"
  }

  /// One score per candidate. `item(i)` names candidate i in a non-finite-reward error (e.g. its
  /// file and line).
  public func score(
    _ candidates: [Candidate], item: ((Int) -> String)? = nil,
    progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
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
      var entries: [(key: String, value: Double)] = []
      for (index, reward) in zip(batch, rewards) {
        if reward.value.isFinite {
          entries.append((keys[index], reward.value))
          continue
        }
        guard nonFinite == .countAsInvalid else {
          let name = item?(index) ?? Self.describeCandidate(candidates, index)
          throw NonFiniteRewardError(model: model.name, item: name, value: reward.value)
        }
        known[keys[index]] = reward.value
      }
      for entry in entries { known[entry.key] = entry.value }
      try cache?.add(entries)
      done += batch.count
      progress?(done, total)
    }
    let scores = keys.map { known[$0]! }
    clock.addNonFinite(scores.count(where: { !$0.isFinite }))
    return scores
  }
}

/// Accumulates the seconds a model spent scoring, and how many candidates it scored.
public final class ScoringClock: @unchecked Sendable {
  private let lock = NSLock()
  private var total = 0.0
  private var count = 0
  private var nonFiniteCount = 0

  public init() {}

  public var seconds: Double { lock.withLock { total } }
  public var candidates: Int { lock.withLock { count } }
  /// Non-finite scores handed out (`NonFiniteRewardPolicy.countAsInvalid`), per candidate asked for.
  public var nonFinite: Int { lock.withLock { nonFiniteCount } }

  func addNonFinite(_ count: Int) {
    lock.withLock { nonFiniteCount += count }
  }

  func add(_ seconds: Double, candidates: Int) {
    lock.withLock {
      total += seconds
      count += candidates
    }
  }
}

/// A fast, stable 128-bit content digest for cache keys: two 64-bit lanes fed eight bytes at a
/// time (little-endian, so the same on every platform), each string followed by its length so
/// "ab"+"c" ≠ "a"+"bc". Not cryptographic; 128 bits make accidental collisions negligible.
struct ContentHasher {
  private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
  private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F

  private mutating func mix(_ word: UInt64) {
    a = ((a ^ word) &* 0xFF51_AFD7_ED55_8CCD)
    a = (a << 31) | (a >> 33)
    b = ((b ^ word) &* 0xC4CE_B9FE_1A85_EC53)
    b = (b << 27) | (b >> 37)
    b = b &+ a
  }

  mutating func combine(_ string: String) {
    var text = string
    text.withUTF8 { bytes in
      var index = 0
      while index + 8 <= bytes.count {
        mix(UInt64(littleEndian: UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)))
        index += 8
      }
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while index < bytes.count {
        tail |= UInt64(bytes[index]) << shift
        shift += 8
        index += 1
      }
      mix(tail)
      mix(UInt64(bytes.count))
    }
  }

  private static func avalanche(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  var hexDigest: String {
    [Self.avalanche(a ^ (b >> 1)), Self.avalanche(b ^ (a << 1))].map { word in
      let hex = String(word, radix: 16)
      return String(repeating: "0", count: 16 - hex.count) + hex
    }.joined()
  }
}
