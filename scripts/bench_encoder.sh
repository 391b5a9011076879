#!/usr/bin/env bash
# Benchmark of issue 3 (recorded in BENCHMARKS.md): RewardKit's native MiniLM encoder against
# sentence-transformers (PyTorch, CPU) on the same 1,805 real responses at max length 256, same
# machine, same run. Prints texts/s, tokens/s, the ratio, peak RSS, and the cosine agreement.
#
# Needs ../shared/data, the minilm backbone (fetched here if absent) and a Python with
# sentence-transformers: set BENCH_PYTHON to it (default python3), e.g.
#   python3 -m venv ~/.cache/rewardkit/bench-venv && ~/.cache/rewardkit/bench-venv/bin/pip install sentence-transformers
#   BENCH_PYTHON=~/.cache/rewardkit/bench-venv/bin/python scripts/bench_encoder.sh
# REWARD_BIN skips the build and uses that `reward` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REWARD_BIN:-}" ]; then
  swift build -c release --product reward >/dev/null
fi
reward=${REWARD_BIN:-.build/release/reward}
python=${BENCH_PYTHON:-python3}
if ! "$python" -c 'import sentence_transformers' 2>/dev/null; then
  echo "error: $python cannot import sentence_transformers; see the header of $0 for the set-up" >&2
  exit 1
fi
$reward backbone info minilm >/dev/null 2>&1 || $reward backbone fetch minilm --quiet >/dev/null
model=$($reward backbone info minilm --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["directory"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/bench/make_encoder_corpus.py ../shared/data "$work/corpus.jsonl"

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "### RewardKit: reward embed --backbone minilm (max length 256, batch 32)"
/usr/bin/time -f "wall %e s, cpu %U s user + %S s sys, peak RSS %M KB" $reward embed --backbone minilm "$work/corpus.jsonl" \
  -o "$work/rewardkit.jsonl" 2>&1 | tee "$work/rewardkit.log"
echo "### sentence-transformers (PyTorch, CPU, batch 32)"
/usr/bin/time -f "wall %e s, cpu %U s user + %S s sys, peak RSS %M KB" "$python" scripts/bench/sentence_transformers_encode.py \
  "$work/corpus.jsonl" "$model" "$work/rewardkit.jsonl" 2>&1 | grep -v -e Warning -e 'Loading weights' | tee "$work/peer.log"
ours=$(sed -n 's/.*): \([0-9.]*\) texts\/s.*/\1/p' "$work/rewardkit.log")
theirs=$(sed -n 's/^PEER_TEXTS_PER_SECOND //p' "$work/peer.log")
ours_cpu=$(sed -n 's/.*, \([0-9.]*\) texts per CPU-second.*/\1/p' "$work/rewardkit.log")
theirs_cpu=$(sed -n 's/^PEER_TEXTS_PER_CPU_SECOND //p' "$work/peer.log")
python3 -c "print('### throughput ratio (RewardKit / sentence-transformers): %.2fx wall-clock, %.2fx per CPU-second' % ($ours / $theirs, $ours_cpu / $theirs_cpu))"
echo "(wall-clock texts/s is what a user sees on an idle machine; per CPU-second is robust when other jobs share the cores)"
