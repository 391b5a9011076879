#!/usr/bin/env bash
# Cost of checkpoint safety (issue 16.5/16.15, BENCHMARKS.md): time and peak memory of
# `reward score` on a handful of records with a default 2^18-bucket Bradley–Terry checkpoint
# (1 MiB of weights), i.e. load = read config + checksum the weights + validate dtypes, finite
# values and shapes + score. Compare two binaries: OLD_BIN (before checksums) and REWARD_BIN.
#   REWARD_BIN (default .build/release/reward, built if missing), OLD_BIN (optional),
#   RUNS (default 5). Prints the machine's load before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then swift build -c release --product reward >/dev/null; fi
reward=${REWARD_BIN:-.build/release/reward}
runs=${RUNS:-5}
data=../shared/data/preference/llmbar-natural.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "## $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$data" "$work/input.jsonl" <<'PY'
import json, sys
records = json.load(open(sys.argv[1]))[:6]
with open(sys.argv[2], "w") as out:
    for r in records:
        for key in ("output_1", "output_2"):
            out.write(json.dumps({"prompt": r["input"], "response": r[key]}) + "\n")
PY
measure() {  # name binary
  local name=$1 binary=$2
  "$binary" train "$data" --out "$work/$name" --epochs 2 --quiet >/dev/null
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "$name %e s %M KB" "$binary" score --model "$work/$name" "$work/input.jsonl" -o /dev/null
  done 2>&1 | sort -t' ' -k2 -n | sed -n "$(((runs + 1) / 2))p" | sed 's/^/median: /'
}
[ -n "${OLD_BIN:-}" ] && measure old "$OLD_BIN"
measure new "$reward"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
