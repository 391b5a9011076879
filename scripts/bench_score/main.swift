// The pipeline `reward score` runs (RecordStream → ScoringBatches → a rule model → ScoredRecordWriter)
// as a process of its own over RewardCore, RewardData and RewardRules only, so it builds in release
// without the server stack; scripts/bench_score.sh uses it when BENCH_PIPELINE=1 (and the real
// `reward score` otherwise). Usage: bench-score {length,math} IN OUT
import Foundation
import RewardCore
import RewardData
import RewardRules

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
  FileHandle.standardError.write(Data("usage: bench-score {length,math} IN OUT\n".utf8))
  exit(2)
}
let model: any RewardModel =
  arguments[1] == "math"
  ? RuleRewardModel(name: "math", rule: MathAnswerRule())
  : RuleRewardModel(name: "length", rule: LengthRule(mode: .targetRatio(target: 300)))
let batches = ScoringBatches(stream: try RecordStream(path: arguments[2]))
let writer = try ScoredRecordWriter(path: arguments[3])
while let batch = try batches.next() {
  let rewards = try await model.score(batch.map(\.candidate))
  for (record, reward) in zip(batch, rewards) { try writer.write(record, reward) }
}
try writer.commit()
