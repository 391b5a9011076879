#!/usr/bin/env bash
# Issue 14 on a real engine (llama-server + SmolLM2-135M-Instruct, scripts/llama-server.sh):
#  1. sampling throughput: `reward data sample` on the same 80 MT-Bench chat bodies as
#     scripts/bench_engine.sh (n = 1, max_tokens 16, seeded, concurrency = the server's --parallel),
#     against wrk's ceiling on those bodies, in rotating order;
#  2. the online GSM8K loop: N_PROMPTS test problems × 8 samples, scored by the math rule; how often
#     best-of-8 by the math rule holds a correct answer vs the first sample, and the pairs produced.
# Needs wrk (apt-get install wrk) and a release `reward` (REWARD=path, else built here).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18096}
PARALLEL=${PARALLEL:-4}
N_PROMPTS=${N_PROMPTS:-12}
GSM_TOKENS=${GSM_TOKENS:-160}
OUT=${OUT:-/tmp/rewardkit-bench-sample}
mkdir -p "$OUT"
if [ -z "${REWARD:-}" ]; then
  swift build -c release --product reward
  REWARD="$(swift build -c release --show-bin-path)/reward"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
scripts/llama-server.sh install
LLAMA_PARALLEL=$PARALLEL scripts/llama-server.sh start "$PORT"
trap 'scripts/llama-server.sh stop "$PORT"' EXIT INT TERM
URL="http://127.0.0.1:$PORT"

python3 scripts/bench/make_engine_requests.py --questions ../shared/data/judge/mt-bench-questions.jsonl \
  --max-tokens 16 --out "$OUT/requests.jsonl"
# The same prompts as `reward data sample` input: system + user messages, an id each.
python3 - "$OUT/requests.jsonl" "$OUT/prompts.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for i, line in enumerate(src):
        body = json.loads(line)
        out.write(json.dumps({"id": f"q{i}", "messages": body["messages"]}) + "\n")
PY
COUNT=$(wc -l <"$OUT/prompts.jsonl")
run_wrk() {
  BODIES="$OUT/requests.jsonl" wrk -t1 -c"$PARALLEL" -d5s -s scripts/bench/post_chat_lines.lua "$URL" >/dev/null 2>&1
  BODIES="$OUT/requests.jsonl" wrk -t1 -c"$PARALLEL" -d30s --timeout 60s -s scripts/bench/post_chat_lines.lua "$URL" \
    | awk '/Requests\/sec/ {printf "wrk (ceiling)            %6.2f items/s\n", $2}'
}
run_sample() {
  rm -f "$OUT/sampled.jsonl"
  local start end
  start=$(date +%s.%N)
  "$REWARD" data sample "$OUT/prompts.jsonl" -o "$OUT/sampled.jsonl" --engine-url "$URL/v1" --engine-model smollm2 \
    -n 1 --max-tokens 16 --temperature 0 --concurrency "$PARALLEL" --quiet
  end=$(date +%s.%N)
  python3 -c "import sys; print(f'reward data sample        {int(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):6.2f} items/s')" \
    "$COUNT" "$start" "$end"
}
for round in 1 2; do
  echo "round $round"
  if [ "$round" = 1 ]; then run_wrk; run_sample; else run_sample; run_wrk; fi
done

echo "GSM8K loop: $N_PROMPTS prompts × 8 samples, max_tokens $GSM_TOKENS"
python3 - ../shared/data/math/gsm8k-test.jsonl "$N_PROMPTS" "$OUT/gsm8k-prompts.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][: int(sys.argv[2])]
with open(sys.argv[3], "w") as out:
    for i, r in enumerate(rows):
        out.write(json.dumps({"id": f"gsm8k-{i}", "prompt": r["question"] + "\nEnd with 'The answer is N.'",
                              "answer": r["answer"].split("####")[-1].strip()}) + "\n")
PY
printf 'components:\n  - kind: math\n' >"$OUT/math.yaml"
rm -f "$OUT/gsm8k-groups.jsonl"
start=$(date +%s.%N)
"$REWARD" data sample "$OUT/gsm8k-prompts.jsonl" -o "$OUT/gsm8k-groups.jsonl" --engine-url "$URL/v1" \
  --engine-model smollm2 -n 8 --max-tokens "$GSM_TOKENS" --temperature 0.8 --seed 0 --concurrency "$PARALLEL" --quiet
end=$(date +%s.%N)
"$REWARD" data score "$OUT/gsm8k-groups.jsonl" --model "$OUT/math.yaml" -o "$OUT/gsm8k-scored.jsonl" --quiet
"$REWARD" data pairs "$OUT/gsm8k-scored.jsonl" --rule best-worst -o "$OUT/gsm8k-pairs.jsonl" 2>"$OUT/pairs.log"
python3 - "$OUT/gsm8k-scored.jsonl" "$OUT/gsm8k-pairs.jsonl" "$start" "$end" <<'PY'
import json, sys
groups = [json.loads(l) for l in open(sys.argv[1])]
first = sum(1 for g in groups if g["rewards"][0] >= 1)
best = sum(1 for g in groups if max(g["rewards"]) >= 1)
any_correct = sum(sum(1 for r in g["rewards"] if r >= 1) for g in groups)
pairs = sum(1 for _ in open(sys.argv[2]))
seconds = float(sys.argv[4]) - float(sys.argv[3])
print(f"groups {len(groups)}; first sample correct {first}/{len(groups)}; best-of-8 by the math rule correct "
      f"{best}/{len(groups)}; correct samples {any_correct}/{8 * len(groups)}; best-worst pairs {pairs}; "
      f"sampling {8 * len(groups) / seconds:.2f} responses/s")
PY
