#!/usr/bin/env python3
"""Hugging Face `tokenizers` side of scripts/bench_tokenizer.sh.

  hf_tokenize.py TOKENIZER.json TEXTS.jsonl [SWIFT_IDS.jsonl]

Encodes every text without special tokens: one thread (`encode` in a loop, best of 3 passes) and
`encode_batch` (Rust threads, all cores). With SWIFT_IDS it counts texts whose ids differ.
"""

import json
import os
import sys
import time

import tokenizers
from tokenizers import Tokenizer


def main():
    tokenizer = Tokenizer.from_file(sys.argv[1])
    texts = [json.loads(line)["text"] for line in open(sys.argv[2], encoding="utf-8")]
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        ids = [tokenizer.encode(t, add_special_tokens=False).ids for t in texts]
        best = min(best, time.perf_counter() - start)
    count = sum(len(i) for i in ids)
    print(
        "HF tokenizers %s encode: %d texts, %d tokens, %.1f MB in %.3f s: %.0f tokens/s, %.2f MB/s (1 thread, best of 3)"
        % (tokenizers.__version__, len(texts), count, size, best, count / best, size / best)
    )
    best_batch = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        tokenizer.encode_batch(texts, add_special_tokens=False)
        best_batch = min(best_batch, time.perf_counter() - start)
    print(
        "HF tokenizers encode_batch: %.3f s: %.0f tokens/s (%d cores, best of 3)"
        % (best_batch, count / best_batch, os.cpu_count())
    )
    if len(sys.argv) > 3:
        swift = [json.loads(line) for line in open(sys.argv[3])]
        differing = sum(a != b for a, b in zip(ids, swift)) + abs(len(ids) - len(swift))
        print("ids identical on %d of %d texts" % (len(texts) - differing, len(texts)))


if __name__ == "__main__":
    main()
