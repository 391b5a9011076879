#!/usr/bin/env python3
"""Peer side of scripts/bench_encoder.sh: encodes the corpus with sentence-transformers on the CPU
(same model directory, max_seq_length 256, batch 32, mean pooling + normalisation from the model's
own modules), times encode() alone (model load excluded, as for RewardKit's summary), and compares
the embeddings with RewardKit's output line by line."""
import json
import sys
import time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

corpus, model_dir, rewardkit_out = sys.argv[1], sys.argv[2], sys.argv[3]
texts = [json.loads(line) for line in open(corpus)]
model = SentenceTransformer(model_dir, device="cpu")
model.max_seq_length = 256
tokens = sum(min(len(ids), 256) for ids in model.tokenizer(texts, add_special_tokens=True)["input_ids"])
started, started_cpu = time.perf_counter(), time.process_time()
embeddings = model.encode(texts, batch_size=32, convert_to_numpy=True)
seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
print(f"sentence-transformers: embedded {len(texts)} texts ({tokens} tokens) in {seconds:.2f} s "
      f"({cpu_seconds:.2f} s of CPU, {len(texts) / cpu_seconds:.2f} texts per CPU-second): "
      f"{len(texts) / seconds:.1f} texts/s, {tokens / seconds:.0f} tokens/s "
      f"[torch {torch.__version__}, {torch.get_num_threads()} threads]")
ours = np.array([json.loads(line)["embedding"] for line in open(rewardkit_out)], dtype=np.float64)
theirs = embeddings.astype(np.float64)
cosine = (ours * theirs).sum(1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
print(f"agreement: cosine min {cosine.min():.6f}, mean {cosine.mean():.6f} over {len(texts)} texts")
print(f"PEER_TEXTS_PER_SECOND {len(texts) / seconds:.3f}")
print(f"PEER_TEXTS_PER_CPU_SECOND {len(texts) / cpu_seconds:.3f}")
