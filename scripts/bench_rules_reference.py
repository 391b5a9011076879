"""Python side of scripts/bench_rules.sh: Math-Verify and sacreBLEU on the same items as the Swift
benchmark, plus agreement with RewardKit's verdicts. Usage: bench_rules_reference.py SHARED OUT"""
import json, os, sys, time
from multiprocessing import Pool

shared, out = sys.argv[1], sys.argv[2]
items = [json.loads(l) for l in open(os.path.join(out, "math_items.jsonl"))]


def math_verify_one(item):
    from math_verify import parse, verify
    try:
        gold = parse("$" + item["reference"] + "$")
        answer = parse(item["response"])
        return bool(verify(gold, answer))
    except Exception:
        return False


def overlap_one(pair):
    import sacrebleu
    h, r = pair
    return (sacrebleu.sentence_bleu(h, [r]).score, sacrebleu.sentence_chrf(h, [r]).score)


def timed(fn, data, workers):
    start = time.perf_counter()
    if workers == 1:
        results = [fn(x) for x in data]
    else:
        with Pool(workers) as pool:
            results = pool.map(fn, data, chunksize=max(1, len(data) // (workers * 8)))
    return results, time.perf_counter() - start


cores = os.cpu_count()
math_verify_one(items[0])  # import and warm up
verdicts, mv_single = timed(math_verify_one, items, 1)
_, mv_parallel = timed(math_verify_one, items, cores)
agree = sum(v == it["rewardkit"] for v, it in zip(verdicts, items))
as_constructed = sum(v == (it["expectation"] != "wrong") for v, it in zip(verdicts, items))
disagreements = [
    {"reference": it["reference"], "response_tail": it["response"][-120:], "math_verify": v, "rewardkit": it["rewardkit"]}
    for v, it in zip(verdicts, items) if v != it["rewardkit"]
]
with open(os.path.join(out, "disagreements.json"), "w") as f:
    json.dump(disagreements, f, indent=1)

rows = [json.loads(l) for l in open(os.path.join(shared, "reference/sacrebleu.jsonl"))]
pairs = [(r["hypothesis"], r["reference"]) for r in rows if not r.get("corpus")] * 10
overlap_one(pairs[0])
scores, sb_single = timed(overlap_one, pairs, 1)
_, sb_parallel = timed(overlap_one, pairs, cores)

report = {
    "cores": cores,
    "math_items": len(items),
    "math_verify_items_per_second_1_core": len(items) / mv_single,
    "math_verify_items_per_second_all_cores": len(items) / mv_parallel,
    "math_verify_verdicts_as_constructed": as_constructed / len(items),
    "agreement_with_rewardkit": agree / len(items),
    "disagreements": len(items) - agree,
    "sacrebleu_pairs_per_second_1_core": len(pairs) / sb_single,
    "sacrebleu_pairs_per_second_all_cores": len(pairs) / sb_parallel,
}
json.dump(report, open(os.path.join(out, "python.json"), "w"))
print(json.dumps(report))
