"""Builds the `reward score` benchmark input (scripts/bench_score.sh): ~8,000 long math responses
from GSM8K and MATH-500 worked solutions, each padded with other solutions to a long chain of
thought and ending in a boxed final answer; half correct, half wrong. Also writes a ~1 GB copy for
the memory measurement. Usage: make_score_corpus.py SHARED OUT [COUNT] [BIG_MB]"""
import json, os, random, re, sys

shared, out = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 8000
big_mb = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
rng = random.Random(0)

problems = []  # (question, solution text, final answer)
for name in ("gsm8k-train.jsonl", "gsm8k-test.jsonl"):
    for line in open(os.path.join(shared, "data/math", name)):
        r = json.loads(line)
        solution, _, answer = r["answer"].rpartition("####")
        problems.append((r["question"], re.sub(r"<<[^>]*>>", "", solution).strip(), answer.strip().replace(",", "")))
for line in open(os.path.join(shared, "data/math/math500.jsonl")):
    r = json.loads(line)
    problems.append((r["problem"], r["solution"], r["answer"]))

os.makedirs(out, exist_ok=True)
lines = []
for i in range(count):
    question, solution, answer = problems[rng.randrange(len(problems))]
    # A long response: the worked solution plus two others as "exploration", then the answer.
    detours = [problems[rng.randrange(len(problems))][1] for _ in range(2)]
    correct = i % 2 == 0
    final = answer if correct else (answer + "1" if not answer.endswith("1") else answer[:-1] + "2")
    response = ("Let me think step by step.\n\n" + "\n\nAnother way to see a similar problem:\n".join(detours)
                + "\n\nNow the problem itself.\n" + solution + f"\n\nTherefore, the final answer is $\\boxed{{{final}}}$.")
    lines.append(json.dumps({"prompt": question, "response": response, "reference": answer, "id": i}))
small = "\n".join(lines) + "\n"
open(os.path.join(out, "math-long.jsonl"), "w").write(small)
with open(os.path.join(out, "big.jsonl"), "w") as f:
    written = 0
    while written < big_mb << 20:
        f.write(small)
        written += len(small.encode())
print(f"{count} records, {len(small.encode()) / 1e6:.1f} MB; big.jsonl {written / 1e6:.0f} MB")
