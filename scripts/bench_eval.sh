#!/usr/bin/env bash
# Benchmark of issue 6 (recorded in BENCHMARKS.md): our models on every evaluation data set, and
# evaluation throughput / harness overhead over raw scoring.
#   Models: hashed-n-gram Bradley–Terry trained (defaults, seed 0) on the train half of a seeded
#   50/50 split of HH-RLHF helpful-base test ("hh"), and of AlpacaEval annotations ("alpaca").
#   Data: HH-RLHF helpful-base (held-out half) and helpful-online, LLMBar natural and
#   adversarial-neighbor, AlpacaEval (held-out half), XSTest v2 completions, GSM8K test best-of-8.
# Writes JSON and HTML reports to $OUT (default: a temporary folder). Needs ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then
  swift build -c release --product reward >/dev/null
fi
reward=${REWARD_BIN:-.build/release/reward}
data=../shared/data
work=$(mktemp -d)
out=${OUT:-$work/reports}
mkdir -p "$out"
trap 'rm -rf "$work"' EXIT

echo "## machine: $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
for name in hh-rlhf-helpful-base-test alpacaeval-gpt4turbo-annotations-a; do
  $reward data split "$data/preference/$name.jsonl.gz" --allow-empty --test-fraction 0.5 --seed 0 \
    --train-out "$work/$name-train.jsonl" --test-out "$work/$name-test.jsonl" >/dev/null
done
$reward train "$work/hh-rlhf-helpful-base-test-train.jsonl" --allow-empty --out "$work/hh" --quiet
$reward train "$work/alpacaeval-gpt4turbo-annotations-a-train.jsonl" --allow-empty --out "$work/alpaca" --quiet

models=(--model "$work/hh" --model "$work/alpaca")
common=(--quiet --no-cache --skip-invalid --allow-empty)
run() {  # name, then eval arguments
  local name=$1
  shift
  $reward eval "${models[@]}" "${common[@]}" --json --html "$out/$name.html" "$@" >"$out/$name.json"
}
run hh-helpful-base "$work/hh-rlhf-helpful-base-test-test.jsonl"
run hh-helpful-online "$data/preference/hh-rlhf-helpful-online-test.jsonl.gz"
run llmbar-natural "$data/preference/llmbar-natural.json"
run llmbar-adversarial "$data/preference/llmbar-adversarial-neighbor.json"
run alpacaeval "$work/alpacaeval-gpt4turbo-annotations-a-test.jsonl"
run xstest --benchmark xstest "$data"/safety/xstest-v2-completions-{gpt4,llama2new,mistralinstruct}.csv
run gsm8k-bon --benchmark gsm8k-bon "$data/math/gsm8k-test.jsonl"

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
names = ["hh-helpful-base", "hh-helpful-online", "llmbar-natural", "llmbar-adversarial", "alpacaeval", "xstest", "gsm8k-bon"]
print("| data set | pairs | hh: accuracy [95% CI] | alpaca: accuracy [95% CI] | agreement (κ) | other |")
print("|---|---|---|---|---|---|")
for name in names:
    r = json.load(open(os.path.join(out, name + ".json")))
    cells = []
    for m in r["models"]:
        o = m["overall"]
        cells.append("%.4f [%.3f, %.3f]" % (o["accuracy"], o["ci95"][0], o["ci95"][1]))
    a = r["agreement"][0]
    other = ""
    if "best_of_n" in r["models"][0]:
        p = [m["best_of_n"]["points"][-1] for m in r["models"]]
        other = "best-of-8: hh %.3f, alpaca %.3f; oracle %.3f, majority %.3f, random %.3f" % (
            p[0]["model"], p[1]["model"], p[0]["oracle"], p[0]["majority"], p[0]["random"])
    elif len(r["models"][0]["subsets"]) > 1 and "xstest" in name:
        other = "; ".join("%s: %s" % (s, " / ".join("%.3f" % m["subsets"][s]["accuracy"] for m in r["models"]))
                          for s in r["models"][0]["subsets"])
    print("| %s | %d | %s | %s | %.3f (%.3f) | %s |" % (name, r["models"][0]["overall"]["pairs"], cells[0], cells[1],
          a["rate"], a["cohens_kappa"] or 0, other))
print()
print("| data set | model | ECE | Brier | AUROC | acc. chosen longer | acc. chosen shorter | reward–length ρ |")
print("|---|---|---|---|---|---|---|---|")
for name in names:
    r = json.load(open(os.path.join(out, name + ".json")))
    for m in r["models"]:
        lb = m["length_bias"]
        print("| %s | %s | %.4f | %.4f | %.4f | %.3f (n=%d) | %.3f (n=%d) | %.3f |" % (
            name, os.path.basename(m["model"]), m["calibration"]["ece"], m["calibration"]["brier"],
            m["auroc_chosen_vs_rejected"]["auroc"], lb["chosen_longer"]["accuracy"], lb["chosen_longer"]["pairs"],
            lb["chosen_shorter"]["accuracy"], lb["chosen_shorter"]["pairs"], lb["reward_length_spearman"] or 0))
PY

echo
echo "## throughput: AlpacaEval held-out half, one model, batch 256"
for bootstrap in 1000 0; do
  for cache in no fresh; do
    flags=(--no-cache)
    if [ $cache = fresh ]; then rm -rf "$work/cache"; flags=(--cache "$work/cache"); fi
    $reward eval --model "$work/alpaca" --quiet --skip-invalid --allow-empty --json --bootstrap $bootstrap "${flags[@]}" \
      "$work/alpacaeval-gpt4turbo-annotations-a-test.jsonl" | python3 -c '
import json, sys
t = json.load(sys.stdin)["timing"]
print("bootstrap %s, cache %s: %.0f pairs/s; eval %.3f s, of which model scoring %.3f s (%d candidates); harness overhead %.1f%%" % (
  sys.argv[1], sys.argv[2], t["pairs_per_second"], t["seconds"], t["scoring_seconds"], t["candidates_scored"],
  100 * (t["seconds"] - t["scoring_seconds"]) / t["scoring_seconds"]))' $bootstrap $cache
  done
done
echo "resumed from a full cache:"
$reward eval --model "$work/alpaca" --quiet --skip-invalid --allow-empty --json --cache "$work/cache" \
  "$work/alpacaeval-gpt4turbo-annotations-a-test.jsonl" | python3 -c '
import json, sys
t = json.load(sys.stdin)["timing"]
print("  eval %.3f s, model scored %d candidates" % (t["seconds"], t["candidates_scored"]))'
echo "reports in $out"
