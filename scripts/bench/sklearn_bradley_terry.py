"""Peer baseline for BENCHMARKS.md: scikit-learn logistic regression on hashed word n-gram features.

Reads the same TRL-format train/test files that `reward data split` writes, featurizes the final
response (+ optionally nothing else) with HashingVectorizer (unigrams+bigrams, 2^18 features,
alternate_sign as scikit-learn's default), fits LogisticRegression on chosen−rejected differences
(both orientations, so no bias is learned), and prints held-out accuracy and timings as JSON.

usage: python3 sklearn_bradley_terry.py TRAIN.jsonl TEST.jsonl
"""

import json
import sys
import time

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression


def load(path):
    chosen, rejected = [], []
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if record.get("chosen_probability", 1.0) == 0.5:
                continue
            chosen.append(record["chosen"][-1]["content"])
            rejected.append(record["rejected"][-1]["content"])
    return chosen, rejected


def main():
    train_path, test_path = sys.argv[1], sys.argv[2]
    train_c, train_r = load(train_path)
    test_c, test_r = load(test_path)
    vectorizer = HashingVectorizer(ngram_range=(1, 2), n_features=2**18, alternate_sign=True, norm="l2")
    started = time.perf_counter()
    xc, xr = vectorizer.transform(train_c), vectorizer.transform(train_r)
    tc, tr = vectorizer.transform(test_c), vectorizer.transform(test_r)
    featurize_seconds = time.perf_counter() - started
    texts = 2 * (len(train_c) + len(test_c))
    difference = xc - xr
    from scipy.sparse import vstack

    x = vstack([difference, -difference])
    y = np.concatenate([np.ones(difference.shape[0]), np.zeros(difference.shape[0])])
    started = time.perf_counter()
    model = LogisticRegression(C=1.0, fit_intercept=False, max_iter=1000)
    model.fit(x, y)
    fit_seconds = time.perf_counter() - started
    margin = (tc - tr) @ model.coef_.ravel()
    accuracy = float(np.mean(margin > 0))
    print(
        json.dumps(
            {
                "train_pairs": len(train_c),
                "test_pairs": len(test_c),
                "accuracy": accuracy,
                "featurize_seconds": featurize_seconds,
                "texts_per_second": texts / featurize_seconds,
                "fit_seconds": fit_seconds,
                "train_pairs_per_second": len(train_c) / fit_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
