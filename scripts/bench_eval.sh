#!/usr/bin/env bash
# Benchmark of issue 6 (recorded in BENCHMARKS.md): our models on every evaluation data set, and
# evaluation throughput / harness overhead over raw scoring.
#   Models: hashed-n-gram Bradley–Terry trained (defaults, seed 0) on the train half of a seeded
#   50/50 split of HH-RLHF helpful-base test ("hh"), and of AlpacaEval annotations ("alpaca");
#   with MINILM=1 also a Bradley–Terry head on frozen MiniLM embeddings trained on the same HH half
#   ("hh-minilm"; needs `reward backbone fetch minilm`).
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
if [ "${MINILM:-0}" = 1 ]; then
  $reward train "$work/hh-rlhf-helpful-base-test-train.jsonl" --allow-empty --backbone minilm --out "$work/hh-minilm" --quiet
  models+=(--model "$work/hh-minilm")
fi
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
reports = {n: json.load(open(os.path.join(out, n + ".json"))) for n in names}
models = [os.path.basename(m["model"]) for m in reports[names[0]]["models"]]
print("| data set | pairs | " + " | ".join(models) + " |")
print("|---|---|" + "---|" * len(models))
for name in names:
    ms = reports[name]["models"]
    cells = ["%.4f [%.3f, %.3f]" % (m["overall"]["accuracy"], *m["overall"]["ci95"]) for m in ms]
    print("| %s | %d | %s |" % (name, ms[0]["overall"]["pairs"], " | ".join(cells)))
    for subset in ms[0]["subsets"] if name == "xstest" else []:
        print("| &nbsp; %s | %d | %s |" % (subset, ms[0]["subsets"][subset]["pairs"],
              " | ".join("%.4f" % m["subsets"][subset]["accuracy"] for m in ms)))
    if "rewardbench" in ms[0]:
        print("| &nbsp; RewardBench Safety (2 of 5 subsets) | | %s |" % " | ".join(
              "%.4f" % m["rewardbench"]["sections"]["Safety"] for m in ms))
    if "best_of_n" in ms[0]:
        last = [m["best_of_n"]["points"][-1] for m in ms]
        print("| &nbsp; best-of-8 pick accuracy (oracle %.3f, majority %.3f, random %.3f) | %d groups | %s |" % (
              last[0]["oracle"], last[0]["majority"], last[0]["random"], ms[0]["best_of_n"]["groups"],
              " | ".join("%.4f" % p["model"] for p in last)))
        print("| &nbsp; AUROC correct vs incorrect responses | | %s |" % " | ".join(
              "%.4f" % m["detection"]["auroc"] for m in ms))
print()
print("| data set | model | ECE | Brier | AUROC | acc. chosen longer | acc. chosen shorter | reward–length ρ |")
print("|---|---|---|---|---|---|---|---|")
for name in names:
    for m in reports[name]["models"]:
        lb = m["length_bias"]
        print("| %s | %s | %.4f | %.4f | %.4f | %.3f (n=%d) | %.3f (n=%d) | %.3f |" % (
            name, os.path.basename(m["model"]), m["calibration"]["ece"], m["calibration"]["brier"],
            m["auroc_chosen_vs_rejected"]["auroc"], lb["chosen_longer"]["accuracy"], lb["chosen_longer"]["pairs"],
            lb["chosen_shorter"]["accuracy"], lb["chosen_shorter"]["pairs"], lb["reward_length_spearman"] or 0))
print()
print("| data set | agreement (Cohen's κ) |")
print("|---|---|")
for name in names:
    print("| %s | %s |" % (name, "; ".join("%s vs %s: %.3f (%.3f)" % (
        os.path.basename(a["first"]), os.path.basename(a["second"]), a["rate"], a["cohens_kappa"] or 0)
        for a in reports[name]["agreement"])))
PY

echo
echo "## throughput and harness overhead (one model, batch 256, no score cache)"
overhead() {  # label, then eval arguments; prints the timing of one run
  local label=$1
  shift
  $reward eval --quiet --skip-invalid --allow-empty --json "$@" | python3 -c '
import json, sys
t = json.load(sys.stdin)["timing"]
line = "%s: %.0f pairs/s; eval %.3f s, of which model.score %.3f s (%d candidates): harness %.1f%% over its own scoring" % (
  sys.argv[1], t["pairs_per_second"], t["seconds"], t["scoring_seconds"], t["candidates_scored"],
  100 * (t["seconds"] - t["scoring_seconds"]) / t["scoring_seconds"])
if "raw_scoring_seconds" in t:
  line += "; plain model.score over all candidates %.3f s (harness %+.1f%%)" % (t["raw_scoring_seconds"], 100 * t["overhead_vs_raw"])
print(line)' "$label"
}
for file in hh-rlhf-helpful-base-test alpacaeval-gpt4turbo-annotations-a; do
  for bootstrap in 1000 0; do
    overhead "hashed, $file, bootstrap $bootstrap" --model "$work/alpaca" --no-cache --bootstrap $bootstrap \
      --time-raw-scoring "$work/$file-test.jsonl"
  done
done
if [ "${MINILM:-0}" = 1 ]; then
  # The encoder caches embeddings on disk: time each run against a fresh embedding cache.
  fresh() {
    rm -rf "$work/rk" && mkdir -p "$work/rk/embeddings"
    ln -s "${REWARDKIT_CACHE:-$HOME/.cache/rewardkit}/backbones" "$work/rk/backbones"
  }
  fresh
  REWARDKIT_CACHE="$work/rk" overhead "minilm, HH test half, cold embeddings" --model "$work/hh-minilm" --no-cache \
    "$work/hh-rlhf-helpful-base-test-test.jsonl"
fi
echo "resume: a fresh score cache, then the same command again"
rm -rf "$work/cache"
overhead "first run (writes the cache)" --model "$work/alpaca" --cache "$work/cache" "$work/alpacaeval-gpt4turbo-annotations-a-test.jsonl"
$reward eval --model "$work/alpaca" --quiet --skip-invalid --allow-empty --json --cache "$work/cache" \
  "$work/alpacaeval-gpt4turbo-annotations-a-test.jsonl" | python3 -c '
import json, sys
t = json.load(sys.stdin)["timing"]
print("second run: eval %.3f s, model scored %d candidates" % (t["seconds"], t["candidates_scored"]))'
echo "reports in $out"
