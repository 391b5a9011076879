import RewardCore
import RewardData

/// A preference pair as a relabelling stage reads it: the parsed texts for the model, and the
/// record itself so everything else passes through unchanged.
public struct LabelledPair: Sendable {
  public var prompt: Conversation
  public var chosen: String
  public var rejected: String
  /// The existing label, P(chosen ≻ rejected): `chosen_probability` when given, else 1.
  public var humanProbability: Double
  public var record: JSONObject
  public var location: SourceLocation

  /// Reads TRL preference records: explicit prompt (`prompt` + `chosen`/`rejected`) or implicit
  /// (conversations in `chosen`/`rejected` that share the prompt turns), text or messages.
  public init(_ record: JSONObject, at location: SourceLocation) throws(InputError) {
    self.record = record
    self.location = location
    guard let chosenValue = record["chosen"] else {
      throw InputError(.missingField, at: location.field("chosen"), "expected a `chosen` response")
    }
    guard let rejectedValue = record["rejected"] else {
      throw InputError(.missingField, at: location.field("rejected"), "expected a `rejected` response")
    }
    if record["prompt"] != nil || record["messages"] != nil {
      prompt = try PipelineJSON.prompt(in: record, at: location)
      chosen = try ConversationField.response(chosenValue, at: location.field("chosen"))
      rejected = try ConversationField.response(rejectedValue, at: location.field("rejected"))
    } else if chosenValue.arrayValue != nil {
      // Implicit prompt: every turn but the last is the prompt.
      let chosenTurns = try ConversationField.prompt(chosenValue, at: location.field("chosen"))
      let rejectedTurns = try ConversationField.prompt(rejectedValue, at: location.field("rejected"))
      guard let lastChosen = chosenTurns.last, let lastRejected = rejectedTurns.last else {
        throw InputError(.emptyResponse, at: location.field("chosen"), "expected at least one message")
      }
      prompt = Array(chosenTurns.dropLast())
      chosen = lastChosen.content
      rejected = lastRejected.content
    } else {
      prompt = []
      chosen = try ConversationField.response(chosenValue, at: location.field("chosen"))
      rejected = try ConversationField.response(rejectedValue, at: location.field("rejected"))
    }
    if let given = record["chosen_probability"], !given.isNull {
      let probability = try PipelineJSON.finiteNumber(given, at: location.field("chosen_probability"))
      guard (0...1).contains(probability) else {
        throw InputError(.invalidValue, at: location.field("chosen_probability"), "expected a number in [0, 1]")
      }
      humanProbability = probability
    } else {
      humanProbability = 1
    }
  }

  public var candidatePair: CandidatePair {
    CandidatePair(Candidate(prompt: prompt, response: chosen), Candidate(prompt: prompt, response: rejected))
  }
}

/// What relabelling does with the model's P(chosen ≻ rejected).
public struct RelabelPolicy: Sendable, Equatable {
  /// Below this the model confidently disagrees with the existing label: the pair is flagged.
  public var flagBelow: Double
  /// Below this the pair is flipped (chosen and rejected swapped); nil never flips.
  public var flipBelow: Double?
  /// Write the model's probability as the training label (`chosen_probability`), not only beside it.
  public var replaceLabel: Bool

  public init(flagBelow: Double = 0.2, flipBelow: Double? = nil, replaceLabel: Bool = false) {
    self.flagBelow = flagBelow
    self.flipBelow = flipBelow
    self.replaceLabel = replaceLabel
  }

  /// The relabelled record: `model_probability` (always P of the record's original chosen),
  /// `disagreement` when flagged, and when flipped the responses swapped and `flipped: true`.
  public func apply(_ pair: LabelledPair, modelProbability p: Double) -> (record: JSONObject, flipped: Bool) {
    var record = pair.record
    record["model_probability"] = .double(p)
    if p < flagBelow { record["disagreement"] = .bool(true) }
    let flip = flipBelow.map { p < $0 } ?? false
    if flip {
      let chosen = record["chosen"]
      record["chosen"] = record["rejected"]
      record["rejected"] = chosen
      record["flipped"] = .bool(true)
      // The old reward gap belongs to the old orientation.
      record["margin"] = nil
    }
    if replaceLabel {
      record["chosen_probability"] = .double(flip ? 1 - p : p)
    } else if flip {
      // The old label described the old orientation; a flipped pair is a hard label for the swap.
      record["chosen_probability"] = nil
    }
    return (record, flip)
  }
}

/// Agreement between existing labels and a model's, as a rate and Cohen's κ.
///
/// κ needs two categories that both raters use; a pair file says "chosen wins" for every record,
/// so each pair is shown in a fixed order that does not depend on the label (responses ordered by
/// a stable hash of their text) and both raters answer "first wins" or "second wins". Pairs the
/// existing label calls a tie (0.5) or the model calls exactly 0.5 are not counted.
public struct AgreementCounter: Sendable, Equatable {
  /// counts[human][model], index 0 = first wins, 1 = second wins.
  public private(set) var counts: [[Int]] = [[0, 0], [0, 0]]
  public private(set) var skippedTies = 0

  public init() {}

  public mutating func add(_ pair: LabelledPair, modelProbability: Double) {
    let chosenFirst = StableHash.fnv1a(pair.chosen) <= StableHash.fnv1a(pair.rejected)
    add(humanProbability: pair.humanProbability, modelProbability: modelProbability, chosenShownFirst: chosenFirst)
  }

  public mutating func add(humanProbability: Double, modelProbability: Double, chosenShownFirst: Bool) {
    guard humanProbability != 0.5, modelProbability != 0.5 else {
      skippedTies += 1
      return
    }
    let humanChosen = humanProbability > 0.5
    let modelChosen = modelProbability > 0.5
    let human = (humanChosen == chosenShownFirst) ? 0 : 1
    let model = (modelChosen == chosenShownFirst) ? 0 : 1
    counts[human][model] += 1
  }

  /// Adds counts directly (tests and merges).
  public mutating func add(human: Int, model: Int, count: Int = 1) { counts[human][model] += count }

  public var total: Int { counts.joined().reduce(0, +) }
  public var agreements: Int { counts[0][0] + counts[1][1] }
  public var rate: Double { total == 0 ? .nan : Double(agreements) / Double(total) }

  /// κ = (p_o − p_e) / (1 − p_e); NaN when undefined (no pairs, or both raters always give the
  /// same single answer).
  public var kappa: Double {
    let n = Double(total)
    guard n > 0 else { return .nan }
    let observed = Double(agreements) / n
    let humanFirst = Double(counts[0][0] + counts[0][1]) / n
    let modelFirst = Double(counts[0][0] + counts[1][0]) / n
    let expected = humanFirst * modelFirst + (1 - humanFirst) * (1 - modelFirst)
    guard expected < 1 else { return .nan }
    return (observed - expected) / (1 - expected)
  }
}
