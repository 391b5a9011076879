#!/usr/bin/env python3
"""Request bodies for the step-reward serving benchmark (scripts/bench_prm_serve.sh), deterministic.

Items are ProcessBench solutions (model-written, multi-step): the problem as the prompt and the
steps joined by blank lines as the response. For each of four variants, DIR/<variant>/get_reward_<i>.json
holds --requests bodies of --per-request items (named as post_payloads.lua expects):

  v1-scalar   POST /v1/rewards with "step_rewards": false (the scalar only)
  v1-steps    POST /v1/rewards (step rewards, the default)
  or-scalar   POST /get_reward (OpenRLHF's shape)
  or-steps    POST /get_reward with "step_rewards": true
"""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="/work/shared/data/process/processbench-math.json")
parser.add_argument("--out", required=True)
parser.add_argument("--per-request", type=int, default=64)
parser.add_argument("--requests", type=int, default=8)
args = parser.parse_args()

rows = json.load(open(args.data, encoding="utf-8"))
items = []
for i in range(args.per_request * args.requests):
    row = rows[i % len(rows)]
    items.append({"prompt": row["problem"], "response": "\n\n".join(row["steps"])})

def write(variant, body_of):
    folder = os.path.join(args.out, variant)
    os.makedirs(folder, exist_ok=True)
    for r in range(args.requests):
        chunk = items[r * args.per_request:(r + 1) * args.per_request]
        with open(os.path.join(folder, f"get_reward_{r}.json"), "w", encoding="utf-8") as f:
            json.dump(body_of(chunk), f)

write("v1-scalar", lambda chunk: {"items": chunk, "step_rewards": False})
write("v1-steps", lambda chunk: {"items": chunk})
def openrlhf(chunk, steps):
    prompts = [item["prompt"] + "\n" for item in chunk]
    body = {"query": [p + item["response"] for p, item in zip(prompts, chunk)], "prompts": prompts}
    if steps:
        body["step_rewards"] = True
    return body
write("or-scalar", lambda chunk: openrlhf(chunk, False))
write("or-steps", lambda chunk: openrlhf(chunk, True))
steps = sum(len(rows[i % len(rows)]["steps"]) for i in range(len(items)))
print(f"{len(items)} items, {steps} steps ({steps / len(items):.1f} per item), {args.per_request} per request")
