#!/usr/bin/env python3
"""Rated responses from AlpacaEval pairs, for the rated heads of issue 7 (BENCHMARKS.md).

Usage: alpacaeval_ratings.py PAIRS.jsonl OUT.jsonl

PAIRS.jsonl is a TRL-style file from `reward data split` of the AlpacaEval annotations (chosen
oriented to the majority side, `chosen_probability` the soft label). Every AlpacaEval pair sets
one model's output against the same reference output for its instruction, so a pair's soft label
is a rating of the other output: win_vs_reference = P(output ≻ reference). The reference of an
instruction is the response that occurs in most of its pairs; it gets win_vs_reference = 0.5
(against itself). Each record also gets verbosity = log2(1 + words), a length objective for
ArmoRM's decorrelation. The ratings carry the same judgements as the pairs, pointwise instead of
pairwise.
"""
import collections
import json
import math
import sys

source, target = sys.argv[1], sys.argv[2]
pairs = [json.loads(line) for line in open(source, encoding="utf-8")]
counts = collections.defaultdict(collections.Counter)
for pair in pairs:
    prompt = pair["prompt"][-1]["content"]
    for side in ("chosen", "rejected"):
        counts[prompt][pair[side][0]["content"]] += 1
reference = {prompt: counter.most_common(1)[0][0] for prompt, counter in counts.items()}


def record(prompt, response, win):
    words = len(response.split())
    return {"prompt": prompt, "response": response, "win_vs_reference": win,
            "verbosity": round(math.log2(1 + words), 6)}


written = skipped = 0
with open(target, "w", encoding="utf-8") as out:
    for prompt, text in reference.items():
        out.write(json.dumps(record(prompt, text, 0.5), ensure_ascii=False) + "\n")
        written += 1
    for pair in pairs:
        prompt = pair["prompt"][-1]["content"]
        chosen, rejected = pair["chosen"][0]["content"], pair["rejected"][0]["content"]
        p = pair.get("chosen_probability", 1.0)
        if chosen == reference[prompt] and rejected != reference[prompt]:
            out.write(json.dumps(record(prompt, rejected, round(1 - p, 6)), ensure_ascii=False) + "\n")
        elif rejected == reference[prompt] and chosen != reference[prompt]:
            out.write(json.dumps(record(prompt, chosen, round(p, 6)), ensure_ascii=False) + "\n")
        else:
            skipped += 1
            continue
        written += 1
print(f"{written} rated responses ({len(reference)} references); {skipped} pairs without a reference side",
      file=sys.stderr)
