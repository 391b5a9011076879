#!/usr/bin/env python3
"""Independent recomputation of JudgeBench's score on the stored Arena-Hard judgements (for
BENCHMARKS.md, "LLM judges (issue 11)"): the stored decisions, and the replies re-read with a plain
regex under the first / last / unanimous (strict) policies. Standard library only."""
import json
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else (
    "../shared/data/judge/judgebench-claude-3-5-sonnet-judged-arena-hard-claude-3-haiku.jsonl")
rows = [json.loads(line) for line in open(path, encoding="utf-8")]
label_pattern = re.compile(r"\[\[([AB<>=]+)\]\]")
three_way = {"A>>B": "A>B", "A>B": "A>B", "A=B": "A=B", "B>A": "B>A", "B>>A": "B>A"}


def flip(decision):
    return {"A>B": "B>A", "B>A": "A>B"}.get(decision, decision)


def read(reply, policy):
    labels = label_pattern.findall(reply)
    if not labels:
        return None
    if policy == "strict":
        return three_way.get(labels[0]) if len(set(labels)) == 1 else None
    return three_way.get(labels[0] if policy == "first" else labels[-1])


def score(decide):
    correct = 0
    for row in rows:
        total = 0
        for trial, judgment in enumerate(row["judgments"]):
            decision = decide(judgment)
            if trial == 1:  # the second trial showed the responses swapped
                decision = flip(decision)
            total += 1 if decision == row["label"] else -1 if decision == flip(row["label"]) else 0
        correct += total > 0
    return correct


print(f"stored decisions: {score(lambda j: j['decision'])}/{len(rows)}")
for policy in ("strict", "last", "first"):
    differ = sum(read(j["judgment"]["response"], policy) != j["decision"] for r in rows for j in r["judgments"])
    print(f"{policy}: {score(lambda j: read(j['judgment']['response'], policy))}/{len(rows)}, "
          f"{differ} trials differ from the stored decision")
