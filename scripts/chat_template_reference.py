#!/usr/bin/env python3
"""Reference renderings of real chat templates (issue 13), made with transformers' own Jinja setup.

Reads the templates in Tests/RewardLMTests/Fixtures/templates/*.jinja (see README.md there for
their sources; smollm2.jinja is written here from the SmolLM2 GGUF's tokenizer.chat_template) and
writes Tests/RewardLMTests/Fixtures/templates/cases.json: for each template, conversations from
../shared/data (HH-RLHF transcripts split into turns, MT-Bench questions with GPT-4 reference
answers, BFCL tool schemas, a tool-call round trip) with and without a system turn and the generation prompt, rendered by
`transformers.utils.chat_template_utils.render_jinja_template` (what `apply_chat_template(...,
tokenize=False)` calls), or the error the template raises.

Run with the reference venv: ~/.cache/rewardkit/pyref/venv/bin/python scripts/chat_template_reference.py
"""

import gzip
import json
import os
import re

import jinja2
import transformers
from transformers.utils.chat_template_utils import render_jinja_template

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")
TEMPLATES = os.path.join(ROOT, "Tests", "RewardLMTests", "Fixtures", "templates")
GGUF = os.path.expanduser(
    "~/.cache/rewardkit/models/smollm2-135m-instruct-q4_1-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"
)

# (bos_token, eos_token) as each model's tokenizer_config.json gives them.
SPECIAL = {
    "smollm2": ("<|im_start|>", "<|im_end|>"),
    "llama-3": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-3-reformatted": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.1": ("<|begin_of_text|>", "<|eot_id|>"),
    "qwen2.5-instruct": (None, "<|im_end|>"),
    "qwen3": (None, "<|im_end|>"),
    "gemma-2": ("<bos>", "<eos>"),
    "phi-3.5": ("<s>", "<|endoftext|>"),
    "mistral-nemo": ("<s>", "</s>"),
    "zephyr": ("<s>", "</s>"),
    "zephyr-reformatted": ("<s>", "</s>"),
    "hermes-3-tool-use": ("<|begin_of_text|>", "<|im_end|>"),
    "deepseek-r1-distill-qwen": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
}
NO_SYSTEM = {"gemma-2"}
TOOLS = {"llama-3.1", "qwen2.5-instruct", "qwen3", "mistral-nemo", "hermes-3-tool-use"}
# A tool round trip: the call (arguments as a dict, or the JSON string DeepSeek's template needs),
# the tool's answer and the final reply.
TOOL_CALL_TEMPLATES = {"qwen2.5-instruct", "qwen3", "hermes-3-tool-use", "deepseek-r1-distill-qwen"}


def tool_round_trip(arguments_as_string):
    arguments = {"base": 10, "height": 5}
    return [
        {"role": "user", "content": "What is the area of a triangle with base 10 and height 5?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "type": "function",
                    "function": {
                        "name": "calculate_triangle_area",
                        "arguments": json.dumps(arguments) if arguments_as_string else arguments,
                    },
                }
            ],
        },
        {"role": "tool", "content": "25"},
        {"role": "assistant", "content": "<think>\nbase * height / 2\n</think>\n\nThe area is 25."},
    ]


def hh_conversations(count):
    out = []
    with gzip.open(os.path.join(DATA, "preference", "hh-rlhf-helpful-base-test.jsonl.gz"), "rt") as f:
        for i, line in enumerate(f):
            if i % 97 != 0:
                continue
            text = json.loads(line)["chosen"]
            parts = re.split(r"\n\n(Human|Assistant): ", text)
            turns = []
            for role, content in zip(parts[1::2], parts[2::2]):
                turns.append({"role": "user" if role == "Human" else "assistant", "content": content})
            # Alternating, starting with the user (some templates insist).
            if turns and all(t["role"] == ("user" if k % 2 == 0 else "assistant") for k, t in enumerate(turns)):
                out.append(turns)
            if len(out) == count:
                break
    return out


