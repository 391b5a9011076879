#!/usr/bin/env bash
# Benchmark of issue 13 (recorded in BENCHMARKS.md): prefill (prompt-processing) tokens/s of
# RewardKit's native decoder runtime against llama.cpp's `llama-bench` and PyTorch `transformers`
# on the CPU, all on SmolLM2-135M-Instruct Q4_1 (the same GGUF), 2 threads, in one run; plus
# RewardKit's peak RSS against the file size.
#
# Inputs are the same real token ids for RewardKit and transformers: HH-RLHF transcripts
# (../shared/data) tokenised by transformers' tokenizer of the GGUF, cut to 256/512 tokens.
# llama-bench measures its own prompt processing (-p 256,512 -n 0: one sequence per pass, random
# tokens). Shapes: 1x256, 8x256 and 1x512 (batch × tokens) for RewardKit and transformers.
#
# Needs: the GGUF (`reward backbone fetch smollm2` or scripts/llama-server.sh --fetch-only),
# llama.cpp under ~/.cache/rewardkit/llama.cpp (scripts/llama-server.sh builds it), and the
# reference venv ~/.cache/rewardkit/pyref/venv with torch + transformers + gguf (scripts/lm_reference.py).
# REWARD_BIN skips the release build; THREADS (default 2) and REPEATS (default 3) override.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
repeats=${REPEATS:-3}
cache=${REWARDKIT_CACHE:-$HOME/.cache/rewardkit}
gguf="$cache/models/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"
python=${BENCH_PYTHON:-$cache/pyref/venv/bin/python}
llama_bench=$(ls -d "$cache"/llama.cpp/0.3.36-*/bin/llama-bench 2>/dev/null | head -1 || true)
[ -f "$gguf" ] || { echo "error: $gguf not found (reward backbone fetch smollm2)" >&2; exit 1; }
"$python" -c 'import torch, transformers, gguf' 2>/dev/null || {
  echo "error: $python cannot import torch/transformers/gguf (see scripts/lm_reference.py)" >&2; exit 1; }
if [ -z "${REWARD_BIN:-}" ]; then
  swift build -c release --product reward >/dev/null
fi
reward=${REWARD_BIN:-.build/release/reward}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The same real ids for both: 8 rows of 512 tokens of consecutive HH-RLHF transcripts.
HF_HUB_OFFLINE=1 "$python" - "$gguf" "$work/ids.json" <<'EOF' 2>/dev/null
import gzip, json, sys, os
from pathlib import Path
from transformers import AutoTokenizer
gguf = Path(sys.argv[1])
tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
records = [json.loads(l)["chosen"] for l in gzip.open("../shared/data/preference/hh-rlhf-helpful-base-test.jsonl.gz", "rt")]
rows = []
for r in range(8):
    ids, i = [], 50 * r
    while len(ids) < 512:
        ids += tok(records[i % len(records)], add_special_tokens=False)["input_ids"]
        i += 1
    rows.append(ids[:512])
json.dump(rows, open(sys.argv[2], "w"))
EOF

echo "## machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## model: $gguf ($(stat -c %s "$gguf") bytes), threads $threads"
echo "### RewardKit (reward lm-bench, release)"
"$reward" lm-bench --model "$gguf" --ids-file "$work/ids.json" \
  --shapes 1x256,8x256,1x512 --repeats "$repeats" --threads "$threads" | tee "$work/rewardkit.json"
# Peak RSS per shape, each in a process of its own (one timed pass): what scoring that batch costs.
for shape in 1x256 8x256 1x512; do
  /usr/bin/time -f "%M" -o "$work/rss-$shape.txt" "$reward" lm-bench --model "$gguf" --ids-file "$work/ids.json" \
    --shapes "$shape" --repeats 1 --threads "$threads" >/dev/null
done
if [ -n "$llama_bench" ]; then
  echo "### llama.cpp ($llama_bench -p 256,512 -n 0 -t $threads)"
  /usr/bin/time -f "%M" -o "$work/rss-llama.txt" \
    "$llama_bench" -m "$gguf" -p 256,512 -n 0 -t "$threads" -r "$repeats" -o json 2>/dev/null > "$work/llama.json" || true
  "$python" -c "
import json,sys
for r in json.load(open('$work/llama.json')):
    print('pp%d: %.1f tokens/s' % (r['n_prompt'], r['avg_ts']))" | tee "$work/llama.txt"
else
  echo "### llama.cpp: llama-bench not found under $cache/llama.cpp (scripts/llama-server.sh builds it)"
fi
echo "### transformers (scripts/bench_lm_transformers.py, float32 dequantised; hidden states, then the causal LM)"
HF_HUB_OFFLINE=1 "$python" scripts/bench_lm_transformers.py --threads "$threads" --repeats "$repeats" \
  --shapes 1x256,8x256,1x512 --ids-file "$work/ids.json" --gguf "$gguf" 2>/dev/null > "$work/transformers.json"
"$python" -c "
import json
for r in json.load(open('$work/transformers.json'))['runs']:
    print('%dx%d: %.1f tokens/s (causal LM with logits: %.1f)' % (r['batch'], r['length'], r['tokens_per_second'], r['causal_lm_tokens_per_second']))"
echo "### summary"
"$python" - "$work" "$(stat -c %s "$gguf")" <<'EOF'
import json, sys, os, re
work, size = sys.argv[1], int(sys.argv[2])
ours = json.load(open(f"{work}/rewardkit.json"))["shapes"]
theirs = {}
try:
    for run in json.load(open(f"{work}/transformers.json"))["runs"]:
        theirs[f"{run['batch']}x{run['length']}"] = run["tokens_per_second"]
except Exception as error:
    print("transformers output not understood:", error)
llama = {}
if os.path.exists(f"{work}/llama.txt"):
    for line in open(f"{work}/llama.txt"):
        m = re.match(r"pp(\d+): ([\d.]+)", line)
        if m: llama[int(m.group(1))] = float(m.group(2))
report = json.load(open(f"{work}/rewardkit.json"))
sgemm = report.get("sgemm_gflop_per_second")
for shape, value in ours.items():
    tps = value["tokens_per_second"]
    length = int(shape.split("x")[1])
    parts = [f"{shape}: RewardKit {tps:.0f} tokens/s ({value['gflop_per_second']:.0f} GFLOP/s)"]
    if shape in theirs: parts.append(f"transformers {theirs[shape]:.0f} ({tps / theirs[shape]:.2f}x)")
    if shape.startswith("1x") and length in llama: parts.append(f"llama.cpp pp{length} {llama[length]:.0f} ({tps / llama[length]:.2f}x)")
    rss_file = f"{work}/rss-{shape}.txt"
    if os.path.exists(rss_file):
        rss = int(open(rss_file).read().split()[-1]) * 1024
        parts.append(f"peak RSS {rss / 2**20:.0f} MiB = {rss / size:.2f}x the file")
    print(", ".join(parts))
if sgemm:
    print(f"sgemm ceiling: {sgemm:.0f} GFLOP/s with {report['threads']} threads on this machine "
          "(the forward's FLOPs at that rate bound any float32 implementation)")
if os.path.exists(f"{work}/rss-llama.txt"):
    rss = int(open(f"{work}/rss-llama.txt").read().split()[-1]) * 1024
    print(f"llama-bench peak RSS {rss / 2**20:.0f} MiB = {rss / size:.2f}x the file")
EOF
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
