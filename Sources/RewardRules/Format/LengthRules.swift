import RewardCore

/// How a response's length is measured.
public enum LengthUnit: String, Sendable, CaseIterable {
  /// Whitespace-separated tokens (a tokenizer-free stand-in for model tokens).
  case tokens
  case characters

  public func length(of text: String) -> Int {
    switch self {
    case .tokens: text.split(whereSeparator: \.isWhitespace).count
    case .characters: text.count
    }
  }
}

/// DAPO's overlong reward shaping ("soft overlong punishment", Yu et al. 2025): 0 up to
/// L_max − L_cache, then linear down to −1 at L_max, and −1 beyond.
public struct OverlongPenalty: RewardRule {
  public let maximumLength: Int
  public let cacheLength: Int
  public let unit: LengthUnit

  public init(maximumLength: Int, cacheLength: Int, unit: LengthUnit = .tokens) {
    precondition(maximumLength > 0 && cacheLength > 0 && cacheLength <= maximumLength)
    self.maximumLength = maximumLength
    self.cacheLength = cacheLength
    self.unit = unit
  }

  public func penalty(length: Int) -> Double {
    let safe = maximumLength - cacheLength
    if length <= safe { return 0 }
    if length <= maximumLength { return Double(safe - length) / Double(cacheLength) }
    return -1
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    .score(penalty(length: unit.length(of: candidate.response)))
  }
}

/// Length-normalised shaping: `.targetRatio` gives min(L / target, 1) (rewarding reasoning up to a
/// length, as ToolRL's length variant does); `.referenceRatio` gives max(0, 1 − |L − L_ref| / L_ref)
/// (closeness to the reference's length; not applicable without a reference).
public struct LengthRule: RewardRule {
  public enum Mode: Sendable, Equatable {
    case targetRatio(target: Int)
    case referenceRatio
  }

  public let mode: Mode
  public let unit: LengthUnit

  public init(mode: Mode, unit: LengthUnit = .tokens) {
    self.mode = mode
    self.unit = unit
  }

  public func evaluate(_ candidate: Candidate) -> RuleVerdict {
    let length = Double(unit.length(of: candidate.response))
    switch mode {
    case .targetRatio(let target):
      return .score(min(length / Double(max(target, 1)), 1))
    case .referenceRatio:
      guard let reference = candidate.reference else { return .notApplicable("no reference") }
      let referenceLength = Double(max(unit.length(of: reference), 1))
      return .score(max(0, 1 - abs(length - referenceLength) / referenceLength))
    }
  }
}
