#!/usr/bin/env python3
"""reward-bench's own DPO code on SmolLM2, for `text_rule: reward-bench` of `kind: implicit_reward`.

Writes Tests/RewardLMTests/Fixtures/dpo/reward_bench_rule.json: for the 19 real pairs of
dpo/pairs.json (prompt, chosen, rejected), the token ids and the reference-free rewards (`sum`,
`avg`, `norm`) that reward-bench computes. Unlike lm_reference.py's `dpo` step, which re-implements
the rules, this script *runs* reward-bench's functions, loaded at run time from its PyPI wheel:

    rewardbench/utils.py  prepare_dialogue_from_tokenizer   (the texts)
    rewardbench/dpo.py    DPOInference.tokenize_row, build_tokenized_answer,
                          concatenated_inputs, get_batch_logps (ids, truncation, scores)

and does what rewardbench.py does around them (pad = EOS, BOS = EOS when there is none, right
padding with label -100, chosen and rejected in one batch). The logits come from transformers on
the GGUF (lm_reference.py's loader). Nothing from the wheel is copied into the repository.

Each pair is tokenised twice: as a pair (reward-bench's truncation uses the longer response of the
two) and each response alone (the pair (r, r): truncation by its own length), which is what a
`RewardModel` that scores candidates independently can reproduce; the two differ only for a pair
whose prompt plus longer response passes 2,048 tokens.

Rerun (from the repository root; about 3 minutes on 2 busy cores):
    pip download rewardbench==0.1.4 --no-deps -d /tmp/rb
    HF_HUB_OFFLINE=1 ~/.cache/rewardkit/pyref/venv/bin/python scripts/reward_bench_reference.py \
        /tmp/rb/rewardbench-0.1.4-py3-none-any.whl
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lm_reference as ref  # noqa: E402
import torch  # noqa: E402


def load_reward_bench(wheel: Path):
    """reward-bench's DPOInference (dpo.py imports only numpy and torch) and
    prepare_dialogue_from_tokenizer (utils.py imports datasets, fastchat, …: the one function is
    taken out of the source with `ast` and defined on its own)."""
    folder = Path(tempfile.mkdtemp(prefix="rewardbench-"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extract("rewardbench/dpo.py", folder)
        utils_source = archive.read("rewardbench/utils.py").decode("utf-8")
        version = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        version = next(line.split(": ", 1)[1] for line in archive.read(version).decode().splitlines()
                       if line.startswith("Version: "))
    spec = importlib.util.spec_from_file_location("rewardbench_dpo", folder / "rewardbench" / "dpo.py")
    dpo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dpo)
    tree = ast.parse(utils_source)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef)
                    and n.name == "prepare_dialogue_from_tokenizer")
    namespace: dict = {"Dict": Dict, "Any": Any, "PreTrainedTokenizer": object}
    exec(compile(ast.Module(body=[function], type_ignores=[]), "rewardbench/utils.py", "exec"), namespace)
    return dpo, namespace["prepare_dialogue_from_tokenizer"], version


class CPU:
    device = torch.device("cpu")


def pad(rows: list[list[int]], value: int) -> torch.Tensor:
    """DPODataCollatorWithPadding for a decoder: right padding."""
    width = max(len(r) for r in rows)
    return torch.tensor([r + [value] * (width - len(r)) for r in rows])


def score(dpo_module, model, tok, batch: dict) -> dict:
    """chosen and rejected through reward-bench's concatenated_forward, once per ref-free mode."""
    tensors = {}
    for side in ("chosen", "rejected"):
        tensors[f"{side}_input_ids"] = pad([batch[f"{side}_input_ids"]], tok.pad_token_id)
        tensors[f"{side}_attention_mask"] = pad([batch[f"{side}_attention_mask"]], 0)
        tensors[f"{side}_labels"] = pad([batch[f"{side}_labels"]], -100)
    out = {}
    for mode in ("sum", "avg", "norm"):
        inference = dpo_module.DPOInference(model, None, tok, CPU(), ref_free_norm=mode)
        with torch.no_grad():
            chosen, rejected = inference.inference_step(tensors, ref_free=True)
        out[mode] = (float(chosen[0]), float(rejected[0]))
    return out


