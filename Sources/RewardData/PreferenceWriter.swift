import RewardCore

/// Writes pairs as TRL conversational preference records with an explicit prompt, the format
/// most tools read, plus RewardKit's optional keys (`margin`, `chosen_probability`, `subset`,
/// `id`) so that reading the file back gives the same pairs.
public enum PreferenceWriter {
  public static func record(_ pair: PreferencePair) -> JSONValue {
    var object = JSONObject()
    object["prompt"] = .array(pair.prompt.map(messageJSON))
    object["chosen"] = [messageJSON(.assistant(pair.chosen))]
    object["rejected"] = [messageJSON(.assistant(pair.rejected))]
    if pair.chosenProbability != 1 { object["chosen_probability"] = .double(pair.chosenProbability) }
    if let margin = pair.margin { object["margin"] = .double(margin) }
    if let subset = pair.subset { object["subset"] = .string(subset) }
    if let id = pair.id { object["id"] = .string(id) }
    if let annotator = pair.annotator { object["annotator"] = .string(annotator) }
    return .object(object)
  }

  public static func jsonLines(_ pairs: [PreferencePair]) -> String {
    var out = ""
    for pair in pairs {
      record(pair).write(into: &out)
      out += "\n"
    }
    return out
  }

  static func messageJSON(_ message: Message) -> JSONValue {
    ["role": .string(message.role.rawValue), "content": .string(message.content)]
  }
}

/// A seeded split of pairs into two parts (e.g. train/test), reproducible from the seed.
public enum PairSplit {
  public static func split(
    _ pairs: [PreferencePair], secondFraction: Double, seed: UInt64
  ) -> (first: [PreferencePair], second: [PreferencePair]) {
    var order = Array(pairs.indices)
    var generator = SeededGenerator(seed: seed)
    generator.shuffle(&order)
    let secondCount = Int((Double(pairs.count) * secondFraction).rounded())
    let secondIndices = Set(order.prefix(secondCount))
    // Each part keeps file order, so outputs are easy to compare with the source.
    return (
      pairs.indices.filter { !secondIndices.contains($0) }.map { pairs[$0] },
      pairs.indices.filter { secondIndices.contains($0) }.map { pairs[$0] }
    )
  }
}
