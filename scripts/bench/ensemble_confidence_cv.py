#!/usr/bin/env python3
"""Which ensemble and which pair-level confidence make the uncertainty informative (issue 7)?

Usage: ensemble_confidence_cv.py TRAIN_HALF.jsonl [CACHE_FILE]

Chooses on the *train* half only (the test half stays untouched): repeated 5-fold cross-
validation inside it. Features are the MiniLM embeddings RewardKit already cached
(~/.cache/rewardkit/embeddings/*.embeddings, filled by `reward train --backbone minilm` on the
same file), looked up with the cache's own key (two seeded FNV-1a hashes of the last user turn and
the response). The members are a numpy re-implementation of `reward train --head bt` (zero start,
AdamW lr 0.02 / weight decay 0.01, batches of 64, 20 epochs, early stopping with patience 3 on a
10% validation split). For each variant it prints the accuracy on the most / least confident
third of the out-of-fold pairs under each confidence: the members' std (small = confident),
|mean|, |mean|/std and the members' sign agreement (ties by |mean|/std).
"""
import glob
import json
import os
import struct
import sys

import numpy as np

MASK = (1 << 64) - 1


def stable_hash(parts, seed):
    value = 0xCBF29CE484222325 ^ ((seed * 0x9E3779B97F4A7C15) & MASK)
    for part in parts:
        for byte in part.encode("utf-8") + b"\xff":
            value = ((value ^ byte) * 0x100000001B3) & MASK
    z = value
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def load_cache(path):
    data = open(path, "rb").read()
    assert data[:8] == b"RKEMBED1"
    dimension = struct.unpack("<I", data[8:12])[0]
    size = 16 + 4 * dimension
    count = (len(data) - 16) // size
    records = np.frombuffer(data, dtype=np.uint8, count=count * size, offset=16).reshape(count, size)
    keys = records[:, :16].copy().view("<u8")
    index = {(int(high), int(low)): i for i, (high, low) in enumerate(keys)}
    return index, records[:, 16:].copy().view("<f4")


def load_pairs(path, cache):
    index, vectors = cache
    differences, labels = [], []
    for line in open(path, encoding="utf-8"):
        record = json.loads(line)
        users = [m["content"] for m in record["prompt"] if m["role"] == "user"]
        last = users[-1] if users else "\u0000none"
        sides = []
        for side in ("chosen", "rejected"):
            parts = [last, record[side][0]["content"]]
            sides.append(index[(stable_hash(parts, 1), stable_hash(parts, 2))])
        differences.append(vectors[sides[0]] - vectors[sides[1]])
        labels.append(record.get("chosen_probability", 1.0))
    return np.array(differences, dtype=np.float64), np.array(labels)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def train_member(D, P, rng, split_rng, bootstrap=True, mask=None):
    order = split_rng.permutation(len(D))
    held = int(round(len(D) * 0.1))
    validation, train = order[:held], order[held:]
    if bootstrap:
        train = train[rng.integers(0, len(train), len(train))]
    X = D if mask is None else D * mask
    w, m, v, t = np.zeros(D.shape[1]), np.zeros(D.shape[1]), np.zeros(D.shape[1]), 0
    best, best_w, bad = np.inf, w.copy(), 0
    for _ in range(20):
        train = train[rng.permutation(len(train))]
        for start in range(0, len(train), 64):
            batch = train[start : start + 64]
            gradient = ((sigmoid(X[batch] @ w) - P[batch])[:, None] * X[batch]).mean(0)
            t += 1
            m = 0.9 * m + 0.1 * gradient
            v = 0.999 * v + 0.001 * gradient * gradient
            w = w - 0.02 * 0.01 * w - 0.02 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        p = np.clip(sigmoid(X[validation] @ w), 1e-12, 1 - 1e-12)
        loss = -(P[validation] * np.log(p) + (1 - P[validation]) * np.log(1 - p)).mean()
        if loss < best - 1e-6:
            best, best_w, bad = loss, w.copy(), 0
        else:
            bad += 1
            if bad >= 3:
                break
    return best_w, mask


def thirds(margins, labels):
    mean, std = margins.mean(1), margins.std(1)
    right = (mean > 0) == (labels > 0.5)
    z = np.abs(mean) / np.maximum(std, 1e-300)
    measures = {
        "std": -std,
        "|mean|": np.abs(mean),
        "|mean|/std": z,
        "agreement": (np.sign(margins) == np.sign(mean)[:, None]).mean(1) + 1e-9 * z / (1 + z),
    }
    k = len(mean) // 3
    result = {}
    for name, confidence in measures.items():
        order = np.argsort(-confidence, kind="stable")
        result[name] = (right[order[:k]].mean(), right[order[-k:]].mean())
    return result


def main():
    cache_path = sys.argv[2] if len(sys.argv) > 2 else max(
        glob.glob(os.path.expanduser("~/.cache/rewardkit/embeddings/*.embeddings")), key=os.path.getsize)
    D, P = load_pairs(sys.argv[1], load_cache(cache_path))
    variants = [("bootstrap + seeds, 5 members", 5, True, None), ("seeds only, 5", 5, False, None),
                ("bootstrap, 5, random half of the features each", 5, True, 0.5),
                ("bootstrap, 5, random quarter of the features each", 5, True, 0.25),
                ("bootstrap + seeds, 10 members", 10, True, None)]
    print("| members | accuracy | " + " | ".join(f"by {m}: most / least" for m in
                                                  ("std", "|mean|", "|mean|/std", "agreement")) + " |")
    print("|---|---|---|---|---|---|")
    for name, members, bootstrap, fraction in variants:
        scores, accuracies = {}, []
        for repeat in range(4):
            folds = np.random.default_rng(123 + repeat).permutation(len(D))
            margins = np.zeros((len(D), members))
            for fold in range(5):
                test = folds[fold::5]
                train = np.setdiff1d(folds, test)
                for member in range(members):
                    rng = np.random.default_rng(1000 * fold + member + 77 * repeat)
                    mask = None if fraction is None else (rng.random(D.shape[1]) < fraction).astype(float)
                    w, mask = train_member(D[train], P[train], rng, np.random.default_rng(fold + 10 * repeat),
                                           bootstrap=bootstrap, mask=mask)
                    margins[test, member] = (D[test] if mask is None else D[test] * mask) @ w
            for measure, pair in thirds(margins, P).items():
                scores.setdefault(measure, []).append(pair)
            accuracies.append(((margins.mean(1) > 0) == (P > 0.5)).mean())
        cells = ["%.3f / %.3f" % tuple(np.mean(scores[m], axis=0)) for m in ("std", "|mean|", "|mean|/std",
                                                                             "agreement")]
        print(f"| {name} | {np.mean(accuracies):.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
