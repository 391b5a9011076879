import Foundation
import RewardCore
import RewardTestSupport

/// Paths into `../shared` (beside the repository): the one helper every test target shares.
typealias SharedData = RewardTestSupport.SharedData

/// Reward = response length in characters (times `sign`): a transparent model for tests.
struct LengthModel: RewardModel {
  var name: String = "length"
  var sign: Double = 1
  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    candidates.map { Reward(sign * Double($0.response.count)) }
  }
}

/// Counts how many candidates it scored; fails once `failAfter` candidates were scored.
final class CountingModel: RewardModel, @unchecked Sendable {
  let name = "counting"
  private let lock = NSLock()
  private var scoredCount = 0
  var failAfter: Int?

  var scored: Int { lock.withLock { scoredCount } }

  struct Interrupted: Error {}

  func score(_ candidates: [Candidate]) async throws -> [Reward] {
    try lock.withLock {
      if let failAfter, scoredCount + candidates.count > failAfter { throw Interrupted() }
      scoredCount += candidates.count
    }
    return candidates.map { Reward(Double($0.response.unicodeScalars.map(\.value).reduce(0, +) % 97)) }
  }
}

func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "rewardeval-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
