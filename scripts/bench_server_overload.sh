#!/usr/bin/env bash
# Reliability probes of the reward server and the remote client (issue 16, points 7–10), on loopback
# only, every loop bounded. Results: RELIABILITY.md, "Server and remote client".
#   (a) one 30 MB request, then 16 concurrent ones: peak RSS of the server (VmHWM) and statuses
#   (b) slowloris: 1,100 partial-header connections against a server limited to 1,024 fds
#   (c) remote client against a refused port, a body trickled at 1 byte/s (timeout_s 3),
#       and `503 Retry-After: 3600` (max_retries 1): time to fail
# REWARD=path/to/reward picks the binary (default: the debug build), e.g. an older build to compare.
set -euo pipefail
cd "$(dirname "$0")/.."

REWARD=${REWARD:-.build/debug/reward}
PORT=${PORT:-18190}
UPSTREAM_PORT=${UPSTREAM_PORT:-18191}
OUT=${OUT:-/tmp/rewardkit-bench-overload}
BODY_MB=${BODY_MB:-30}
CONCURRENT=${CONCURRENT:-16}
SLOWLORIS=${SLOWLORIS:-1100}
PARTS=${PARTS:-"a b c"}  # which of the probes below to run
export ITEM_REPEAT=${ITEM_REPEAT:-40}  # query size: 26 bytes × ITEM_REPEAT
PROBE="python3 scripts/bench/overload_probe.py"
mkdir -p "$OUT"
[ -x "$REWARD" ] || swift build --product reward

wait_for() {  # until /health answers (at most 30 s)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "no server on port $PORT" >&2
  return 1
}
serve() {  # starts the server (fd limit 1024, like a default systemd unit) and sets $server
  # The machine is shared: a server someone else left on $PORT would be measured instead.
  if curl -s "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then echo "port $PORT is in use: set PORT" >&2; exit 1; fi
  (ulimit -n 1024 && exec "$REWARD" serve --spec scripts/bench/math_format.yaml --port $PORT --log-level error "$@") &
  server=$!
  wait_for
}
stop() { kill -TERM "$1" 2>/dev/null || true; timeout 60 tail --pid="$1" -f /dev/null || kill -KILL "$1" 2>/dev/null || true; }
timed() {  # NAME COMMAND...: wall seconds and exit status, bounded at 90 s
  local start end status=0
  start=$(date +%s.%N)
  timeout 90 "${@:2}" >"$OUT/$1.log" 2>&1 || status=$?
  end=$(date +%s.%N)
  printf '%s seconds=%.1f exit=%s message=%s\n' "$1" "$(echo "$end - $start" | bc)" "$status" \
    "$(tail -c 200 "$OUT/$1.log" | tr '\n' ' ')"
}

echo "# $(date -u +%FT%TZ) $REWARD; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ $PARTS == *a* ]]; then
  echo "== (a) request memory"
  serve
  echo "one:        $($PROBE big-bodies $PORT $server 1 "$BODY_MB")"
  stop $server
  serve
  echo "concurrent: $($PROBE big-bodies $PORT $server "$CONCURRENT" "$BODY_MB")"
  stop $server
fi

if [[ $PARTS == *b* ]]; then
  echo "== (b) slowloris (server fd limit 1024)"
  serve
  echo "slowloris:  $($PROBE slowloris $PORT $server "$SLOWLORIS" 13)"
  stop $server
fi

[[ $PARTS == *c* ]] || exit 0
echo "== (c) remote client"
echo '{"prompt": "p", "response": "r"}' >"$OUT/one.jsonl"
timed refused "$REWARD" score --model "http://127.0.0.1:$UPSTREAM_PORT/get_reward" "$OUT/one.jsonl" -o /dev/null
for mode in trickle retry-after; do
  cat >"$OUT/$mode.yaml" <<EOF
name: $mode
components:
  - kind: remote
    url: http://127.0.0.1:$UPSTREAM_PORT/get_reward
    timeout_s: 3
    max_retries: $([ $mode = trickle ] && echo 0 || echo 1)
EOF
  $PROBE upstream $mode $UPSTREAM_PORT 95 &
  upstream=$!
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$UPSTREAM_PORT) 2>/dev/null && break; sleep 0.1; done
  timed "$mode" "$REWARD" score --model "$OUT/$mode.yaml" "$OUT/one.jsonl" -o /dev/null
  kill $upstream 2>/dev/null || true
  wait $upstream 2>/dev/null || true
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
