#!/usr/bin/env bash
# Benchmark of issue 11's judge side (recorded in BENCHMARKS.md, "LLM judges (issue 11)"):
# JudgeBench's score recomputed from the 270 stored Arena-Hard judgements (claude-3-haiku judging
# claude-3.5-sonnet pairs), our parser's agreement with the stored decisions, and the time the
# audit takes (reading, parsing 540 judge replies with quotation/echo filtering, scoring).
# Needs ../shared/data. REWARD_BIN overrides the binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then
  swift build -c release --product reward >/dev/null
fi
reward=${REWARD_BIN:-.build/release/reward}
file=../shared/data/judge/judgebench-claude-3-5-sonnet-judged-arena-hard-claude-3-haiku.jsonl

echo "## machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)"
$reward eval --benchmark judgebench "$file"
$reward eval --benchmark judgebench "$file" --json >/dev/null
runs=${RUNS:-5}
start=$(date +%s.%N)
for _ in $(seq "$runs"); do $reward eval --benchmark judgebench "$file" --json >/dev/null; done
end=$(date +%s.%N)
echo "audit wall time: $(echo "($end - $start) / $runs" | bc -l | cut -c1-6) s per run (mean of $runs, process start included)"
