#!/usr/bin/env bash
# What per-step rewards cost the server (issue 12): the same PRM served, the same requests, with
# and without step rewards in the response. Recorded in BENCHMARKS.md ("Step rewards from the server").
#   models: step-check (the arithmetic checker: cheap scoring, so the output's share is largest)
#           and a PRM head on hashed n-grams (trained here on processbench-math)
#   load:   wrk POSTing bodies of 64 ProcessBench solutions (DATA: gsm8k by default, ~5 steps each;
#           math has ~7 steps and LaTeX the step checker is slow on) to /v1/rewards
#           ("step_rewards": false vs the default) and /get_reward (plain vs "step_rewards": true).
# Scalar and step runs alternate (ROUNDS times) so load drift on a shared machine hits both alike.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-4}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18095}
OUT=${OUT:-/tmp/rewardkit-bench-prm-serve}
PER_REQUEST=64
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
if [ -z "${REWARD_BIN:-}" ]; then swift build -c release --product reward >/dev/null; fi
REWARD=${REWARD_BIN:-.build/release/reward}
DATA=${DATA:-gsm8k}
python3 scripts/bench/make_prm_payloads.py --out "$OUT/payloads" --per-request $PER_REQUEST --requests 8 \
  --data "../shared/data/process/processbench-$DATA.json" |
  tee "$OUT/summary.txt"
echo "machine: $(nproc) cores; load average at start $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)" |
  tee -a "$OUT/summary.txt"

wait_for() {
  for _ in $(seq 300); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "no server at $1" >&2; return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # the server's user + system CPU, in clock ticks

run_wrk() {  # VARIANT PATH LABEL SERVER_PID → "items/s server-CPU-ms-per-item" on stdout
  local before after
  before=$(cpu_ticks "$4")
  PAYLOAD_DIR="$OUT/payloads/$1" PAYLOAD_COUNT=8 wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency \
    -s scripts/bench/post_payloads.lua "http://127.0.0.1:$PORT$2" >"$OUT/$3.txt" 2>&1
  after=$(cpu_ticks "$4")
  awk -v per=$PER_REQUEST -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
    /requests in/ {requests = $1}
    /Requests\/sec/ {rps = $2}
    /Non-2xx/ {print " NON-2XX " $4 > "/dev/stderr"}
    END {printf "%.0f %.3f", rps * per, (requests > 0 ? 1000 * ticks / hz / (requests * per) : 0)}' "$OUT/$3.txt"
}

bench_model() {  # NAME MODEL
  local name=$1 model=$2
  "$REWARD" serve --model "$model" --port $PORT --log-level warning &
  local server=$!
  wait_for "http://127.0.0.1:$PORT"
  # One check that the step variant really carries step rewards.
  curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$OUT/payloads/v1-steps/get_reward_0.json" \
    "http://127.0.0.1:$PORT/v1/rewards" | grep -q '"step_rewards"' || { echo "no step_rewards in the reply" >&2; exit 1; }
  for endpoint in v1 or; do
    local path=/v1/rewards
    [ $endpoint = or ] && path=/get_reward
    local scalar_all="" steps_all="" scalar_cpu="" steps_cpu=""
    for round in $(seq "$ROUNDS"); do
      local s t
      s=$(run_wrk "$endpoint-scalar" $path "$name-$endpoint-scalar-$round" $server)
      t=$(run_wrk "$endpoint-steps" $path "$name-$endpoint-steps-$round" $server)
      scalar_all="$scalar_all ${s% *}"; steps_all="$steps_all ${t% *}"
      scalar_cpu="$scalar_cpu ${s#* }"; steps_cpu="$steps_cpu ${t#* }"
    done
    # Throughput (wall) swings with the machine's load; the server's CPU time per item is the
    # steadier measure of what step rewards cost.
    awk -v n="$name" -v e="$path" -v sa="$scalar_all" -v sb="$steps_all" -v ca="$scalar_cpu" -v cb="$steps_cpu" \
      -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'function mean(list,   parts, k, total) {
        k = split(list, parts, " "); total = 0; for (i = 1; i <= k; i++) total += parts[i]; return total / k }
      BEGIN {
        printf "%-10s %-12s items/s scalar %6.0f [%s ] steps %6.0f [%s ] (%+5.1f%%)  server CPU ms/item scalar %.3f [%s ] steps %.3f [%s ] (%+5.1f%%)  load %s\n",
          n, e, mean(sa), sa, mean(sb), sb, 100 * (mean(sb) - mean(sa)) / mean(sa),
          mean(ca), ca, mean(cb), cb, 100 * (mean(cb) - mean(ca)) / mean(ca), load }' | tee -a "$OUT/summary.txt"
  done
  kill -TERM $server 2>/dev/null || true
  wait $server 2>/dev/null || true
}

bench_model step-check step-check
[ -d "$OUT/prm-head" ] || "$REWARD" prm train ../shared/data/process/processbench-math.json --output "$OUT/prm-head" --quiet
bench_model prm-head "$OUT/prm-head"
echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
