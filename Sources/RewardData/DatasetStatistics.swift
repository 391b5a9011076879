import RewardCore

/// Summary numbers of a length distribution (in words).
public struct LengthSummary: Sendable, Equatable {
  public var count: Int
  public var mean: Double
  public var minimum: Int
  public var median: Int
  public var p90: Int
  public var maximum: Int

  public init(_ lengths: [Int]) {
    let sorted = lengths.sorted()
    count = sorted.count
    guard !sorted.isEmpty else {
      (mean, minimum, median, p90, maximum) = (0, 0, 0, 0, 0)
      return
    }
    mean = Double(sorted.reduce(0, +)) / Double(sorted.count)
    minimum = sorted[0]
    median = sorted[(sorted.count - 1) / 2]
    p90 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.down)))]
    maximum = sorted[sorted.count - 1]
  }
}

/// What `reward data inspect` reports about a preference data set.
public struct DatasetStatistics: Sendable {
  public var pairCount: Int
  public var groupCount: Int
  public var ties: Int
  public var softLabels: Int
  public var withMargin: Int
  /// Pairs whose prompt, chosen and rejected all repeat an earlier pair.
  public var exactDuplicates: Int
  /// Pairs whose two responses are the same text.
  public var identicalResponses: Int
  public var multiTurnPrompts: Int
  public var promptWords: LengthSummary
  public var chosenWords: LengthSummary
  public var rejectedWords: LengthSummary
  /// Share of strict pairs whose chosen response has more words than the rejected one.
  public var chosenLongerRate: Double
  public var subsets: [(name: String, count: Int)]

  public init(_ dataset: PreferenceDataset) {
    let pairs = dataset.allPairs
    pairCount = dataset.pairs.count
    groupCount = dataset.groups.count
    ties = pairs.count(where: \.isTie)
    softLabels = pairs.count(where: \.isSoft)
    withMargin = pairs.count(where: { $0.margin != nil })
    var seen = Set<UInt64>()
    var duplicates = 0
    for pair in pairs {
      var hasher = StableHasher()
      pair.combineTexts(into: &hasher)
      if !seen.insert(hasher.finalized).inserted { duplicates += 1 }
    }
    exactDuplicates = duplicates
    identicalResponses = pairs.count(where: { $0.chosen == $0.rejected })
    multiTurnPrompts = pairs.count(where: { $0.prompt.count > 1 })
    promptWords = LengthSummary(pairs.map { $0.prompt.reduce(0) { $0 + wordCount($1.content) } })
    let chosenLengths = pairs.map { wordCount($0.chosen) }
    let rejectedLengths = pairs.map { wordCount($0.rejected) }
    chosenWords = LengthSummary(chosenLengths)
    rejectedWords = LengthSummary(rejectedLengths)
    let strict = pairs.indices.filter { !pairs[$0].isTie }
    chosenLongerRate =
      strict.isEmpty
      ? 0 : Double(strict.count(where: { chosenLengths[$0] > rejectedLengths[$0] })) / Double(strict.count)
    var subsetCounts: [String: Int] = [:]
    for pair in dataset.pairs { if let subset = pair.subset { subsetCounts[subset, default: 0] += 1 } }
    for group in dataset.groups { if let subset = group.subset { subsetCounts[subset, default: 0] += 1 } }
    subsets = subsetCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map {
      ($0.key, $0.value)
    }
  }
}

/// Whitespace-separated words: the length unit people read in reports.
public func wordCount(_ text: String) -> Int {
  var count = 0
  var inWord = false
  for byte in text.utf8 {
    let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
    if !isSpace && !inWord { count += 1 }
    inWord = !isSpace
  }
  return count
}
