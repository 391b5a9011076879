#!/usr/bin/env bash
# Release throughput of `reward prm score` (issue 12; BENCHMARKS.md "Process rewards"): steps/s and
# records/s of the step checker and a PRM head (hashed n-grams) writing step rewards with shaping,
# as whole processes (start, read, score, write) on ProcessBench solutions repeated REPEAT times.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-10}
if [ -z "${REWARD_BIN:-}" ]; then swift build -c release --product reward >/dev/null; fi
reward=${REWARD_BIN:-.build/release/reward}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - ../shared/data/process "$work/rollouts.jsonl" "$REPEAT" <<'PY'
import json, sys
source, out, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = json.load(open(f"{source}/processbench-gsm8k.json")) + json.load(open(f"{source}/processbench-math.json"))
with open(out, "w") as f:
    for r in range(repeat):
        for row in rows:
            f.write(json.dumps({"prompt": row["problem"], "steps": row["steps"], "outcome": 1.0 if row["final_answer_correct"] else 0.0}) + "\n")
PY
records=$(wc -l <"$work/rollouts.jsonl")
steps=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['steps']) for l in open(sys.argv[1])))" "$work/rollouts.jsonl")
echo "## $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ); $records records, $steps steps"
$reward prm train ../shared/data/process/processbench-math.json --output "$work/prm-head" --quiet
for model in step-check "$work/prm-head"; do
  for shaping in none clip:0.5; do
    start=$(date +%s.%N)
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
      $reward prm score "$work/rollouts.jsonl" --model "$model" --shaping $shaping --outcome-field outcome -o "$work/out.jsonl"
    read -r wall user sys rss <"$work/time"
    name=$([ "$model" = step-check ] && echo step-check || echo prm-head-hashed)
    awk -v n="$name" -v s="$shaping" -v w="$wall" -v u="$user" -v y="$sys" -v m="$rss" -v r="$records" -v k="$steps" 'BEGIN {
      printf "%-16s shaping %-9s wall %6.2f s  cpu %6.2f s  %8.0f steps/s  %7.0f records/s (wall)  peak %d MB\n",
        n, s, w, u + y, k / w, r / w, m / 1024 }'
  done
done
echo "## load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
