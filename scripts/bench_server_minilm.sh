#!/usr/bin/env bash
# Reward server with a MiniLM Bradley–Terry checkpoint: served throughput against offline `reward
# score` of items of the same kind. Every text is new to the embedding cache on both sides (fresh
# cache roots, distinct MATH-500 rows), so neither side reads cached embeddings.
# Needs `reward backbone fetch minilm` done once (the backbone in $REWARDKIT_CACHE or ~/.cache/rewardkit).
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${SCRATCH:-.build-server-release}
DURATION=${DURATION:-40s}
CONNECTIONS=${CONNECTIONS:-8}
MAX_WAIT_MS=${MAX_WAIT_MS:-50}
PORT=${PORT:-18082}
OUT=${OUT:-/tmp/rewardkit-bench-server-minilm}
BACKBONE=${BACKBONE:-${REWARDKIT_CACHE:-$HOME/.cache/rewardkit}/backbones/minilm}
mkdir -p "$OUT"

swift build -c release --scratch-path "$SCRATCH" --product reward
REWARD="$SCRATCH/release/reward"
[ -d "$OUT/bt" ] || "$REWARD" train /work/shared/data/preference/llmbar-natural.json --out "$OUT/bt" --backbone minilm --quiet
for side in offline served; do
  rm -rf "$OUT/cache-$side" && mkdir -p "$OUT/cache-$side/backbones" && ln -s "$BACKBONE" "$OUT/cache-$side/backbones/minilm"
done
# Every item is distinct (tagged rollouts): 512 offline; SERVED_REQUESTS × 8 served, more than the
# server can score in DURATION, so no served text is ever a cache hit (checked below).
SERVED_REQUESTS=${SERVED_REQUESTS:-500}
python3 scripts/bench/make_server_payloads.py --out "$OUT/offline" --per-request 8 --requests 64 --offset 100 --tag offline
python3 scripts/bench/make_server_payloads.py --out "$OUT/served" --per-request 8 --requests "$SERVED_REQUESTS" \
  --offset 500 --tag served

start=$(date +%s.%N)
REWARDKIT_CACHE="$OUT/cache-offline" "$REWARD" score --model "$OUT/bt" "$OUT/offline/items.jsonl" -o /dev/null --quiet
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN {printf "offline reward score: 512 items in %.2f s = %.2f items/s\n", e-s, 512/(e-s)}'

REWARDKIT_CACHE="$OUT/cache-served" "$REWARD" serve --model "$OUT/bt" --port $PORT --max-wait-ms "$MAX_WAIT_MS" \
  --log-level warning &
server=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
PAYLOAD_DIR="$OUT/served" PAYLOAD_COUNT="$SERVED_REQUESTS" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --timeout 60s --latency \
  -s scripts/bench/post_payloads.lua "http://127.0.0.1:$PORT/get_reward" >"$OUT/wrk.txt" 2>&1
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E "rewardkit_batch_(size|duration_seconds)_(sum|count)"
kill -TERM $server && wait $server || true
awk -v distinct="$SERVED_REQUESTS" '/requests in/ {n=$1; t=$4+0} /^ +50%/ {p50=$2}
  END {printf "served: %d requests of 8 in %.1f s = %.2f items/s, p50 %s\n", n, t, n*8/t, p50
       if (n > distinct) print "WARNING: more requests than distinct payloads; raise SERVED_REQUESTS (cache hits)"}' \
  "$OUT/wrk.txt"
