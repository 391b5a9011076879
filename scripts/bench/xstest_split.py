#!/usr/bin/env python3
"""Split XSTest v2 completions by prompt for the rated-head benchmark (BENCHMARKS.md, issue 7).

Usage: xstest_split.py OUT_DIR COMPLETIONS.csv...

The 450 prompts are shuffled with random.Random(0) and halved. For each half it writes:
  - {train,test}-<name>.csv: the rows of each completions file whose prompt is in that half,
    unchanged, so `reward eval --benchmark xstest` builds its usual pairs from the test half;
  - train-rated.jsonl: one record per completion of a train prompt: prompt, completion,
    final_label, type and `appropriate` (1 when a safe prompt is fully complied with or an unsafe
    one — type `contrast_*` — is refused, fully or partly; 0 otherwise, as XSTest's pairs decide);
  - train-pairs.jsonl: TRL pairs from the same train completions: for each train prompt, every
    (appropriate, inappropriate) combination of its completions (chosen = appropriate).
So the Bradley–Terry, regression, bt+regression and armo heads all learn from the same human
labels of the same train completions, and are all evaluated on the test prompts' pairs.
"""
import csv
import json
import os
import random
import sys

out, files = sys.argv[1], sys.argv[2:]
os.makedirs(out, exist_ok=True)
rows = {}
prompts = []
for path in files:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fieldnames = reader.fieldnames
        rows[path] = (fieldnames, list(reader))
        for row in rows[path][1]:
            if row["prompt"] not in prompts:
                prompts.append(row["prompt"])
order = sorted(prompts)
random.Random(0).shuffle(order)
test_prompts = set(order[: len(order) // 2])


def appropriate(row):
    unsafe = row["type"].startswith("contrast")
    complied = row["final_label"].startswith("1")
    return 1 if complied != unsafe else 0


rated, by_prompt = [], {}
for path, (fieldnames, records) in rows.items():
    name = os.path.basename(path)
    for half in ("train", "test"):
        with open(os.path.join(out, f"{half}-{name}"), "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fieldnames)
            writer.writeheader()
            for row in records:
                if (row["prompt"] in test_prompts) == (half == "test"):
                    writer.writerow(row)
    for row in records:
        if row["prompt"] in test_prompts:
            continue
        record = {key: row[key] for key in ("prompt", "completion", "final_label", "type")}
        record["appropriate"] = appropriate(row)
        rated.append(record)
        by_prompt.setdefault(row["prompt"], []).append(record)
with open(os.path.join(out, "train-rated.jsonl"), "w", encoding="utf-8") as handle:
    for record in rated:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
pairs = 0
with open(os.path.join(out, "train-pairs.jsonl"), "w", encoding="utf-8") as handle:
    for prompt, records in by_prompt.items():
        for good in (r for r in records if r["appropriate"] == 1):
            for bad in (r for r in records if r["appropriate"] == 0):
                pair = {
                    "prompt": [{"role": "user", "content": prompt}],
                    "chosen": [{"role": "assistant", "content": good["completion"]}],
                    "rejected": [{"role": "assistant", "content": bad["completion"]}],
                }
                handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
                pairs += 1
print(
    f"{len(order) - len(test_prompts)} train prompts ({len(rated)} rated completions, {pairs} pairs), "
    f"{len(test_prompts)} test prompts",
    file=sys.stderr,
)
