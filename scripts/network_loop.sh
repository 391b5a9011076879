#!/usr/bin/env bash
# Reruns network test suites to count intermittent failures, optionally beside CPU burners.
#   scripts/network_loop.sh [RUNS] [FILTER] [BURNERS]
# e.g. scripts/network_loop.sh 30 RemoteDeadlineTests 4
#      scripts/network_loop.sh 10 "RewardServerTests|RewardEngineTests" 6
# Needs a build with tests (swift build --build-tests). Logs of failed runs stay in $LOGS.
set -euo pipefail
runs=${1:-30}
filter=${2:-"RewardServerTests|RewardEngineTests"}
burners=${3:-0}
LOGS=${LOGS:-$(mktemp -d)}
mkdir -p "$LOGS"
burner_pids=()
stop_burners() { for pid in "${burner_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_burners EXIT
# Busy loops in the shell: they load the CPU without writing anywhere.
for _ in $(seq 1 "$burners"); do
  (while :; do :; done) &
  burner_pids+=("$!")
done
[ "$burners" -gt 0 ] && sleep 10
echo "start: $(uptime)"
passed=0
failed=0
for run in $(seq 1 "$runs"); do
  log="$LOGS/run_$run.log"
  if swift test --skip-build --filter "$filter" >"$log" 2>&1; then
    passed=$((passed + 1))
    rm -f "$log"
  else
    failed=$((failed + 1))
    echo "run $run failed: $log"
  fi
done
echo "end:   $(uptime)"
echo "$filter: $passed passed, $failed failed of $runs runs ($burners burners)"
