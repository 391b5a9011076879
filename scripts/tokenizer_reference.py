#!/usr/bin/env python3
"""Reference token ids for the byte-level BPE tests (issue 13), made with Hugging Face `tokenizers`.

Writes into Tests/RewardLMTests/Fixtures/tokenizer/:
  smollm2-4k-tokenizer.json  SmolLM2-135M-Instruct's tokenizer cut to its first 4,000 merges (ids
                             renumbered), as `transformers` builds it from the GGUF: a real, small
                             byte-level vocabulary the tests can carry.
  bpe-cases.json             texts (real ones from ../shared/data plus edge cases) and, per
                             variant of that tokenizer (each replaces some top-level keys or model
                             keys: pre-tokenizers GPT-2 / SmolLM2 digits / Llama 3 / Qwen2 splits,
                             prefix space, NFC, merges as strings, ignore_merges, BOS template,
                             added-token flags), the ids with and without special tokens.
  smollm2-gguf-ids.json      ids of the same texts with the full SmolLM2 vocabulary from the GGUF
                             and SmolLM2's own pre-tokenizer (digits one by one, then GPT-2: the
                             hub tokenizer.json and llama.cpp's "smollm"), plus how many texts
                             `transformers`' GGUF loader (plain ByteLevel) tokenizes differently,
                             and two conversations through SmolLM2's chat template with their ids.

Run with the reference venv:  ~/.cache/rewardkit/pyref/venv/bin/python scripts/tokenizer_reference.py
(needs transformers, tokenizers, gguf; ../shared/data; the SmolLM2 GGUF from `reward backbone fetch smollm2`).
"""

import copy
import csv
import gzip
import json
import os
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer
from transformers import AutoTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
OUT = os.path.join(ROOT, "Tests", "RewardLMTests", "Fixtures", "tokenizer")
GGUF_DIR = os.path.expanduser("~/.cache/rewardkit/models/smollm2-135m-instruct-q4_1-0.1.2")
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MERGES = 4000

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def byte_level(prefix=False, regex=True):
    return {"type": "ByteLevel", "add_prefix_space": prefix, "trim_offsets": True, "use_regex": regex}


def split(pattern):
    return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}


SMOLLM_PRE = {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, byte_level()]}


def real_texts():
    texts = []
    with gzip.open(os.path.join(DATA, "preference", "hh-rlhf-helpful-base-test.jsonl.gz"), "rt") as f:
        for i, line in enumerate(f):
            if i % 200 == 0:
                texts.append(json.loads(line)["chosen"][:1500])
    with gzip.open(os.path.join(DATA, "preference", "alpacaeval-gpt4turbo-annotations-a.jsonl.gz"), "rt") as f:
        for i, line in enumerate(f):
            if i % 3000 == 0:
                r = json.loads(line)
                texts.append(r["instruction"][:800])
                texts.append(r["output_1"][:1500])
    with open(os.path.join(DATA, "math", "gsm8k-test.jsonl")) as f:
        for i, line in enumerate(f):
            if i % 250 == 0:
                r = json.loads(line)
                texts.append(r["question"] + "\n" + r["answer"])
    with open(os.path.join(DATA, "math", "math500.jsonl")) as f:
        for i, line in enumerate(f):
            if i % 100 == 0:
                r = json.loads(line)
                texts.append(r["problem"] + "\n\n" + r["solution"][:1200])
    with open(os.path.join(DATA, "safety", "xstest-prompts.csv")) as f:
        for i, r in enumerate(csv.DictReader(f)):
            if i % 75 == 0:
                texts.append(r["prompt"])
    with open(os.path.join(DATA, "judge", "mt-bench-questions.jsonl")) as f:
        for i, line in enumerate(f):
            if i % 20 == 0:
                texts.extend(json.loads(line)["turns"])
    with open(os.path.join(DATA, "tools", "bfcl-v4-simple_python.jsonl")) as f:
        texts.append(f.readline()[:1500])
    return texts


