#!/usr/bin/env bash
# Engine-client overhead (issue 11): chat completions per second against a saturated llama-server
# (SmolLM2-135M-Instruct, --parallel slots = concurrency, short judge-style prompts from MT-Bench,
# max_tokens 16, greedy, seeded), sent by
#   (a) wrk with a Lua POST script: the engine's own ceiling (a C load generator, no parsing);
#   (b) RewardKit's engine client: `reward engine bench` (OpenAIEngine: limits, retries, strict parsing);
#   (c) the Python peer: AsyncOpenAI (`pip install openai`) in an asyncio loop.
# The three run in rotating order, ROUNDS times, on the same request bodies; the summary gives
# each round, the medians, and each client's own CPU time per request (user + system of the
# whole process, start-up and 8 warm-up requests included), which a busy machine does not skew. The machine's load average is printed: numbers from a busy machine are lower.
#   Needs: wrk (apt-get install wrk), python3 with `openai`, scripts/llama-server.sh install.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${SCRATCH:-.build-engine-release}
PORT=${PORT:-18095}
PARALLEL=${PARALLEL:-4}
MAX_TOKENS=${MAX_TOKENS:-16}
REPEAT=${REPEAT:-2}          # (b) and (c) send the 80 requests REPEAT times
DURATION=${DURATION:-60s}    # (a) runs this long
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-/tmp/rewardkit-bench-engine}
mkdir -p "$OUT"
: >"$OUT/summary.txt"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
python3 -c 'import openai' 2>/dev/null || { echo "the Python peer needs: python3 -m pip install openai" >&2; exit 1; }
if [ -z "${REWARD:-}" ]; then
  swift build -c release --scratch-path "$SCRATCH" --product reward
  REWARD="$SCRATCH/release/reward"
fi

scripts/llama-server.sh install
LLAMA_PARALLEL=$PARALLEL scripts/llama-server.sh start "$PORT"
trap 'scripts/llama-server.sh stop "$PORT"' EXIT INT TERM
URL="http://127.0.0.1:$PORT"

python3 scripts/bench/make_engine_requests.py --questions ../shared/data/judge/mt-bench-questions.jsonl \
  --max-tokens "$MAX_TOKENS" --out "$OUT/requests.jsonl"
COUNT=$(wc -l <"$OUT/requests.jsonl")

run_wrk() {  # ROUND (after 5 s unmeasured, as the clients warm up too)
  BODIES="$OUT/requests.jsonl" wrk -t1 -c"$PARALLEL" -d5s -s scripts/bench/post_chat_lines.lua "$URL" >/dev/null 2>&1
  BODIES="$OUT/requests.jsonl" wrk -t1 -c"$PARALLEL" -d"$DURATION" --timeout 60s --latency \
    -s scripts/bench/post_chat_lines.lua "$URL" >"$OUT/wrk-$1.txt" 2>&1
  awk -v round="$1" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$4}
    END {printf "round %s  wrk (ceiling)   items/s=%7.2f  p50=%-8s p99=%-8s non-2xx=%s\n", round, rps, p50, p99, bad+0}' \
    "$OUT/wrk-$1.txt" | tee -a "$OUT/summary.txt"
}
run_rewardkit() {  # ROUND
  /usr/bin/time -f "%U %S" -o "$OUT/cpu-rewardkit-$1.txt" "$REWARD" engine bench --engine-url "$URL/v1" --engine-model smollm2-135m --requests "$OUT/requests.jsonl" \
    --concurrency "$PARALLEL" --repeat "$REPEAT" --json >"$OUT/rewardkit-$1.json"
  show "$OUT/rewardkit-$1.json" "$1" "$OUT/cpu-rewardkit-$1.txt"
}
run_python() {  # ROUND
  /usr/bin/time -f "%U %S" -o "$OUT/cpu-python-$1.txt" python3 scripts/bench/openai_peer.py --base-url "$URL/v1" --requests "$OUT/requests.jsonl" \
    --concurrency "$PARALLEL" --repeat "$REPEAT" >"$OUT/python-$1.json"
  show "$OUT/python-$1.json" "$1" "$OUT/cpu-python-$1.txt"
}
show() {  # JSON ROUND CPU-FILE: the client's own CPU (user + system, whole process) per request
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); cpu=sum(map(float, open(sys.argv[3]).read().split()[-2:]));
print("round %s  %-15s items/s=%7.2f  p50=%.1fms p99=%.1fms  completion tokens=%d  client CPU=%.2fms/request" % (
  sys.argv[2], r["client"], r["items_per_second"], r["p50_ms"], r["p99_ms"], r["completion_tokens"],
  cpu * 1000 / (r["requests"] + 8)))' "$1" "$2" "$3" | tee -a "$OUT/summary.txt"
}

# The order rotates each round, so a machine getting busier or quieter favours no client.
clients=(wrk rewardkit python)
for round in $(seq "$ROUNDS"); do
  for offset in 0 1 2; do
    "run_${clients[$(((round - 1 + offset) % 3))]}" "$round"
  done
done

python3 - "$OUT/summary.txt" <<'PY' | tee -a "$OUT/summary.txt"
import re, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    match = re.match(r"round \d+\s+(\S+).*items/s=\s*([\d.]+)", line)
    if match:
        rates.setdefault(match.group(1), []).append(float(match.group(2)))
# Ratios within a round (the clients ran minutes apart, not hours) are steadier than across rounds.
for name, values in rates.items():
    ratios = [value / ceiling for value, ceiling in zip(values, rates["wrk"])]
    print(f"median {name:15s} {statistics.median(values):7.2f} items/s  "
          f"({statistics.median(ratios) * 100:5.1f}% of the same round's wrk ceiling, median of rounds)")
PY
echo "requests: $COUNT bodies, concurrency $PARALLEL, max_tokens $MAX_TOKENS; load average: $(cut -d' ' -f1-3 /proc/loadavg)" |
  tee -a "$OUT/summary.txt"
