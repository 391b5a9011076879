#!/usr/bin/env bash
# Benchmark of the byte-level BPE tokenizer (issue 13, recorded in BENCHMARKS.md): RewardKit's
# BPETokenizer against Hugging Face `tokenizers` on the same tokenizer.json and the same real
# texts (HH-RLHF helpful-base transcripts + AlpacaEval outputs, ~6 MB), same machine, same run.
# Prints tokens/s for both (one thread each; HF's multi-threaded encode_batch too), the ratio,
# and whether every text got identical ids.
#
# The tokenizer is SmolLM2-135M-Instruct's (from the GGUF, with its own pre-tokenizer: digits one
# by one, then GPT-2), written by transformers. Needs ../shared/data, the SmolLM2 GGUF and a Python
# with transformers/tokenizers/gguf: BENCH_PYTHON (default ~/.cache/rewardkit/pyref/venv/bin/python).
# BENCH_BIN skips the build and uses that reward-tokenizer-bench binary.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${BENCH_PYTHON:-$HOME/.cache/rewardkit/pyref/venv/bin/python}
gguf=${SMOLLM2_GGUF:-$HOME/.cache/rewardkit/models/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf}
if [ -z "${BENCH_BIN:-}" ]; then
  swift build -c release --product reward-tokenizer-bench >/dev/null
fi
bench=${BENCH_BIN:-.build/release/reward-tokenizer-bench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" - "$gguf" "$work" <<'PY'
import gzip, json, os, sys
from transformers import AutoTokenizer
gguf, work = sys.argv[1], sys.argv[2]
tok = AutoTokenizer.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf))
spec = json.loads(tok.backend_tokenizer.to_str())
spec["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
    {"type": "Digits", "individual_digits": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
json.dump(spec, open(os.path.join(work, "tokenizer.json"), "w"), ensure_ascii=False)
data = "../shared/data/preference"
with open(os.path.join(work, "texts.jsonl"), "w") as out:
    for line in gzip.open(f"{data}/hh-rlhf-helpful-base-test.jsonl.gz", "rt"):
        r = json.loads(line)
        out.write(json.dumps({"text": r["chosen"]}) + "\n")
    for i, line in enumerate(gzip.open(f"{data}/alpacaeval-gpt4turbo-annotations-a.jsonl.gz", "rt")):
        if i >= 4000:
            break
        out.write(json.dumps({"text": json.loads(line)["output_1"]}) + "\n")
PY

echo "## $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" "$work/tokenizer.json" "$work/texts.jsonl" "$work/swift-ids.jsonl" | tee "$work/swift.log"
"$python" scripts/bench/hf_tokenize.py "$work/tokenizer.json" "$work/texts.jsonl" "$work/swift-ids.jsonl" | tee "$work/hf.log"
ours=$(sed -n 's/.*: \([0-9]*\) tokens\/s.*/\1/p' "$work/swift.log")
theirs=$(sed -n 's/^HF tokenizers [0-9.]* encode: .*: \([0-9]*\) tokens\/s.*/\1/p' "$work/hf.log")
python3 -c "print('### RewardKit / HF tokenizers, one thread each: %.2fx' % ($ours / $theirs))"
echo "## load after: $(cut -d' ' -f1-3 /proc/loadavg)"