EDGE_CASES = [
    "",
    " ",
    "Hello world",
    " Hello  world ",
    "   leading and trailing   ",
    "tabs\tand\u000bvertical\u000cfeeds\t\t end",
    "line\nbreaks\n\n\nand \n \n  spaces\r\nCRLF\r\n",
    "I'm, you're, he's, we've, they'll, I'd, don't, CAN'T, I'M, 'sure', ''s",
    "In 2024, 1,234,567.89 people paid $3.50 (12% off) at 10:45pm on 2024-11-30.",
    "x=12345678901234567890; y=0.000001; z=-42",
    "Ünïcödé naïve café résumé Ærøskøbing — “quotes” ‘single’ … ellipsis",
    "日本語のテキストと中文文本，以及한국어 텍스트。",
    "Emoji: 👋🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ✅",
    "Math: ∑_{i=1}^{n} x_i² ≤ √(a·b) ∞ ≠ π ½ ¾ ٣٤٥ ۱۲",
    "Spaces:\u00a0nbsp\u2003em\u3000ideographic\u200bzero-width\u0085nel x\u00a0\u00a0y",
    "Combining: e\u0301 vs \u00e9, A\u030a vs \u00c5, \u1e9b\u0323",
    "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
    "special <|endoftext|>inside text<|im_end|>and<|im_start|> around",
    "think: <think> reasoning </think> answer <think>x",
    "code:\n```python\ndef f(x):\n    return x ** 2  # square\n```\n",
    '{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}',
    "URL https://example.com/path?q=a+b&x=1#frag and email a.b@c.org",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "!!!???...,,,;;;:::---___===+++***&&&%%%$$$###@@@",
    "ǅemo Ǉ ǈ ǉ titlecase, ʰmodifier, ⅷ roman, ⑦ circled",
    "control bytes without tokens: a\x04b \x06\x13 c\x1d",
]


def cut_tokenizer(full):
    """The first MERGES merges and the tokens they need (with the added tokens)."""
    model = full["model"]
    merges = model["merges"][:MERGES]
    keep = set()
    for token in model["vocab"]:
        if len(token) == 1:
            keep.add(token)
    for a, b in merges:
        keep.update((a, b, a + b))
    keep.update(token["content"] for token in full["added_tokens"])
    small = copy.deepcopy(full)
    # Renumbered densely in the original order: `tokenizers` gives added tokens outside the model's
    # vocabulary the ids after its size, which must not collide with kept ids.
    kept = sorted((i, t) for t, i in model["vocab"].items() if t in keep)
    renumber = {old: new for new, (old, _) in enumerate(kept)}
    small["model"]["vocab"] = {t: renumber[i] for i, t in kept}
    for token in small["added_tokens"]:
        token["id"] = renumber[token["id"]]
    small["model"]["merges"] = merges
    return small


