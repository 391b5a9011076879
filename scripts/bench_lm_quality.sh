#!/usr/bin/env bash
# Benchmark of issue 13, quality half (BENCHMARKS.md, "Issue 13 — quality of LM features and
# implicit rewards"): Bradley–Terry and ArmoRM heads on SmolLM2-135M-Instruct hidden states
# (`--backbone smollm2`, last-token pooling of the final layer, the defaults) vs the same heads on
# MiniLM and on hashed n-grams, and SmolLM2's reference-free implicit reward (`kind:
# implicit_reward`, `normalize: sum` and `mean`), all on the SAME seeded subsets:
#   training: the first TRAIN_PAIRS (100) pairs of the train half of a seeded 50/50 split
#     (`reward data split --seed 0`, as scripts/bench_eval.sh) of HH-RLHF helpful-base test and of
#     the AlpacaEval annotations; ArmoRM's probes learn from the AlpacaEval subset's pairs turned
#     into ratings of each output (scripts/bench/alpacaeval_ratings.py: win_vs_reference, and
#     verbosity for the decorrelation) and its gate from the pairs, as scripts/bench_heads.sh.
#   evaluation: the first EVAL_PAIRS (40) pairs of the held-out halves of HH and AlpacaEval and of
#     a seeded 50/50 split of LLMBar natural and adversarial-neighbor; XSTest v2 pairs
#     (`--benchmark xstest`) from XSTEST_PROMPTS (100) prompts drawn with random.Random(0).
# `data split` shuffles with its seed, so `head` of its output is a seeded sample.
# A SmolLM2 feature or log-probability is a forward pass per text (seconds each on a busy 2-core
# machine), hence the small subsets; SmolLM2 jobs run JOBS (3) at a time. Needs ../shared/data,
# `reward backbone fetch minilm` and `reward backbone fetch smollm2`.
#   REWARD_BIN=path reuses a built `reward`; PARTS="heads implicit" (default both);
#   FEATURES="hashed minilm smollm2" (default all three); OUT=dir keeps the reports.
# Hidden states and MiniLM embeddings go to the usual embedding cache (~/.cache/rewardkit or
# $REWARDKIT_CACHE), so a second run re-trains and re-evaluates from cached features; the times
# printed say whether they were cold.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then swift build -c release --product reward >/dev/null; fi
reward=${REWARD_BIN:-.build/release/reward}
shared=../shared/data
train_pairs=${TRAIN_PAIRS:-100}
eval_pairs=${EVAL_PAIRS:-40}
xstest_prompts=${XSTEST_PROMPTS:-100}
jobs=${JOBS:-3}
parts=${PARTS:-heads implicit}
features=${FEATURES:-hashed minilm smollm2}
work=$(mktemp -d)
out=${OUT:-$work/reports}
mkdir -p "$out"
trap 'rm -rf "$work"' EXIT
echo "## $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## train pairs $train_pairs per source, eval pairs $eval_pairs per data set, XSTest prompts $xstest_prompts"

seconds_since() { python3 -c "import sys, time; print('%.0f' % (time.time() - float(sys.argv[1])))" "$1"; }

# --- data: the same subsets for every model ---------------------------------------------------
split() {  # name, file: seeded halves in $work/name-{train,test}.jsonl
  $reward data split "$2" --allow-empty --test-fraction 0.5 --seed 0 \
    --train-out "$work/$1-train.jsonl" --test-out "$work/$1-test.jsonl" >/dev/null 2>&1
}
split hh "$shared/preference/hh-rlhf-helpful-base-test.jsonl.gz"
split alpaca "$shared/preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz"
split llmbar-natural "$shared/preference/llmbar-natural.json"
split llmbar-adversarial "$shared/preference/llmbar-adversarial-neighbor.json"
mkdir -p "$work/data"
for name in hh alpaca; do head -n "$train_pairs" "$work/$name-train.jsonl" >"$work/data/train-$name.jsonl"; done
for name in hh alpaca llmbar-natural llmbar-adversarial; do
  head -n "$eval_pairs" "$work/$name-test.jsonl" >"$work/data/eval-$name.jsonl"
