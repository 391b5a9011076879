#!/usr/bin/env python3
"""The fixed encoder benchmark corpus: real responses from ../shared/data, one JSON string a line.
1,000 final assistant turns of HH-RLHF helpful-base test (chosen transcripts, file order) and
805 AlpacaEval outputs (output_1 for each of its 805 distinct instructions, first seen in file
order): short chat answers and long instruction-following answers (many over 256 tokens, so
truncation runs). 1,805 texts in all."""
import gzip
import json
import sys

data, out = sys.argv[1], sys.argv[2]
texts = []
with gzip.open(f"{data}/preference/hh-rlhf-helpful-base-test.jsonl.gz", "rt") as f:
    for line in f:
        chosen = json.loads(line)["chosen"]
        texts.append(chosen[chosen.rfind("\n\nAssistant:") + len("\n\nAssistant:"):].strip())
        if len(texts) == 1000:
            break
seen = set()
with gzip.open(f"{data}/preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz", "rt") as f:
    for line in f:
        record = json.loads(line)
        if record["instruction"] in seen:
            continue
        seen.add(record["instruction"])
        texts.append(record["output_1"])
with open(out, "w") as f:
    for text in texts:
        f.write(json.dumps(text) + "\n")