def tokenized(dpo_module, model, tok, prompt_text: str, chosen_text: str, rejected_text: str) -> dict:
    inference = dpo_module.DPOInference(model, None, tok, CPU(), ref_free_norm="sum")
    return inference.tokenize_row({"prompt": prompt_text, "text_chosen": chosen_text, "text_rejected": rejected_text})


def side_record(batch: dict, side: str, scores: dict, index: int) -> dict:
    labels = batch[f"{side}_labels"]
    prompt_length = next(i for i, label in enumerate(labels) if label != -100)
    return {
        "input_ids": batch[f"{side}_input_ids"],
        "prompt_length": prompt_length,
        "sum": ref.f32(scores["sum"][index]),
        "avg": ref.f32(scores["avg"][index]),
        "norm": ref.f32(scores["norm"][index]),
    }


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit(__doc__)
    dpo_module, prepare_dialogue, version = load_reward_bench(Path(argv[0]))
    tok, model = ref.smol_tokenizer(), ref.smol_model()
    # rewardbench.py: pad = EOS; a tokenizer without BOS uses EOS as BOS.
    tok.pad_token = tok.eos_token
    if tok.bos_token is None:
        tok.bos_token_id = tok.eos_token_id
    source = json.loads((ref.FIXTURES / "dpo" / "pairs.json").read_text(encoding="utf-8"))
    results = []
    for pair in source["pairs"]:
        example = prepare_dialogue({"prompt": pair["prompt"], "chosen": pair["chosen"], "rejected": pair["rejected"]},
                                   tok)
        batch = tokenized(dpo_module, model, tok, example["prompt"], example["text_chosen"], example["text_rejected"])
        scores = score(dpo_module, model, tok, batch)
        entry = {
            "id": pair["id"], "prompt": pair["prompt"], "chosen": pair["chosen"], "rejected": pair["rejected"],
            "prompt_text": example["prompt"],
            "pair": {"chosen": side_record(batch, "chosen", scores, 0),
                     "rejected": side_record(batch, "rejected", scores, 1)},
        }
        # Each response alone: the pair (r, r), so the truncation uses r's own length.
        alone = {}
        for side, text in (("chosen", example["text_chosen"]), ("rejected", example["text_rejected"])):
            single = tokenized(dpo_module, model, tok, example["prompt"], text, text)
            if single["chosen_input_ids"] == batch[f"{side}_input_ids"] and \
                    single["chosen_labels"] == batch[f"{side}_labels"]:
                alone[side] = entry["pair"][side]
            else:
                alone_scores = score(dpo_module, model, tok, single)
                alone[side] = side_record(single, "chosen", alone_scores, 0)
        entry["alone"] = alone
        entry["pair_truncation_differs"] = any(alone[s] is not entry["pair"][s] for s in alone)
        results.append(entry)
        lengths = "/".join(str(len(entry["pair"][s]["input_ids"])) for s in ("chosen", "rejected"))
        print(f"  {pair['id']}: {lengths} tokens{' (pair truncation)' if entry['pair_truncation_differs'] else ''}")

    def accuracy(view: str, mode: str) -> float:
        return sum(1 for e in results if e[view]["chosen"][mode] > e[view]["rejected"][mode]) / len(results)

    summary = {"pairs": len(results)}
    for view in ("pair", "alone"):
        for mode in ("sum", "avg", "norm"):
            summary[f"accuracy_{view}_{mode}"] = accuracy(view, mode)
    print(summary)
    ref.write_json("dpo/reward_bench_rule.json", {
        "reward_bench": f"rewardbench {version} (PyPI wheel): utils.prepare_dialogue_from_tokenizer, "
                        "dpo.DPOInference.tokenize_row / inference_step (ref_free_norm sum, avg, norm)",
        "policy": ref.SMOLLM2_FILE,
        "tokenizer": "transformers AutoTokenizer(gguf_file=...): plain ByteLevel split (see Fixtures/README.md)",
        "bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id,
        "pairs": results,
        "summary": summary,
    })


if __name__ == "__main__":
    main(sys.argv[1:])
