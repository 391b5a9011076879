import RewardCore
import RewardEngine

// The judge-file keys of the generative PRM modes (`prm-critic`, `prm-logprob`), kept beside the
// protocols rather than in the shared configuration reader.

extension JudgeMode {
  /// Whether the mode is a process reward model (its rewards carry step scores).
  public var isProcessReward: Bool { self == .prmCritic || self == .prmLogprob }
}

extension JudgeConfiguration {
  /// The protocol's own sampling defaults (ProcessBench's for the critic; one greedy token with
  /// 20 alternatives for the +/− protocol), which a `sampling:` block overrides key by key.
  static func processSampling(_ mode: JudgeMode, samples: Int) -> SamplingParameters? {
    switch mode {
    case .prmCritic: ProcessCriticJudge.defaultSettings(samples: samples).sampling
    case .prmLogprob: StepLogprobJudge.defaultSettings.sampling
    default: nil
    }
  }

  /// `splitter:` (blank-lines by default): how a response without a `steps` list is split.
  static func processSplitter(_ keys: inout JudgeKeys, mode: JudgeMode) throws -> StepSplitter {
    guard mode.isProcessReward else { return .blankLines }
    guard let name = try keys.string("splitter") else { return .blankLines }
    do {
      return try StepSplitter.parse(name)
    } catch {
      throw keys.error("splitter", error.message)
    }
  }

  /// `aggregation:` (min by default) of the +/− protocol's step scores into the reward.
  static func processAggregation(_ keys: inout JudgeKeys, mode: JudgeMode) throws -> StepAggregation {
    guard mode == .prmLogprob, let name = try keys.string("aggregation") else { return .min }
    do {
      return try StepAggregation.parse(name)
    } catch {
      throw keys.error("aggregation", error.message)
    }
  }
}
