#!/usr/bin/env python3
"""The peer for the reward-server benchmark: a minimal FastAPI/uvicorn server with OpenRLHF's
/get_reward shape, scoring the same rule spec as scripts/bench/math_format.yaml with Math-Verify:
math (weight 1: 1 when the response's answer verifies against the label) + think_format (weight 0.5:
1 when the response contains <think>...</think>).

  pip install fastapi uvicorn math-verify
  uvicorn --app-dir scripts/bench peer_math_verify_server:app --port 8001 --workers 2 --log-level warning
"""
import re

from fastapi import FastAPI, Request
from math_verify import parse, verify

app = FastAPI()
THINK = re.compile(r"<think>[\s\S]*</think>")


def math_score(response: str, label: str) -> float:
    gold = parse("\\boxed{" + label + "}")
    answer = parse(response)
    return 1.0 if gold and answer and verify(gold, answer) else 0.0


@app.post("/get_reward")
async def get_reward(request: Request):
    data = await request.json()
    queries = data["query"]
    prompts = data.get("prompts") or [""] * len(queries)
    labels = data.get("labels") or [None] * len(queries)
    rewards, maths, formats = [], [], []
    for query, prompt, label in zip(queries, prompts, labels):
        response = query[len(prompt):] if query.startswith(prompt) else query
        m = math_score(response, label) if label is not None else 0.0
        f = 1.0 if THINK.search(response) else 0.0
        rewards.append(1.0 * m + 0.5 * f)
        maths.append(m)
        formats.append(f)
    return {"rewards": rewards, "scores": rewards, "extra_logs": {"math": maths, "think_format": formats}}
