"""Python peers of `reward score` for scripts/bench_score.sh, each run as a whole process like
`reward score`: `json` reads the JSON Lines (parse only, or parse + write back with a reward), and
`math-verify` reads, verifies each response against its reference with Math-Verify and writes
JSON Lines. Usage: score_peer.py {json-read,json-roundtrip,math-verify} IN OUT"""
import json, sys

mode, path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]

if mode == "json-read":
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                json.loads(line)
                n += 1
    print(n)
elif mode == "json-roundtrip":
    with open(path, "rb") as f, open(out_path, "w") as out:
        for line in f:
            if line.strip():
                record = json.loads(line)
                record["reward"] = float(len(record["response"]))
                out.write(json.dumps(record) + "\n")
elif mode == "math-verify":
    from math_verify import parse, verify
    with open(path, "rb") as f, open(out_path, "w") as out:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            try:
                ok = verify(parse("$" + record["reference"] + "$"), parse(record["response"]))
            except Exception:
                ok = False
            record["reward"] = 1.0 if ok else 0.0
            out.write(json.dumps(record) + "\n")
