import RewardCore

/// Why a judge's reply could not be read. Parsers return this instead of a default score, so a
/// reply that says nothing usable is counted and reported, never scored as 0 or a tie.
public struct Unparseable: Error, Sendable, Equatable, CustomStringConvertible {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}

/// A pairwise verdict on the five-way Arena-Hard scale; MT-Bench's three labels and the binary
/// A/B formats map onto it (`[[A]]` is `aBetter`, `[[C]]` is `tie`).
public enum PairVerdict: String, Sendable, CaseIterable, Equatable {
  case aMuchBetter = "A>>B"
  case aBetter = "A>B"
  case tie = "A=B"
  case bBetter = "B>A"
  case bMuchBetter = "B>>A"

  public enum Winner: String, Sendable, Equatable {
    case a = "A"
    case b = "B"
    case tie = "tie"
  }

  public var winner: Winner {
    switch self {
    case .aMuchBetter, .aBetter: .a
    case .tie: .tie
    case .bBetter, .bMuchBetter: .b
    }
  }

  /// The same judgement with the two responses' places exchanged (for the second, swapped trial).
  public var swapped: PairVerdict {
    switch self {
    case .aMuchBetter: .bMuchBetter
    case .aBetter: .bBetter
    case .tie: .tie
    case .bBetter: .aBetter
    case .bMuchBetter: .aMuchBetter
    }
  }

  /// JudgeBench's three-way decision: strength is dropped (`A>>B` and `A>B` are both `A>B`).
  public var decision: String {
    switch winner {
    case .a: "A>B"
    case .b: "B>A"
    case .tie: "A=B"
    }
  }

  /// P(A ≻ B) read off the label: strong verdicts are certain, plain ones 0.75/0.25, a tie ½.
  public var probabilityAFirst: Double {
    switch self {
    case .aMuchBetter: 1
    case .aBetter: 0.75
    case .tie: 0.5
    case .bBetter: 0.25
    case .bMuchBetter: 0
    }
  }
}

/// Which match counts when a reply holds several verdict labels.
public enum ParsePolicy: String, Sendable, CaseIterable {
  /// The last label (the default: judges reason first and conclude last).
  case last
  /// The first label, as FastChat's MT-Bench scripts read it.
  case first
  /// Every label must agree (RM-R1, JudgeBench): two different labels make the reply unparseable.
  case strict
}
