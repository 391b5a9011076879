#!/usr/bin/env bash
# PRM-guided best-of-N on GSM8K (issue 12; BENCHMARKS.md "Process rewards"): the gsm8k-bon groups
# (8 responses per test problem, labelled by the math verifier), ranked by each step aggregation of
# a PRM against an outcome-only model on the same features, majority vote, random and the oracle.
#   PRMs:    step-check (lines), a PRM head on hashed n-grams trained on all 1,000 processbench-math
#            solutions (per-step labels), and with MINILM=1 the same head on MiniLM features.
#   outcome: an ORM — the same head and features trained on one label per solution (ProcessBench's
#            final_answer_correct, the whole solution as one step) on the same 1,000 solutions.
# No GSM8K test problem is trained on (the heads see ProcessBench-MATH only).
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${LIMIT:-}            # GSM8K problems (default: all 1,319)
MINILM_LIMIT=${MINILM_LIMIT:-150}
if [ -z "${REWARD_BIN:-}" ]; then swift build -c release --product reward >/dev/null; fi
reward=${REWARD_BIN:-.build/release/reward}
gsm8k=../shared/data/math/gsm8k-test.jsonl
math=../shared/data/process/processbench-math.json
work=${WORK:-$(mktemp -d)}
python3 - "$math" "$work/math-outcome.jsonl" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    for r in rows:  # TRL stepwise format with one "step": the whole solution, labelled by its outcome
        f.write(json.dumps({"prompt": r["problem"], "completions": ["\n".join(r["steps"])],
                            "labels": [bool(r["final_answer_correct"])]}) + "\n")
PY
echo "## $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
limit=()
[ -n "$LIMIT" ] && limit=(--limit "$LIMIT")
[ -d "$work/prm-hashed" ] || $reward prm train "$math" --output "$work/prm-hashed" --quiet
[ -d "$work/orm-hashed" ] || $reward prm train "$work/math-outcome.jsonl" --output "$work/orm-hashed" --quiet
echo "### step-check"
$reward prm best-of-n "$gsm8k" --model step-check "${limit[@]}" --outcome "$work/orm-hashed"
echo "### PRM head, hashed n-grams"
$reward prm best-of-n "$gsm8k" --model "$work/prm-hashed" "${limit[@]}" --outcome "$work/orm-hashed"
if [ "${MINILM:-0}" = 1 ]; then
  [ -d "$work/prm-minilm" ] || $reward prm train "$math" --backbone minilm --output "$work/prm-minilm" --quiet
  [ -d "$work/orm-minilm" ] || $reward prm train "$work/math-outcome.jsonl" --backbone minilm --output "$work/orm-minilm" --quiet
  echo "### PRM head, MiniLM (first $MINILM_LIMIT problems)"
  $reward prm best-of-n "$gsm8k" --model "$work/prm-minilm" --limit "$MINILM_LIMIT" --outcome "$work/orm-minilm"
fi
echo "## load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
