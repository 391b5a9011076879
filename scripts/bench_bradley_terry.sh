#!/usr/bin/env bash
# Benchmark of issue 2 (recorded in BENCHMARKS.md): Bradley–Terry on hashed n-grams, RewardKit
# against scikit-learn on the same machine, same splits, same run.
#   1. HH-RLHF helpful-base test, seeded 50/50 split: held-out accuracy.
#   2. AlpacaEval annotations (24k pairs): featurization texts/s and training pairs/s.
# Needs ../shared/data and `pip install scikit-learn`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then
  swift build -c release --product reward >/dev/null
fi
reward=${REWARD_BIN:-.build/release/reward}
data=../shared/data/preference
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "## machine: $(nproc) cores, $(python3 -c 'import sklearn; print("scikit-learn", sklearn.__version__)')"
for name in hh-rlhf-helpful-base-test alpacaeval-gpt4turbo-annotations-a; do
  echo "## $name"
  $reward data split "$data/$name.jsonl.gz" --allow-empty --test-fraction 0.5 --seed 0 \
    --train-out "$work/$name-train.jsonl" --test-out "$work/$name-test.jsonl"
  echo "### RewardKit (reward train, defaults)"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" $reward train "$work/$name-train.jsonl" --allow-empty --out "$work/$name-ckpt" --quiet
  $reward eval --model "$work/$name-ckpt" --skip-invalid --allow-empty --quiet --json "$work/$name-test.jsonl" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["models"][0]["overall"]; print("held-out accuracy %.4f on %d pairs" % (r["accuracy"], r["pairs"]))'
  echo "### scikit-learn (HashingVectorizer 1-2-grams 2^18 + LogisticRegression)"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" python3 scripts/bench/sklearn_bradley_terry.py \
    "$work/$name-train.jsonl" "$work/$name-test.jsonl"
done
