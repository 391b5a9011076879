#!/usr/bin/env bash
# Live judge numbers on a real engine (issue 11, recorded in BENCHMARKS.md, "SmolLM2-135M as a
# pairwise judge"): llama-server serving SmolLM2-135M-Instruct judges JudgeBench and LLMBar natural
# pairs in both orders with RewardKit's built-in pairwise prompt ([[A]] / [[B]] / [[C]]), twice:
#   free     the judge writes freely (max_tokens 128) and gets one reminder turn when unparseable;
#   grammar  llama.cpp's grammar forces the reply to be exactly [[A]], [[B]] or [[C]].
#
#   PORT=18094 scripts/bench_judge_smollm2.sh        # limits: JB_FREE=4 LLMBAR_FREE=8 JB_GRAMMAR=12 LLMBAR_GRAMMAR=32
#   ONLY_LONG=1 scripts/bench_judge_smollm2.sh       # only the over-context check on the 4 longest pairs
#
# Starts llama-server on PORT if nothing answers there (scripts/llama-server.sh: -c 8192 shared by
# 4 slots, so 2048 tokens per request); prompts that do not fit are refused by the server, counted
# as "over the engine's context" and left out of the "pairs that fit" accuracy. No request cache,
# so every number is a live call. REWARD_BIN overrides the binary (default: a debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-18094}
reward=${REWARD_BIN:-.build/debug/reward}
data=../shared/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

curl -sf "http://127.0.0.1:$port/health" >/dev/null || scripts/llama-server.sh start "$port"
judge() { # name, sampling, retries
  cat >"$work/$1.yaml" <<YAML
mode: pairwise
template: builtin:pairwise
order: both
aggregate: consistency
sampling: $2
retries: $3
concurrency: 4
engine: {base_url: "http://127.0.0.1:$port/v1", model: smollm2, timeout_s: 900, max_retries: 0}
YAML
}
judge free "{temperature: 0, max_tokens: 128, seed: 0}" 1
judge grammar "{temperature: 0, max_tokens: 8, seed: 0, grammar: 'root ::= \"[[\" [ABC] \"]]\"'}" 0

run() { # config, judgebench limit, llmbar limit
  echo "## $1: JudgeBench (two trials, the second swapped; JudgeBench's counter rule), first $2 pairs"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local start=$(date +%s)
  "$reward" eval --benchmark judgebench "$data/judge/judgebench-claude-3-5-sonnet.jsonl" --model "$work/$1.yaml" \
    --limit "$2" --json
  echo "wall: $(($(date +%s) - start)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "## $1: LLMBar natural (both orders, MT-Bench consistency; RewardBench v1 generative rule), first $3 pairs"
  start=$(date +%s)
  "$reward" eval --benchmark rewardbench "$data/preference/llmbar-natural.json" --model "$work/$1.yaml" \
    --limit "$3" --no-cache --bootstrap 0 --json >"$work/llmbar.json"
  echo "wall: $(($(date +%s) - start)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['models'][0]['generative']))" "$work/llmbar.json"
}
long() { # the JudgeBench pairs with the most SmolLM2 tokens (1762–2317 for question + answers)
  python3 - "$data/judge/judgebench-claude-3-5-sonnet.jsonl" >"$work/long.jsonl" <<'PY'
import json, sys
wanted = {"a0700e91-1e56-59fb-bac8-d5048dc1f61d", "2ea3567c-6bdb-519b-8ef9-e07ef533773d",
          "a28a8dae-78a7-51a7-a46f-84a6e502068d", "2092f9af-bcef-594c-9394-b26f14dcb911"}
for line in open(sys.argv[1]):
    if json.loads(line)["pair_id"] in wanted:
        print(line, end="")
PY
  echo "## grammar: the 4 longest JudgeBench pairs (over-context handling; 2048 tokens per slot)"
  local start=$(date +%s)
  "$reward" eval --benchmark judgebench "$work/long.jsonl" --model "$work/grammar.yaml" --json
  echo "wall: $(($(date +%s) - start)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
echo "## machine: $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); llama-server on port $port"
if [ -n "${ONLY_LONG:-}" ]; then long; exit; fi
run free "${JB_FREE:-4}" "${LLMBAR_FREE:-8}"
run grammar "${JB_GRAMMAR:-12}" "${LLMBAR_GRAMMAR:-32}"
long
