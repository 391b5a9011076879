#!/usr/bin/env bash
# Reward-server benchmark on loopback (bounded: each load run lasts DURATION, 127.0.0.1 only).
#   (a) the math + format rule spec (scripts/bench/math_format.yaml) behind `reward serve`
#   (b) a Bradley–Terry checkpoint (hashed n-grams) behind `reward serve`, against offline `reward score`
#   (c) the peer: the same rule spec in a minimal FastAPI/uvicorn server calling Math-Verify
# Load: wrk (apt-get install wrk) POSTing OpenRLHF /get_reward bodies of 64 MATH-500 rollouts each.
# Needs: pip install fastapi uvicorn math-verify (for c). Results go to $OUT/*.txt and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${SCRATCH:-.build-server-release}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-"1 4 16"}
PORT=${PORT:-18080}
PEER_PORT=${PEER_PORT:-18081}
OUT=${OUT:-/tmp/rewardkit-bench-server}
PER_REQUEST=64
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
swift build -c release --scratch-path "$SCRATCH" --product reward
REWARD="$SCRATCH/release/reward"
python3 scripts/bench/make_server_payloads.py --out "$OUT/payloads" --per-request $PER_REQUEST --requests 8

wait_for() {  # URL: until /health answers (at most 30 s)
  for _ in $(seq 300); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "no server at $1" >&2; return 1
}

load() {  # NAME URL: one wrk run per connection count; prints items/s and latency percentiles
  local name=$1 url=$2
  for c in $CONNECTIONS; do
    PAYLOAD_DIR="$OUT/payloads" PAYLOAD_COUNT=8 wrk -t1 -c"$c" -d"$DURATION" --timeout 10s --latency \
      -s scripts/bench/post_payloads.lua "$url" >"$OUT/$name-c$c.txt" 2>&1
    awk -v name="$name" -v c="$c" -v per=$PER_REQUEST '
      /Requests\/sec/ {rps=$2}
      /^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
      /Non-2xx/ {bad=$4}
      END {printf "%-10s conns=%-3s items/s=%8.0f  p50=%-8s p90=%-8s p99=%-8s non-2xx=%s\n", name, c, rps*per, p50, p90, p99, bad+0}
    ' "$OUT/$name-c$c.txt" | tee -a "$OUT/summary.txt"
  done
}

stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

: >"$OUT/summary.txt"
echo "== (a) rule spec: reward serve --spec scripts/bench/math_format.yaml" | tee -a "$OUT/summary.txt"
"$REWARD" serve --spec scripts/bench/math_format.yaml --port $PORT --log-level warning &
server=$!
wait_for "http://127.0.0.1:$PORT"
load rule "http://127.0.0.1:$PORT/get_reward"
stop $server

echo "== (b) Bradley–Terry checkpoint (hashed n-grams, trained on llmbar-natural)" | tee -a "$OUT/summary.txt"
[ -d "$OUT/bt" ] || "$REWARD" train /work/shared/data/preference/llmbar-natural.json --out "$OUT/bt" --quiet
for _ in $(seq 20); do cat "$OUT/payloads/items.jsonl"; done >"$OUT/items-x20.jsonl"
count=$(wc -l <"$OUT/items-x20.jsonl")
start=$(date +%s.%N)
"$REWARD" score --model "$OUT/bt" "$OUT/items-x20.jsonl" -o /dev/null --quiet
end=$(date +%s.%N)
awk -v n="$count" -v s="$start" -v e="$end" 'BEGIN {printf "offline    reward score: %d items in %.2f s = %.0f items/s\n", n, e-s, n/(e-s)}' |
  tee -a "$OUT/summary.txt"
"$REWARD" serve --model "$OUT/bt" --port $PORT --log-level warning &
server=$!
wait_for "http://127.0.0.1:$PORT"
load bt "http://127.0.0.1:$PORT/get_reward"
stop $server

echo "== (c) peer: FastAPI + uvicorn (2 workers) + Math-Verify, same rule spec" | tee -a "$OUT/summary.txt"
if python3 -c "import fastapi, uvicorn, math_verify" 2>/dev/null; then
  python3 -m uvicorn --app-dir scripts/bench peer_math_verify_server:app --port $PEER_PORT --workers 2 \
    --log-level warning &
  peer=$!
  for _ in $(seq 300); do curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"query": []}' \
    "http://127.0.0.1:$PEER_PORT/get_reward" && break; sleep 0.1; done
  load peer "http://127.0.0.1:$PEER_PORT/get_reward"
  "$REWARD" serve --spec scripts/bench/math_format.yaml --port $PORT --log-level warning &
  server=$!
  wait_for "http://127.0.0.1:$PORT"
  python3 scripts/bench/compare_server_rewards.py "$OUT/payloads" "http://127.0.0.1:$PORT/get_reward" \
    "http://127.0.0.1:$PEER_PORT/get_reward" | tee -a "$OUT/summary.txt"
  stop $server
  stop $peer
else
  echo "peer skipped: pip install fastapi uvicorn math-verify" | tee -a "$OUT/summary.txt"
fi
cat "$OUT/summary.txt"
