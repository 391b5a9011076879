// Rule-reward throughput: the Swift side of scripts/bench_rules.sh. Builds the fixed math items,
// writes them (and our verdicts) for the Python references, and times math verification and
// sentence BLEU/chrF on one worker and on every core.
import Foundation
import RewardCore
import RewardRules

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
  FileHandle.standardError.write("usage: bench-rules SHARED_DIR OUT_DIR\n".data(using: .utf8)!)
  exit(2)
}
let shared = URL(fileURLWithPath: arguments[1])
let out = URL(fileURLWithPath: arguments[2])
try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

func jsonLines(_ relative: String) throws -> [JSONObject] {
  try String(contentsOf: shared.appendingPathComponent(relative), encoding: .utf8)
    .split(separator: "\n").map { try JSONParser.parse(String($0)).objectValue! }
}

let items = RulesBenchmark.mathItems(
  math500: try jsonLines("data/math/math500.jsonl"), gsm8k: try jsonLines("data/math/gsm8k-test.jsonl"))
let cores = ProcessInfo.processInfo.activeProcessorCount
_ = RulesBenchmark.runMath(Array(items.prefix(200)), workers: 1)  // warm-up
let single = RulesBenchmark.runMath(items, workers: 1)
let parallel = RulesBenchmark.runMath(items, workers: cores)
var lines = ""
for (item, verdict) in zip(items, single.verdicts) {
  let record: JSONValue = [
    "response": .string(item.response), "reference": .string(item.reference),
    "expectation": .string(item.expectation), "rewardkit": .bool(verdict),
  ]
  lines += record.jsonText + "\n"
}
try lines.write(to: out.appendingPathComponent("math_items.jsonl"), atomically: true, encoding: .utf8)

let pairs = try jsonLines("reference/sacrebleu.jsonl").filter { $0["corpus"] == nil }.map {
  (hypothesis: $0["hypothesis"]!.stringValue!, reference: $0["reference"]!.stringValue!)
}
let repeats = 10
let repeated = Array(repeating: pairs, count: repeats).flatMap { $0 }
let overlapSingle = RulesBenchmark.runOverlap(repeated, workers: 1)
let overlapParallel = RulesBenchmark.runOverlap(repeated, workers: cores)

let correct = zip(items, single.verdicts).filter { ($0.0.expectation != "wrong") == $0.1 }.count
let report: JSONValue = [
  "cores": .int(Int64(cores)),
  "math_items": .int(Int64(items.count)),
  "math_items_per_second_1_core": .double(Double(items.count) / single.seconds),
  "math_items_per_second_all_cores": .double(Double(items.count) / parallel.seconds),
  "math_verdicts_as_constructed": .double(Double(correct) / Double(items.count)),
  "overlap_pairs": .int(Int64(repeated.count)),
  "bleu_chrf_pairs_per_second_1_core": .double(Double(repeated.count) / overlapSingle.seconds),
  "bleu_chrf_pairs_per_second_all_cores": .double(Double(repeated.count) / overlapParallel.seconds),
]
try (report.jsonText + "\n").write(to: out.appendingPathComponent("swift.json"), atomically: true, encoding: .utf8)
print(report.jsonText)
