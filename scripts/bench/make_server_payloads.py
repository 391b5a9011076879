#!/usr/bin/env python3
"""Request bodies for the reward-server benchmark, from MATH-500 (deterministic).

Each item is an OpenRLHF-style rollout: a chat-templated prompt, then a response that is the
reference solution (its final answer in \\boxed{}), with a <think> block on half of them and a wrong
final answer on a third, so both rule components see both outcomes.

Writes DIR/get_reward_<i>.json (OpenRLHF /get_reward bodies of --per-request items each) and
DIR/items.jsonl (the same items, one per line, for offline `reward score`).
"""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="/work/shared/data/math/math500.jsonl")
parser.add_argument("--out", required=True)
parser.add_argument("--per-request", type=int, default=64)
parser.add_argument("--requests", type=int, default=8)
parser.add_argument("--offset", type=int, default=0, help="first MATH-500 row (distinct item sets)")
parser.add_argument("--tag", default="",
                    help="append '(TAG rollout i)' to each response: every item distinct, as RL rollouts are "
                         "(so a model's embedding cache cannot answer a repeated text)")
args = parser.parse_args()

rows = [json.loads(line) for line in open(args.data, encoding="utf-8")]
os.makedirs(args.out, exist_ok=True)
items = []
for i in range(args.per_request * args.requests):
    row = rows[(args.offset + i) % len(rows)]
    prompt = f"<|im_start|>user\n{row['problem']}<|im_end|>\n<|im_start|>assistant\n"
    answer = row["answer"] if i % 3 else row["answer"] + "1"
    body = row["solution"].rsplit("\\boxed", 1)[0] + f"The answer is \\boxed{{{answer}}}."
    response = f"<think>{row['problem'][:80]}</think>{body}" if i % 2 else body
    if args.tag:
        response += f"\n({args.tag} rollout {i})"
    items.append({"prompt": prompt, "response": response, "reference": row["answer"]})

for r in range(args.requests):
    chunk = items[r * args.per_request:(r + 1) * args.per_request]
    payload = {
        "query": [it["prompt"] + it["response"] for it in chunk],
        "prompts": [it["prompt"] for it in chunk],
        "labels": [it["reference"] for it in chunk],
    }
    with open(os.path.join(args.out, f"get_reward_{r}.json"), "w", encoding="utf-8") as f:
        json.dump(payload, f)
with open(os.path.join(args.out, "items.jsonl"), "w", encoding="utf-8") as f:
    for it in items:
        f.write(json.dumps(it) + "\n")
print(f"{len(items)} items in {args.requests} requests of {args.per_request} -> {args.out}")
