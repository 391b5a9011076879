import ArgumentParser
import RewardCore
import RewardData

extension PreferenceFormat: ExpressibleByArgument {}

/// How to read preference files: shared by `data`, `train` and `eval`.
struct DataOptions: ParsableArguments {
  @Option(help: "Preference format, instead of detecting it: \(PreferenceFormat.summary).")
  var format: PreferenceFormat?

  @Option(help: "Field holding the prompt (string or list of messages).")
  var promptField: String?

  @Option(help: "Field holding the preferred response (TRL, RewardBench, HH-RLHF).")
  var chosenField: String?

  @Option(help: "Field holding the other response (TRL, RewardBench, HH-RLHF).")
  var rejectedField: String?

  @Option(help: "Field holding the first output of a pairwise judgement (LLMBar, PandaLM, Auto-J, AlpacaEval).")
  var firstField: String?

  @Option(help: "Field holding the second output of a pairwise judgement.")
  var secondField: String?

  @Option(help: "Field holding a pairwise judgement's label or preference.")
  var labelField: String?

  @Option(help: "Field holding a per-pair margin (TRL's `margin`).")
  var marginField: String?

  @Option(help: "Field naming the subset a record belongs to (for per-subset accuracy).")
  var subsetField: String?

  @Option(help: "Field holding a record id.")
  var idField: String?

  @Option(help: "Field naming who labelled a pair (TRL format), for per-annotator mixtures.")
  var annotatorField: String?

  @Flag(help: "Skip invalid records (reporting how many and why) instead of stopping at the first.")
  var skipInvalid = false

  @Flag(help: "Keep records whose response is empty or whitespace (by default they are errors).")
  var allowEmpty = false

  var readOptions: ReadOptions {
    ReadOptions(
      format: format,
      fields: FieldMapping(
        prompt: promptField, chosen: chosenField, rejected: rejectedField, first: firstField, second: secondField,
        label: labelField, margin: marginField, subset: subsetField, id: idField, annotator: annotatorField),
      skipInvalid: skipInvalid, allowEmptyResponses: allowEmpty)
  }

  func read(_ paths: [String], terminal: Terminal) throws -> PreferenceDataset {
    let dataset = try PreferenceReader.read(paths, options: readOptions)
    reportSkipped(dataset.skipped, terminal: terminal)
    return dataset
  }
}

/// "skipped 22 invalid records: 22 × empty response (first: file:line …)".
func reportSkipped(_ skipped: [InputError], terminal: Terminal) {
  guard !skipped.isEmpty else { return }
  var kinds: [InputError.Kind: Int] = [:]
  for error in skipped { kinds[error.kind, default: 0] += 1 }
  let summary = kinds.sorted { $0.value > $1.value }.map { "\($0.value) × \($0.key.rawValue)" }.joined(separator: ", ")
  terminal.note("skipped \(skipped.count) invalid record\(skipped.count == 1 ? "" : "s"): \(summary)")
  for error in skipped.prefix(3) { terminal.note("  e.g. \(error)") }
}
