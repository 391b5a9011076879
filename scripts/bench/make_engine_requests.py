#!/usr/bin/env python3
"""Chat request bodies for scripts/bench_engine.sh: one JSON object a line, the same bytes for
every client (RewardKit, wrk, the Python openai loop). Each asks a judge-style question about a
real MT-Bench question (first turn) and allows MAX_TOKENS tokens, greedy, seeded."""
import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("--questions", required=True, help="mt-bench-questions.jsonl")
parser.add_argument("--model", default="smollm2-135m")
parser.add_argument("--max-tokens", type=int, default=16)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.questions) as source, open(args.out, "w") as out:
    for index, line in enumerate(source):
        question = json.loads(line)["turns"][0]
        body = {
            "model": args.model,
            "messages": [
                {"role": "system", "content": "Rate the task 1-10 as [[n]]."},
                {"role": "user", "content": question[:120]},
            ],
            "max_tokens": args.max_tokens,
            "temperature": 0,
            "seed": index,
        }
        out.write(json.dumps(body, separators=(",", ":")) + "\n")
