#!/usr/bin/env bash
# Generative PRMs on ProcessBench (issue 12; BENCHMARKS.md "Generative PRMs"): the critic protocol
# (scripts/bench/prm_critic.yaml) and the "+/-" logprob protocol (scripts/bench/prm_logprob.yaml)
# with SmolLM2-135M-Instruct on llama-server, on COUNT solutions of each subset taken at an even
# stride (the files list erroneous solutions first, so a prefix would have no correct ones).
# The critic answers the first error itself (no τ); the logprob PRM flags the first step with
# P(+) < 0.5 (τ = 0.5: "-" more likely than "+"; calibrating would double the engine time).
#   scripts/llama-server.sh start 18093 first (LLAMA_PARALLEL=2 recommended).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-8}
SUBSETS=${SUBSETS:-gsm8k}   # "gsm8k math" for both
reward=${REWARD_BIN:-.build/release/reward}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
python3 - ../shared/data/process "$data" "$COUNT" <<'PY'
import json, sys
source, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for subset in ("gsm8k", "math"):
    rows = json.load(open(f"{source}/processbench-{subset}.json"))
    step = len(rows) // count
    picked = rows[::step][:count]
    json.dump(picked, open(f"{out}/processbench-{subset}.json", "w"))
    print(f"{subset}: {len(picked)} solutions (every {step}th), {sum(r['label'] == -1 for r in picked)} correct")
PY
curl -sf http://127.0.0.1:18093/health >/dev/null || { echo "start llama-server: scripts/llama-server.sh start 18093" >&2; exit 1; }
echo "## $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ); $COUNT solutions per subset"
for subset in $SUBSETS; do
  echo "### prm-critic on $subset"
  /usr/bin/time -f "wall %e s" $reward prm eval --model scripts/bench/prm_critic.yaml "$data/processbench-$subset.json"
done
echo "### prm-logprob, gsm8k (τ = 0.5)"
/usr/bin/time -f "wall %e s" $reward prm eval --model scripts/bench/prm_logprob.yaml --threshold 0.5 \
  "$data/processbench-gsm8k.json"
echo "## load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
