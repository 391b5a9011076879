import RewardTestSupport

/// Paths into `../shared` and this target's fixtures: the one helper every test target shares.
typealias SharedData = RewardTestSupport.SharedData