done
python3 scripts/bench/alpacaeval_ratings.py "$work/data/train-alpaca.jsonl" "$work/data/train-alpaca-rated.jsonl" >/dev/null
python3 - "$xstest_prompts" "$work/data" "$shared"/safety/xstest-v2-completions-{gpt4,llama2new,mistralinstruct}.csv <<'PY'
# XSTest: the rows of each completions file whose prompt is among N prompts drawn with seed 0.
import csv, os, random, sys
count, out, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
tables = []
for path in files:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        tables.append((os.path.basename(path), reader.fieldnames, list(reader)))
prompts = sorted({row["prompt"] for _, _, rows in tables for row in rows})
keep = set(random.Random(0).sample(prompts, min(count, len(prompts))))
for name, fields, rows in tables:
    with open(os.path.join(out, "xstest-" + name), "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(row for row in rows if row["prompt"] in keep)
PY
datasets="hh alpaca llmbar-natural llmbar-adversarial xstest"
eval_args() {  # data set name → the arguments of `reward eval` that read it
  if [ "$1" = xstest ]; then echo "--benchmark xstest $work/data/xstest-*.csv"; else echo "$work/data/eval-$1.jsonl"; fi
}

# Runs "label command…" jobs from standard input, at most $jobs at a time, each logged.
parallel_jobs() {
  local running=0
  while read -r label command; do
    (
      start=$(date +%s.%N)
      if eval "$command" >"$work/$label.log" 2>&1; then
        echo "$label: $(seconds_since "$start") s"
      else
        echo "$label: FAILED after $(seconds_since "$start") s"; tail -5 "$work/$label.log"
      fi
    ) &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  done
  wait
}

common=(--quiet --no-cache --skip-invalid --allow-empty --json)
models=""
if [[ " $parts " == *" heads "* ]]; then
  for feature in $features; do
    case $feature in
      hashed) backbone="" ;;
      *) backbone="--backbone $feature" ;;
    esac
    echo "## $feature: train (bt on HH, bt on AlpacaEval, armo on AlpacaEval)"
    ratings="--ratings $work/data/train-alpaca-rated.jsonl --attribute win_vs_reference --attribute verbosity"
    ratings+=" --verbosity-attribute verbosity"
    printf '%s\n' \
      "train-$feature-bt-hh $reward train $work/data/train-hh.jsonl --allow-empty $backbone --out $work/$feature-bt-hh" \
      "train-$feature-bt-alpaca $reward train $work/data/train-alpaca.jsonl --allow-empty $backbone --out $work/$feature-bt-alpaca" \
      | parallel_jobs
    # ArmoRM after the BT heads: its ratings are the AlpacaEval texts, whose features are then cached.
    echo "train-$feature-armo-alpaca $reward train $work/data/train-alpaca.jsonl --allow-empty --head armo $ratings $backbone --out $work/$feature-armo-alpaca" \
      | parallel_jobs
    echo "## $feature: evaluate"
    # One `reward eval` per model, in turn within a data set's job: each LM featurizer snapshots
    # the embedding cache when it is loaded, so models evaluated in one process would each
    # featurize every text again; in turn, the second and third models read the first's features.
    for name in $datasets; do
      command=""
      for model in bt-hh bt-alpaca armo-alpaca; do
        command+="$reward eval --model $work/$feature-$model ${common[*]} $(eval_args "$name") >$out/$feature-$model-$name.json && "
      done
      echo "eval-$feature-$name ${command% && }"
    done | parallel_jobs
    models+=" $feature"
  done
fi
if [[ " $parts " == *" implicit "* ]]; then
  for normalize in sum mean; do
    printf 'name: smollm2-implicit-%s\ncomponents:\n  - kind: implicit_reward\n    policy: smollm2\n    normalize: %s\n' \
      "$normalize" "$normalize" >"$work/smollm2-implicit-$normalize.yaml"
  done
  echo "## SmolLM2 reference-free implicit reward (sum and mean log-probability of the response)"
  for name in $datasets; do
    echo "eval-implicit-$name $reward eval --model $work/smollm2-implicit-sum.yaml --model $work/smollm2-implicit-mean.yaml ${common[*]} $(eval_args "$name") >$out/implicit-$name.json"
  done | parallel_jobs
  models+=" implicit"
fi
echo "## load $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out" "$datasets" "$models" <<'PY'
import json, os, sys
out, datasets, groups = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
columns, rows = [], {}
for group in groups:
    for name in datasets:
        paths = [os.path.join(out, "%s-%s.json" % (group, name))] if group == "implicit" else [
            os.path.join(out, "%s-%s-%s.json" % (group, model, name)) for model in ("bt-hh", "bt-alpaca", "armo-alpaca")]
        reports = [json.load(open(p)) for p in paths if os.path.exists(p) and os.path.getsize(p) > 0]
        for model in [m for report in reports for m in report["models"]]:
            label = "%s %s" % (group, os.path.basename(model["model"]).replace(group + "-", "")) \
                if group != "implicit" else os.path.basename(model["model"]).replace(".yaml", "")
            if label not in columns:
                columns.append(label)
            o = model["overall"]
            rows.setdefault(name, {})[label] = (o["pairs"], "%.3f [%.2f, %.2f]" % (o["accuracy"], *o["ci95"]))
print("| model | " + " | ".join("%s (%d)" % (n, next(iter(rows[n].values()))[0]) for n in datasets if n in rows) + " |")
print("|---|" + "---|" * len([n for n in datasets if n in rows]))
for label in columns:
    print("| %s | %s |" % (label, " | ".join(rows[n].get(label, (0, "–"))[1] for n in datasets if n in rows)))
PY
echo "reports in $out"
