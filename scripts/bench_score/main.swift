// The pipeline `reward score` runs (RecordStream → ScoringBatches → FileScoring → ScoredRecordWriter)
// as a process of its own over RewardCore, RewardData and RewardRules only, so it builds in release
// without the server stack; scripts/bench_score.sh uses it when BENCH_PIPELINE=1 (and the real
// `reward score` otherwise). `constant` scores every record 1 without a rule, to time the I/O
// alone (reading, the candidate grammar, writing). Usage: bench-score {constant,length,math} IN OUT
import Foundation
import RewardCore
import RewardData
import RewardRules

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
  FileHandle.standardError.write(Data("usage: bench-score {constant,length,math} IN OUT\n".utf8))
  exit(2)
}
struct Constant: RewardRule {
  func evaluate(_ candidate: Candidate) -> RuleVerdict { .score(1) }
}
let rules: [String: any RewardRule] = [
  "constant": Constant(), "math": MathAnswerRule(), "length": LengthRule(mode: .targetRatio(target: 300)),
]
guard let rule = rules[arguments[1]] else {
  FileHandle.standardError.write(Data("unknown rule \(arguments[1])\n".utf8))
  exit(2)
}
let model = RuleRewardModel(name: arguments[1], rule: rule)
do {
  let batches = ScoringBatches(stream: try RecordStream(path: arguments[2]))
  let writer = try ScoredRecordWriter(path: arguments[3])
  _ = try await FileScoring.run(model: model, batches: batches, writer: writer)
} catch {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(1)
}
