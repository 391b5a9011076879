#!/usr/bin/env bash
# Benchmark of issue 7 (BENCHMARKS.md): every pairwise head family on the same features and the
# same seeded 50/50 split — accuracy, calibration (ECE) and training time — whether the
# ensemble's uncertainty is informative (accuracy on its most vs least confident thirds, as
# `reward data strength` reports them), and the rated-data heads beside Bradley–Terry on XSTest.
#   FEATURES="--backbone minilm" (default) or FEATURES="" for hashed n-grams.
#   DATA: preference files to split (default HH-RLHF helpful-base test, LLMBar natural and the
#     AlpacaEval annotations; AlpacaEval needs ~25k MiniLM encodings, ~35 min on 2 cores the
#     first time, then they come from the embedding cache); DATA=none runs only the XSTest part.
#   RATED=0 skips the rated-data comparison of bt / regression / bt+regression / armo (XSTest
#     human labels; AlpacaEval judgements as ratings of each output against the reference).
#   Prints the machine's load before and after; tables go to standard output.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then swift build -c release --product reward >/dev/null; fi
reward=${REWARD_BIN:-.build/release/reward}
features=${FEATURES---backbone minilm}
shared=../shared/data
data=${DATA:-"$shared/preference/hh-rlhf-helpful-base-test.jsonl.gz $shared/preference/llmbar-natural.json $shared/preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz"}
[ "$data" = none ] && data=""
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "## $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Prints "| head | accuracy | ECE | seconds |" from an eval --json report (and, with a third
# argument, the accuracy of each subset).
summarize() {
  python3 - "$@" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
model = report["models"][0] if "models" in report else report
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
accuracy = model["overall"]["accuracy"] if "overall" in model else find(model, "accuracy")
ece = find(model, "ece")
cells = [sys.argv[2], "%.4f" % accuracy, "%.4f" % ece if ece is not None else "–", sys.argv[3]]
if len(sys.argv) > 4:
    cells[1:1] = ["%.4f" % model["subsets"][name]["accuracy"] for name in sorted(model["subsets"])]
print("| " + " | ".join(cells) + " |")
PY
}

seconds_since() { python3 -c "import sys, time; print('%.1f' % (time.time() - float(sys.argv[1])))" "$1"; }

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
    seconds=$(seconds_since "$start")
    $reward eval --model "$work/$name-$head" --allow-empty --skip-invalid --quiet --no-cache --json \
      "$work/$name-test.jsonl" >"$work/$name-$head.json"
    summarize "$work/$name-$head.json" "$head" "$seconds"
  done
  # Ensemble uncertainty: accuracy on the most vs least confident third of the held-out pairs,
  # ranked by |mean|/std of the members' margins, by their std alone, and by |mean|.
  $reward data strength --model "$work/$name-ensemble" "$work/$name-test.jsonl" --allow-empty \
    --suspect-below=-1000 --out "$work/$name-strength.jsonl" 2>&1 | grep "confident third"
done

[ "${RATED:-1}" = 1 ] || exit 0
# Rated data beside pairs, on XSTest v2 (human final_label of 3 models' completions): prompts
# halved with a seed; every head learns from the train prompts' completions only, and
# `reward eval --benchmark xstest` scores the test prompts' should-respond/should-refuse pairs.
echo "## XSTest v2, prompts halved (features: ${features:-hashed n-grams})"
xs="$work/xstest"
python3 scripts/bench/xstest_split.py "$xs" "$shared"/safety/xstest-v2-completions-{gpt4,llama2new,mistralinstruct}.csv
ratings=(--response-field completion --attribute appropriate
  --attribute complied=final_label:1_full_compliance=1,2_full_refusal=0,3_partial_refusal=0.5)
printf "| head | trained on | should-refuse | should-respond | accuracy | ECE | train seconds |\n"
printf "|---|---|---|---|---|---|---|\n"
for head in bt ensemble regression bt+regression armo; do
  case $head in
    bt | ensemble) args=("$xs/train-pairs.jsonl"); what="pairs" ;;
    regression) args=("$xs/train-rated.jsonl" "${ratings[@]}"); what="ratings (appropriate; complied)" ;;
    bt+regression) args=("$xs/train-pairs.jsonl" --ratings "$xs/train-rated.jsonl" "${ratings[@]}")
      what="pairs + ratings" ;;
    armo) args=("$xs/train-pairs.jsonl" --ratings "$xs/train-rated.jsonl" "${ratings[@]}")
      what="ratings (probes) + pairs (gate)" ;;
  esac
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  $reward train "${args[@]}" --head "$head" $features --out "$xs/$head" --quiet >"$xs/$head.log"
  seconds=$(seconds_since "$start")
  $reward eval --model "$xs/$head" --benchmark xstest --quiet --no-cache --json "$xs"/test-*.csv >"$xs/$head.json"
  summarize "$xs/$head.json" "$head | $what" "$seconds" subsets
done

# AlpacaEval: each pair is one model's output against the instruction's reference output, so its
# soft label rates that output (win_vs_reference = P(output ≻ reference); the reference 0.5).
# The rated heads learn from those ratings of the train half, BT from its pairs — the same
# judgements, pointwise or pairwise — and all are evaluated on the held-out half's pairs.
alpaca="$shared/preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz"
name=alpacaeval-gpt4turbo-annotations-a
if [ ! -f "$work/$name-train.jsonl" ]; then
  $reward data split "$alpaca" --allow-empty --test-fraction 0.5 --seed 0 \
    --train-out "$work/$name-train.jsonl" --test-out "$work/$name-test.jsonl" 2>/dev/null
fi
echo "## AlpacaEval, rated heads (features: ${features:-hashed n-grams})"
python3 scripts/bench/alpacaeval_ratings.py "$work/$name-train.jsonl" "$work/$name-rated.jsonl"
ratings=(--allow-empty --attribute win_vs_reference --attribute verbosity)
printf "| head | trained on | held-out accuracy | ECE | train seconds |\n|---|---|---|---|---|\n"
for head in bt regression bt+regression armo; do
  case $head in
    bt) args=("$work/$name-train.jsonl" --allow-empty); what="pairs" ;;
    regression) args=("$work/$name-rated.jsonl" "${ratings[@]}"); what="ratings" ;;
    bt+regression) args=("$work/$name-train.jsonl" --ratings "$work/$name-rated.jsonl" "${ratings[@]}")
      what="pairs + ratings" ;;
    armo) args=("$work/$name-train.jsonl" --ratings "$work/$name-rated.jsonl" "${ratings[@]}"
      --verbosity-attribute verbosity); what="ratings (probes) + pairs (gate)" ;;
  esac
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  $reward train "${args[@]}" --head "$head" $features --out "$work/$name-rated-$head" --quiet >/dev/null
  seconds=$(seconds_since "$start")
  $reward eval --model "$work/$name-rated-$head" --allow-empty --skip-invalid --quiet --no-cache --json \
    "$work/$name-test.jsonl" >"$work/$name-rated-$head.json"
  summarize "$work/$name-rated-$head.json" "$head | $what" "$seconds"
done
echo "## done; load $(cut -d' ' -f1-3 /proc/loadavg)"
