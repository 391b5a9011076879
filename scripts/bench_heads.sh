#!/usr/bin/env bash
# Benchmark of issue 7 (BENCHMARKS.md): every pairwise head family on the same features and the
# same seeded 50/50 split — accuracy, calibration (ECE) and training time — and whether the
# ensemble's uncertainty is informative (accuracy on its most vs least confident thirds).
#   FEATURES="--backbone minilm" (default) or FEATURES="" for hashed n-grams.
#   DATA: preference files to split (default HH-RLHF helpful-base test and LLMBar natural).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then swift build -c release --product reward >/dev/null; fi
reward=${REWARD_BIN:-.build/release/reward}
features=${FEATURES---backbone minilm}
shared=../shared/data/preference
data=${DATA:-"$shared/hh-rlhf-helpful-base-test.jsonl.gz $shared/llmbar-natural.json"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for file in $data; do
  name=$(basename "$file" | sed 's/\..*//')
  echo "## $name (features: ${features:-hashed n-grams})"
  $reward data split "$file" --allow-empty --test-fraction 0.5 --seed 0 \
    --train-out "$work/$name-train.jsonl" --test-out "$work/$name-test.jsonl" 2>/dev/null
  printf "| head | held-out accuracy | ECE | train seconds |\n|---|---|---|---|\n"
  for head in bt ensemble gpm mixture; do
    extra=""
    [ "$head" = bt ] && extra="--calibrate"
    [ "$head" = ensemble ] && extra="--members 5"
    start=$(date +%s.%N)
    $reward train "$work/$name-train.jsonl" --allow-empty --head $head $extra $features --out "$work/$name-$head" \
      --quiet >"$work/$name-$head.log"
    seconds=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
    $reward eval --model "$work/$name-$head" --allow-empty --skip-invalid --quiet --json "$work/$name-test.jsonl" \
      >"$work/$name-$head.json"
    python3 - "$work/$name-$head.json" "$head" "$seconds" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
def find(obj, key):
    if isinstance(obj, dict):
        if key in obj: return obj[key]
        for value in obj.values():
            found = find(value, key)
            if found is not None: return found
    if isinstance(obj, list):
        for value in obj:
            found = find(value, key)
            if found is not None: return found
    return None
accuracy = find(report, "accuracy")
ece = find(report, "ece")
print("| %s | %s | %s | %s |" % (sys.argv[2], "%.4f" % accuracy if accuracy is not None else "–",
      "%.4f" % ece if ece is not None else "–", sys.argv[3]))
PY
  done
  # Ensemble uncertainty: accuracy on the third of held-out pairs with the lowest vs highest std.
  $reward data strength --model "$work/$name-ensemble" "$work/$name-test.jsonl" --allow-empty \
    --suspect-below=-1000 --out "$work/$name-strength.jsonl" 2>/dev/null
  python3 - "$work/$name-strength.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
rows.sort(key=lambda r: r["strength_std"])
third = len(rows) // 3
def accuracy(part): return sum(r["strength_mean"] > 0 for r in part) / max(len(part), 1)
print("ensemble uncertainty (members' std of the margin): most confident third %.4f, least confident third %.4f (%d pairs each)"
      % (accuracy(rows[:third]), accuracy(rows[-third:]), third))
PY
done
