#!/usr/bin/env python3
"""Writes the tiny random BERT fixture in tiny-bert/ and its expected outputs, computed here
with plain numpy in float64, independently of RewardKit (and of PyTorch).

Run from anywhere: python3 make_tiny_bert.py  (needs numpy only). Seeded, so reruns give the
same files. The forward pass below follows Hugging Face's BertModel: embeddings (word +
position + token type, LayerNorm), post-norm layers of multi-head self-attention with an
additive padding mask and an erf-GELU feed-forward."""
import json
import math
import os
import struct

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-bert")
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "dog", "ran",
         "a", "big", "red", "##s", "##ed", ",", ".", "!", "hello", "world"]
CONFIG = {
    "architectures": ["BertModel"], "model_type": "bert", "vocab_size": len(VOCAB), "hidden_size": 8,
    "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 12,
    "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu", "position_embedding_type": "absolute",
    "pad_token_id": 0,
}
# Sequences of different lengths (ids; [CLS]=2, [SEP]=3), one with a second segment.
SEQUENCES = [
    {"ids": [2, 20, 21, 3], "types": [0, 0, 0, 0]},
    {"ids": [2, 5, 6, 7, 8, 5, 9, 18, 3], "types": [0] * 9},
    {"ids": [2, 10, 11, 3, 12, 13, 14, 6, 3], "types": [0, 0, 0, 0, 1, 1, 1, 1, 1]},
    {"ids": [2, 3], "types": [0, 0]},
]


def weights(rng):
    h, f, n = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["num_hidden_layers"]
    w = {
        "embeddings.word_embeddings.weight": rng.normal(0, 1, (len(VOCAB), h)),
        "embeddings.position_embeddings.weight": rng.normal(0, 0.5, (CONFIG["max_position_embeddings"], h)),
        "embeddings.token_type_embeddings.weight": rng.normal(0, 0.5, (2, h)),
        "embeddings.LayerNorm.weight": rng.normal(1, 0.1, h),
        "embeddings.LayerNorm.bias": rng.normal(0, 0.1, h),
    }
    for i in range(n):
        p = f"encoder.layer.{i}."
        for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]:
            w[p + name + ".weight"] = rng.normal(0, 0.5, (h, h))
            w[p + name + ".bias"] = rng.normal(0, 0.1, h)
        w[p + "intermediate.dense.weight"] = rng.normal(0, 0.5, (f, h))
        w[p + "intermediate.dense.bias"] = rng.normal(0, 0.1, f)
        w[p + "output.dense.weight"] = rng.normal(0, 0.5, (h, f))
        w[p + "output.dense.bias"] = rng.normal(0, 0.1, h)
        for name in ["attention.output.LayerNorm", "output.LayerNorm"]:
            w[p + name + ".weight"] = rng.normal(1, 0.1, h)
            w[p + name + ".bias"] = rng.normal(0, 0.1, h)
    # Stored as float32; the reference computes with exactly these rounded values.
    return {k: v.astype(np.float32) for k, v in w.items()}


def layer_norm(x, g, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + CONFIG["layer_norm_eps"]) * g + b


def gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def forward(w, ids, types, mask):
    """ids, types, mask: [batch, length] → hidden states [batch, length, hidden]."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    h, heads = CONFIG["hidden_size"], CONFIG["num_attention_heads"]
    d = h // heads
    length = ids.shape[1]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][np.arange(length)] \
        + w["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    additive = (1.0 - mask[:, None, None, :]) * -1e30
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def linear(v, name):
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(v):
            return v.reshape(v.shape[0], length, heads, d).transpose(0, 2, 1, 3)

        q, k, v = (split(linear(x, "attention.self." + n)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + additive
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(x.shape[0], length, h)
        x = layer_norm(linear(context, "attention.output.dense") + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        inner = gelu(linear(x, "intermediate.dense"))
        x = layer_norm(linear(inner, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    return x


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def tokenizer_json():
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": VOCAB.index(t), "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in special],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [], "special_tokens": {}},
        "decoder": None,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(VOCAB)}},
    }


def main():
    os.makedirs(HERE, exist_ok=True)
    w = weights(np.random.default_rng(20261127))
    write_safetensors(os.path.join(HERE, "model.safetensors"), w)
    with open(os.path.join(HERE, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=1)
    with open(os.path.join(HERE, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(), f, indent=1)
    # Padded batch, as RewardKit and Hugging Face run it.
    length = max(len(s["ids"]) for s in SEQUENCES)
    ids = np.array([s["ids"] + [0] * (length - len(s["ids"])) for s in SEQUENCES])
    types = np.array([s["types"] + [0] * (length - len(s["types"])) for s in SEQUENCES])
    mask = np.array([[1.0] * len(s["ids"]) + [0.0] * (length - len(s["ids"])) for s in SEQUENCES])
    hidden = forward(w, ids, types, mask)
    expected = []
    for i, s in enumerate(SEQUENCES):
        n = len(s["ids"])
        # Padding must not change a sequence's states: check against the sequence run alone.
        alone = forward(w, np.array([s["ids"]]), np.array([s["types"]]), np.ones((1, n)))[0]
        assert np.abs(alone - hidden[i, :n]).max() < 1e-9
        states = hidden[i, :n]
        expected.append({
            "ids": s["ids"], "types": s["types"],
            "hidden": [[round(float(v), 7) for v in row] for row in states],
            "mean": [round(float(v), 7) for v in states.mean(0)],
            "cls": [round(float(v), 7) for v in states[0]],
            "last": [round(float(v), 7) for v in states[n - 1]],
        })
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"generator": "make_tiny_bert.py (numpy float64 reference)", "sequences": expected}, f)


if __name__ == "__main__":
    main()