def mt_bench_conversations():
    answers = {}
    with open(os.path.join(DATA, "judge", "mt-bench-reference-answers-gpt-4.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            answers[r["question_id"]] = r["choices"][0]["turns"]
    out = []
    with open(os.path.join(DATA, "judge", "mt-bench-questions.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r["question_id"] in answers and len(out) < 2:
                a = answers[r["question_id"]]
                out.append(
                    [
                        {"role": "user", "content": r["turns"][0]},
                        {"role": "assistant", "content": a[0]},
                        {"role": "user", "content": r["turns"][1]},
                    ]
                )
    return out


def bfcl_tools():
    with open(os.path.join(DATA, "tools", "bfcl-v4-simple_python.jsonl")) as f:
        record = json.loads(f.readline())
    return [{"type": "function", "function": fn} for fn in record["function"]]


EDGE = [
    [{"role": "user", "content": "  Spaces around, trailing newline\n\n"}, {"role": "assistant", "content": "\nOK. "}],
    [{"role": "user", "content": "Ünïcödé — “quotes” 日本語 👋🏽 and {{ braces }} {% not a tag %}"}],
]


def main():
    from gguf import GGUFReader

    reader = GGUFReader(GGUF)
    field = reader.fields["tokenizer.chat_template"]
    smollm = bytes(field.parts[field.data[0]]).decode("utf-8")
    with open(os.path.join(TEMPLATES, "smollm2.jinja"), "w") as f:
        f.write(smollm)

    system = {"role": "system", "content": "You are a careful assistant. Answer briefly."}
    base = hh_conversations(3) + mt_bench_conversations() + EDGE
    tools = bfcl_tools()
    cases = []
    for name in sorted(SPECIAL):
        with open(os.path.join(TEMPLATES, name + ".jinja")) as f:
            source = f.read()
        bos, eos = SPECIAL[name]
        variants = []
        for conversation in base:
            for generation in (True, False):
                variants.append((conversation, generation, {}))
            if name not in NO_SYSTEM:
                variants.append(([system] + conversation, True, {}))
        if name in NO_SYSTEM:
            variants.append(([system] + base[0], True, {}))  # the template refuses a system turn
        if name == "qwen3":
            think = base[0][:1] + [{"role": "assistant", "content": "<think>\nLet me think.\n</think>\n\nHere it is."}]
            variants.append((think + [{"role": "user", "content": "And then?"}], True, {"enable_thinking": False}))
            variants.append((think, False, {}))
        if name in TOOLS:
            variants.append((base[0][:1], True, {"tools": tools}))
        if name in TOOL_CALL_TEMPLATES:
            as_string = name == "deepseek-r1-distill-qwen"
            extra = {} if as_string else {"tools": tools}
            variants.append((tool_round_trip(as_string), False, extra))
            variants.append((tool_round_trip(as_string)[:3], True, extra))
        if name.startswith("zephyr-reformatted") or name == "llama-3-reformatted":
            variants.append((base[0][:1] + base[0][:1], True, {}))  # not alternating: refused
        for messages, generation, extra in variants:
            if name == "hermes-3-tool-use":  # its system turn lists the tools: it needs some
                extra = dict(extra, tools=tools)
            kwargs = dict(extra)
            tools_arg = kwargs.pop("tools", None)
            case = {
                "template": name,
                "bos_token": bos,
                "eos_token": eos,
                "messages": messages,
                "add_generation_prompt": generation,
                "extra": extra,
            }
            try:
                rendered, _ = render_jinja_template(
                    conversations=[messages],
                    tools=tools_arg,
                    chat_template=source,
                    add_generation_prompt=generation,
                    bos_token=bos,
                    eos_token=eos,
                    **kwargs,
                )
                case["text"] = rendered[0]
            except jinja2.exceptions.TemplateError as error:
                case["error"] = str(error)
            cases.append(case)
    with open(os.path.join(TEMPLATES, "cases.json"), "w") as f:
        json.dump(
            {
                "about": "transformers %s (jinja2 %s) render_jinja_template; made by scripts/chat_template_reference.py"
                % (transformers.__version__, jinja2.__version__),
                "cases": cases,
            },
            f,
            ensure_ascii=False,
            indent=1,
        )
    print(len(cases), "cases,", sum("error" in c for c in cases), "errors")


if __name__ == "__main__":
    main()
