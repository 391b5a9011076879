import Foundation

/// Where RewardKit keeps what it can rebuild: fetched backbones (`backbones/`) and evaluation
/// score caches (`scores/`). One lookup for every front-end: `$REWARDKIT_CACHE` when set and
/// non-empty, else `$HOME/.cache/rewardkit`.
public enum CacheRoot {
  public static let environmentVariable = "REWARDKIT_CACHE"

  /// The cache root for `environment` (the process's by default).
  public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let root = environment[environmentVariable], !root.isEmpty { return root }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.cache/rewardkit"
  }

  /// `explicit` when given, else `folder` inside the cache root.
  public static func folder(
    _ folder: String, explicit: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String {
    explicit ?? path(environment: environment) + "/" + folder
  }
}
