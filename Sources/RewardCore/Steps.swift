import Foundation

/// One scored step of a response. `start` and `end` are offsets in Unicode scalars (the indices
/// of a Python `str`), so a trainer can map step rewards to token positions with its tokenizer's
/// offset mapping; `end` is exclusive.
public struct StepScore: Sendable, Equatable {
  public var index: Int
  public var start: Int
  public var end: Int
  /// The step's reward (for PRMs: the probability that the step is correct).
  public var score: Double

  public init(index: Int, start: Int, end: Int, score: Double) {
    self.index = index
    self.start = start
    self.end = end
    self.score = score
  }
}

/// How a process reward model turns its step scores into one scalar reward.
public enum StepAggregation: Sendable, Equatable, CustomStringConvertible {
  /// The weakest step: a chain of reasoning is as good as its worst link.
  case min
  /// The last step's score (PRMs trained on prefixes score the whole solution at the end).
  case last
  /// The product: the probability that every step is right if errors were independent.
  case product
  case mean
  /// −τ·log(mean_k exp(−r_k/τ)): tends to `min` as τ → 0 and to `mean` as τ → ∞, and always
  /// lies between them.
  case softMin(temperature: Double)

  /// The names `parse` accepts: `min`, `last`, `product`, `mean`, `softmin` or `softmin:τ`.
  public static let names = ["min", "last", "product", "mean", "softmin[:temperature]"]

  public static func parse(_ text: String) throws(ConfigurationError) -> StepAggregation {
    let lowered = text.lowercased()
    switch lowered {
    case "min": return .min
    case "last": return .last
    case "product", "prod": return .product
    case "mean", "average": return .mean
    case "softmin", "soft-min", "soft_min": return .softMin(temperature: 0.1)
    default:
      for prefix in ["softmin:", "soft-min:", "soft_min:"] where lowered.hasPrefix(prefix) {
        guard let t = Double(lowered.dropFirst(prefix.count)), t > 0, t.isFinite else {
          throw ConfigurationError("step aggregation '\(text)': expected a temperature > 0 after ':'")
        }
        return .softMin(temperature: t)
      }
      throw ConfigurationError(
        "unknown step aggregation '\(text)'; expected one of \(names.joined(separator: ", "))")
    }
  }

  public var description: String {
    switch self {
    case .min: "min"
    case .last: "last"
    case .product: "product"
    case .mean: "mean"
    case .softMin(let t): "softmin:\(t)"
    }
  }

  /// The aggregate of `scores`; nil when there are none (a response with no steps).
  public func aggregate(_ scores: [Double]) -> Double? {
    guard let first = scores.first else { return nil }
    switch self {
    case .min: return scores.min()
    case .last: return scores.last
    case .product: return scores.reduce(1, *)
    case .mean: return scores.reduce(0, +) / Double(scores.count)
    case .softMin(let t):
      // Shifted by the minimum so exp never overflows: −τ·log(mean exp(−(r−m)/τ)) + m.
      let m = scores.min() ?? first
      let meanExp = scores.reduce(0) { $0 + Foundation.exp(-($1 - m) / t) } / Double(scores.count)
      return m - t * Foundation.log(meanExp)
    }
  }
}

/// A step of a text: its content and where it lies (Unicode-scalar offsets, `end` exclusive).
public struct TextStep: Sendable, Equatable {
  public var text: String
  public var start: Int
  public var end: Int

  public init(text: String, start: Int, end: Int) {
    self.text = text
    self.start = start
    self.end = end
  }
}

/// Splits a solution into steps, keeping each step's offsets. Steps are trimmed of surrounding
/// whitespace (the offsets cover the trimmed text) and empty steps are dropped.
public enum StepSplitter: Sendable, Equatable, CustomStringConvertible {
  /// Paragraphs separated by one or more blank lines: the common convention (ProcessBench).
  case blankLines
  /// Every non-empty line is a step.
  case lines
  /// A step starts at each `Step k:` (or `Step k.`) marker at the start of a line; text before
  /// the first marker is a step of its own.
  case stepMarkers
  /// Each step ends with `tag` (Math-Shepherd's `ки`); the tag is not part of the step.
  case tag(String)
  /// Steps are separated by matches of a regular expression.
  case regex(String)

  public static let names = ["blank-lines", "lines", "step-markers", "tag:TAG", "regex:PATTERN"]

  public static func parse(_ text: String) throws(ConfigurationError) -> StepSplitter {
    switch text {
    case "blank-lines", "blank_lines", "paragraphs": return .blankLines
    case "lines", "newlines": return .lines
    case "step-markers", "step_markers", "markers": return .stepMarkers
    default:
      if text.hasPrefix("tag:"), text.count > 4 { return .tag(String(text.dropFirst(4))) }
      if text.hasPrefix("regex:"), text.count > 6 {
        let pattern = String(text.dropFirst(6))
        guard (try? NSRegularExpression(pattern: pattern)) != nil else {
          throw ConfigurationError("step splitter '\(text)': invalid regular expression")
        }
        return .regex(pattern)
      }
      throw ConfigurationError("unknown step splitter '\(text)'; expected one of \(names.joined(separator: ", "))")
    }
  }

  public var description: String {
    switch self {
    case .blankLines: "blank-lines"
    case .lines: "lines"
    case .stepMarkers: "step-markers"
    case .tag(let tag): "tag:\(tag)"
    case .regex(let pattern): "regex:\(pattern)"
    }
  }

