#!/usr/bin/env bash
# Benchmark of issue 12 (recorded in BENCHMARKS.md, "Process rewards (issue 12)"): ProcessBench F1
# of the rule step checker, the learned PRM head and the trivial baselines, and steps/s.
#
# Splits (deterministic, by record index; no record is both trained on and tested on):
#   test gsm8k (all 400):  head trained on processbench-math records with index % 5 != 0 (800),
#                          τ calibrated on math records with index % 5 == 0 (200).
#   test math-odd (500):   head trained on processbench-math even-index records (500),
#                          τ calibrated on processbench-gsm8k (all 400).
# The rule checker and the baselines need no training; their τ is calibrated on the same files.
# With MINILM=1 the head is also trained on frozen MiniLM features (`reward backbone fetch minilm`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then
  swift build -c release --product reward >/dev/null
fi
reward=${REWARD_BIN:-.build/release/reward}
data=../shared/data/process
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Index-based splits of the ProcessBench JSON arrays (json module only: no third-party code).
python3 - "$data" "$work" <<'EOF'
import json, sys
data, work = sys.argv[1], sys.argv[2]
math = json.load(open(f"{data}/processbench-math.json"))
def dump(name, rows): json.dump(rows, open(f"{work}/{name}.json", "w"))
dump("math-train80", [r for i, r in enumerate(math) if i % 5 != 0])
dump("math-cal20", [r for i, r in enumerate(math) if i % 5 == 0])
dump("math-even", [r for i, r in enumerate(math) if i % 2 == 0])
dump("math-odd", [r for i, r in enumerate(math) if i % 2 == 1])
EOF
gsm8k=$data/processbench-gsm8k.json

echo "## machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
evaluate() {  # label, model, calibration, test
  echo "### $1 (test $(basename "$4"), τ from $(basename "$3"))"
  $reward prm eval --model "$2" --calibration "$3" "$4"
}
# The trivial baselines are defined at τ = 0.5 (F1 is 0 for them at every τ).
for baseline in always-correct always-first; do
  echo "### $baseline"
  $reward prm eval --model "$baseline" --threshold 0.5 "$gsm8k" "$work/math-odd.json"
done
evaluate step-check step-check "$work/math-cal20.json" "$gsm8k"
evaluate step-check step-check "$gsm8k" "$work/math-odd.json"

featurizers=(hashed)
if [ "${MINILM:-0}" = 1 ]; then featurizers+=(minilm); fi
for featurizer in "${featurizers[@]}"; do
  extra=()
  if [ "$featurizer" = minilm ]; then extra=(--backbone minilm); fi
  start=$(date +%s.%N)
  $reward prm train "$work/math-train80.json" --output "$work/prm-$featurizer-a" "${extra[@]}"
  echo "train (800 solutions): $(echo "$(date +%s.%N) - $start" | bc) s"
  evaluate "prm head, $featurizer, trained on math-train80" "$work/prm-$featurizer-a" "$work/math-cal20.json" "$gsm8k"
  $reward prm train "$work/math-even.json" --output "$work/prm-$featurizer-b" "${extra[@]}"
  evaluate "prm head, $featurizer, trained on math-even" "$work/prm-$featurizer-b" "$gsm8k" "$work/math-odd.json"
done
