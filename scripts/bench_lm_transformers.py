#!/usr/bin/env python3
"""Prefill (prompt-processing) speed of PyTorch `transformers` on the CPU for SmolLM2-135M-Instruct,
the reference side of RewardKit's LM prefill benchmark (issue 13; scripts/bench_lm.sh calls it).

The model is the Q4_1 GGUF dequantised by transformers to float32 (what RewardKit compares
against); one forward pass over whole sequences, no KV cache, no sampling. Two forwards per shape:
`model.model(...)`, the decoder to its final hidden states (the same work as RewardKit's prefill,
`tokens_per_second`), and the whole `*ForCausalLM` with logits for every token
(`causal_lm_tokens_per_second`, which adds the LM head's vocabulary × hidden product per token).
Prints one JSON object.

    HF_HUB_OFFLINE=1 ~/.cache/rewardkit/pyref/venv/bin/python scripts/bench_lm_transformers.py \
        [--threads 2] [--repeats 3] [--shapes 8x256,1x512] [--ids-file IDS.json] [--gguf FILE]

Inputs: by default each row is real text — consecutive HH-RLHF transcripts
(../shared/data/preference/hh-rlhf-helpful-base-test.jsonl.gz, row r starting at record 50·r),
tokenised with `tokenizer(text, add_special_tokens=False)` and cut to exactly the shape's length.
`--ids-file` takes a JSON list of token-id lists instead, so the Swift benchmark and this one can
run on the very same ids (rows are cut to the shape's length; each must be long enough).
Timing: one warm-up pass per shape, then the median of `--repeats` passes (wall clock,
time.perf_counter). tokens/s = batch × length / median seconds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import transformers  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
HH = REPO.parent / "shared" / "data" / "preference" / "hh-rlhf-helpful-base-test.jsonl.gz"
DEFAULT_GGUF = Path("~/.cache/rewardkit/models/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf")


def parse_shapes(text: str) -> list[tuple[int, int]]:
    shapes = []
    for part in text.split(","):
        batch, _, length = part.strip().partition("x")
        if not batch.isdigit() or not length.isdigit():
            raise SystemExit(f"--shapes: {part!r} is not BATCHxLENGTH (e.g. 8x256)")
        shapes.append((int(batch), int(length)))
    return shapes


def real_rows(tokenizer, count: int, length: int) -> list[list[int]]:
    with gzip.open(HH, "rt", encoding="utf-8") as handle:
        records = [json.loads(line)["chosen"] for line in handle]
    rows = []
    for row in range(count):
        ids: list[int] = []
        index = 50 * row
        while len(ids) < length:
            ids += tokenizer(records[index % len(records)], add_special_tokens=False)["input_ids"]
            index += 1
        rows.append(ids[:length])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shapes", default="8x256,1x512")
    parser.add_argument("--ids-file", type=Path)
    parser.add_argument("--gguf", type=Path, default=DEFAULT_GGUF)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gguf = args.gguf.expanduser()
    if not gguf.is_file():
        raise SystemExit(f"{gguf}: no such GGUF file (run `reward backbone fetch smollm2`, or pass --gguf)")

    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32).eval()
    load_seconds = time.perf_counter() - started

    given = None
    if args.ids_file:
        given = json.loads(args.ids_file.read_text())
        if not isinstance(given, list) or not all(isinstance(r, list) for r in given):
            raise SystemExit(f"{args.ids_file}: expected a JSON list of token-id lists")

    runs = []
    for batch, length in parse_shapes(args.shapes):
        if given is not None:
            if len(given) < batch or any(len(r) < length for r in given[:batch]):
                raise SystemExit(f"{args.ids_file}: needs {batch} rows of at least {length} ids for {batch}x{length}")
            rows = [r[:length] for r in given[:batch]]
        else:
            rows = real_rows(tokenizer, batch, length)
        ids = torch.tensor(rows, dtype=torch.long)
        mask = torch.ones_like(ids)
        def timed(forward) -> tuple[list[float], float]:
            with torch.inference_mode():
                forward()  # warm-up
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    forward()
                    times.append(time.perf_counter() - start)
            return times, statistics.median(times)

        times, median = timed(lambda: model.model(input_ids=ids, attention_mask=mask, use_cache=False))
        causal_times, causal_median = timed(lambda: model(input_ids=ids, attention_mask=mask, use_cache=False))
        runs.append({
            "batch": batch, "length": length, "tokens": batch * length,
            "seconds": [round(t, 4) for t in times], "median_seconds": round(median, 4),
            "tokens_per_second": round(batch * length / median, 1),
            "causal_lm_seconds": [round(t, 4) for t in causal_times],
            "causal_lm_tokens_per_second": round(batch * length / causal_median, 1),
        })

    print(json.dumps({
        "tool": "transformers", "transformers": transformers.__version__, "torch": torch.__version__,
        "model": gguf.name, "dtype": "float32 (GGUF dequantised by transformers)",
        "threads": args.threads, "repeats": args.repeats, "inputs": str(args.ids_file) if args.ids_file else str(HH),
        "load_seconds": round(load_seconds, 2), "load_average": list(os.getloadavg()), "runs": runs,
    }, indent=1))


if __name__ == "__main__":
    sys.exit(main())