  /// The steps of `text`, in order.
  public func split(_ text: String) -> [TextStep] {
    switch self {
    case .blankLines: return Self.splitBetween(text, separators: Self.matches(of: Self.blankLinePattern, in: text))
    case .lines: return Self.splitBetween(text, separators: Self.matches(of: Self.newlinePattern, in: text))
    case .tag(let tag): return Self.splitBetween(text, separators: Self.literalMatches(of: tag, in: text))
    case .regex(let pattern):
      guard let regex = try? NSRegularExpression(pattern: pattern) else {
        return Self.splitBetween(text, separators: [])
      }
      return Self.splitBetween(text, separators: Self.matches(of: regex, in: text))
    case .stepMarkers:
      // Split just before each marker: zero-width separators at the markers' starts.
      let starts = Self.matches(of: Self.markerPattern, in: text).map { $0.lowerBound..<$0.lowerBound }
      return Self.splitBetween(text, separators: starts)
    }
  }

  /// Steps given as a list, laid out in one text joined by `separator`, with their offsets.
  public static func join(_ steps: [String], separator: String = "\n\n") -> (text: String, steps: [TextStep]) {
    var text = ""
    var offset = 0
    var placed: [TextStep] = []
    let separatorLength = separator.unicodeScalars.count
    for (index, step) in steps.enumerated() {
      if index > 0 {
        text += separator
        offset += separatorLength
      }
      let length = step.unicodeScalars.count
      placed.append(TextStep(text: step, start: offset, end: offset + length))
      text += step
      offset += length
    }
    return (text, placed)
  }

  /// Finds each of `steps` in `text` in order (each after the previous one's end), giving their
  /// offsets; nil when a step is not found verbatim.
  public static func locate(_ steps: [String], in text: String) -> [TextStep]? {
    var located: [TextStep] = []
    var searchFrom = text.startIndex
    for step in steps {
      guard let range = text.range(of: step, range: searchFrom..<text.endIndex) else { return nil }
      let start = text.unicodeScalars.distance(from: text.startIndex, to: range.lowerBound)
      located.append(TextStep(text: step, start: start, end: start + step.unicodeScalars.count))
      searchFrom = range.upperBound
    }
    return located
  }

  private static let blankLinePattern = try! NSRegularExpression(pattern: "\\n[ \\t\\r]*\\n\\s*")
  private static let newlinePattern = try! NSRegularExpression(pattern: "\\r?\\n")
  private static let markerPattern = try! NSRegularExpression(
    pattern: "^[ \\t#*]*Step\\s+\\d+\\s*[:.]", options: [.anchorsMatchLines, .caseInsensitive])

  private static func matches(of regex: NSRegularExpression, in text: String) -> [Range<String.Index>] {
    regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text) }
  }

  private static func literalMatches(of needle: String, in text: String) -> [Range<String.Index>] {
    var found: [Range<String.Index>] = []
    var from = text.startIndex
    while let range = text.range(of: needle, range: from..<text.endIndex) {
      found.append(range)
      from = range.upperBound
    }
    return found
  }

  /// The pieces between separators (and before the first / after the last), trimmed, non-empty.
  private static func splitBetween(_ text: String, separators: [Range<String.Index>]) -> [TextStep] {
    var pieces: [Range<String.Index>] = []
    var cursor = text.startIndex
    for separator in separators where separator.lowerBound >= cursor {
      pieces.append(cursor..<separator.lowerBound)
      cursor = separator.upperBound
    }
    pieces.append(cursor..<text.endIndex)
    var steps: [TextStep] = []
    let scalars = text.unicodeScalars
    var offsetIndex = text.startIndex
    var offset = 0
    for piece in pieces {
      var lower = piece.lowerBound
      var upper = piece.upperBound
      while lower < upper, text[lower].isWhitespace { lower = text.index(after: lower) }
      while upper > lower, text[text.index(before: upper)].isWhitespace { upper = text.index(before: upper) }
      guard lower < upper else { continue }
      // Offsets are counted incrementally: pieces come in order, so the whole split is linear.
      offset += scalars.distance(from: offsetIndex, to: lower)
      let length = scalars.distance(from: lower, to: upper)
      steps.append(TextStep(text: String(text[lower..<upper]), start: offset, end: offset + length))
      offset += length
      offsetIndex = upper
    }
    return steps
  }
}

extension Candidate {
  /// The response's steps: the `steps` list in the metadata when there is one (located in the
  /// response to give offsets, or laid out blank-line-joined when the response does not contain
  /// them verbatim), otherwise `splitter` applied to the response.
  public func steps(splitter: StepSplitter) -> [TextStep] {
    if let listed = metadata["steps"]?.arrayValue {
      let texts = listed.compactMap(\.stringValue)
      if texts.count == listed.count, !texts.isEmpty {
        return StepSplitter.locate(texts, in: response) ?? StepSplitter.join(texts).steps
      }
    }
    return splitter.split(response)
  }
}

extension Reward {
  /// The component in which a PRM that names the first wrong step directly (a generative critic)
  /// reports it: the step index, −1 for "no error". ProcessBench evaluation uses it as the
  /// prediction instead of thresholding step scores.
  public static let firstErrorComponent = "first_error"

  /// The predicted first wrong step when the model reports one (`first_error`).
  public var predictedFirstError: Int? {
    components.first { $0.name == Self.firstErrorComponent }.map { Int($0.value) }
  }
}