def variants(base):
    """(name, tokenizer.json dict, the overrides the Swift test applies to the base)."""
    out = []

    def make(name, top=None, model=None):
        top = top or {}
        model = model or {}
        t = copy.deepcopy(base)
        t.update(copy.deepcopy(top))
        t["model"].update(copy.deepcopy(model))
        if model.get("merges") == "as strings":  # the Swift test rewrites the base's pairs the same way
            t["model"]["merges"] = [f"{a} {b}" for a, b in base["model"]["merges"]]
        out.append((name, t, {"top": top, "model": model}))

    make("transformers-gguf")
    make("smollm2-digits", {"pre_tokenizer": SMOLLM_PRE})
    make(
        "llama3-split-bos",
        {
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [split(LLAMA3), byte_level(regex=False)]},
            "post_processor": {
                "type": "Sequence",
                "processors": [
                    byte_level(),
                    {
                        "type": "TemplateProcessing",
                        "single": [
                            {"SpecialToken": {"id": "<|im_start|>", "type_id": 0}},
                            {"Sequence": {"id": "A", "type_id": 0}},
                        ],
                        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                        "special_tokens": {
                            "<|im_start|>": {"id": "<|im_start|>", "ids": [1], "tokens": ["<|im_start|>"]}
                        },
                    },
                ],
            },
        },
    )
    make(
        "qwen2-split-nfc",
        {
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [split(QWEN2), byte_level(regex=False)]},
        },
    )
    make(
        "gpt2-split-eos",
        {
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [split(GPT2), byte_level(regex=False)]},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [0], "tokens": ["<|endoftext|>"]}},
            },
        },
    )
    make(
        "prefix-space-string-merges-ignore-merges",
        {"pre_tokenizer": byte_level(prefix=True)},
        {"merges": "as strings", "ignore_merges": True},
    )
    added = copy.deepcopy(base["added_tokens"])
    next_id = max(base["model"]["vocab"].values()) + 1
    for content, flags in [
        ("<think>", {"special": False}),
        ("</think>", {"special": False, "lstrip": True, "rstrip": True}),
        ("answer", {"special": False, "single_word": True}),
    ]:
        token = {"id": next_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True}
        token.update(flags)
        added.append(token)
        next_id += 1
    added[2] = dict(added[2], lstrip=True)  # <|im_end|> takes the spaces before it
    make("added-token-flags", {"added_tokens": added})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    texts = real_texts() + EDGE_CASES
    hf = AutoTokenizer.from_pretrained(GGUF_DIR, gguf_file=GGUF_FILE)
    full = json.loads(hf.backend_tokenizer.to_str())
    small = cut_tokenizer(full)
    with open(os.path.join(OUT, "smollm2-4k-tokenizer.json"), "w") as f:
        json.dump(small, f, ensure_ascii=False, separators=(",", ":"))
    cases = {
        "about": "Hugging Face tokenizers %s (transformers %s) on smollm2-4k-tokenizer.json with each variant's "
        "overrides; made by scripts/tokenizer_reference.py" % (tokenizers.__version__, transformers.__version__),
        "texts": texts,
        "variants": [],
    }
    for name, tokenizer_json, overrides in variants(small):
        tok = Tokenizer.from_str(json.dumps(tokenizer_json))
        plain = [tok.encode(t, add_special_tokens=False).ids for t in texts]
        special = [tok.encode(t, add_special_tokens=True).ids for t in texts]
        decoded = [tok.decode(ids, skip_special_tokens=False) for ids in plain]
        # Only where they differ from `ids` / the text, to keep the file small.
        cases["variants"].append(
            {
                "name": name,
                "overrides": overrides,
                "ids": plain,
                "ids_with_special_tokens": [s if s != p else None for s, p in zip(special, plain)],
                "decoded": [d if d != t else None for d, t in zip(decoded, texts)],
            }
        )
    with open(os.path.join(OUT, "bpe-cases.json"), "w") as f:
        json.dump(cases, f, ensure_ascii=False, separators=(",", ":"))

    hub = copy.deepcopy(full)
    hub["pre_tokenizer"] = SMOLLM_PRE
    hub_tok = Tokenizer.from_str(json.dumps(hub))
    gguf_ids = [hub_tok.encode(t, add_special_tokens=False).ids for t in texts]
    transformers_ids = [hf(t, add_special_tokens=False)["input_ids"] for t in texts]
    differing = sum(a != b for a, b in zip(gguf_ids, transformers_ids))
    # End to end: SmolLM2's own chat template (from the GGUF) rendered by transformers, then
    # tokenized with special tokens matched, as `apply_chat_template(tokenize=True)` does.
    chats = [
        [{"role": "user", "content": texts[0][:300]}],
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": texts[20][:300]},
         {"role": "assistant", "content": texts[21][:300]}, {"role": "user", "content": "And 2 more?"}],
    ]
    chat_cases = []
    for chat in chats:
        prompt = hf.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        chat_cases.append({"messages": chat, "prompt": prompt, "ids": hub_tok.encode(prompt, add_special_tokens=False).ids})
    with open(os.path.join(OUT, "smollm2-gguf-ids.json"), "w") as f:
        json.dump(
            {
                "about": "SmolLM2-135M-Instruct GGUF vocabulary with SmolLM2's pre-tokenizer (Digits individual + "
                "ByteLevel), tokenizers %s. transformers %s's GGUF loader uses plain ByteLevel for 'smollm' and "
                "differs on %d of these %d texts (whitespace before a digit)." % (
                    tokenizers.__version__, transformers.__version__, differing, len(texts)),
                "texts": texts,
                "ids": gguf_ids,
                "vocab_size": len(hub_tok.get_vocab()),
                "chats": chat_cases,
            },
            f,
            ensure_ascii=False,
            separators=(",", ":"),
        )
    print("texts", len(texts), "variants", len(cases["variants"]), "transformers-gguf differs on", differing,
          file=sys.stderr)


if __name__ == "__main__":
    main()
