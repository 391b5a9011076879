#!/usr/bin/env bash
# Preference-data pipeline benchmark (BENCHMARKS.md, "Preference-data pipelines (issue 14)"):
# score 1,000,000 short responses (125,000 groups of 8) with a rule spec and pair them, streamed
# through `reward data pairs --model`, reporting items/s and peak RSS (GNU time).
# Usage: scripts/bench_pipelines.sh [GROUPS] (default 125000; 8 responses each)
# Needs /usr/bin/time (GNU) and python3.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
groups="${1:-125000}"
work="$(mktemp -d /tmp/rewardkit-bench-pipelines.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# REWARD_BIN=path uses an existing binary (e.g. to check the script quickly); otherwise a release build.
if [ -n "${REWARD_BIN:-}" ]; then
  reward="$REWARD_BIN"
else
  swift build -c release --package-path "$repo" --product reward 2>&1 | tail -1
  reward="$(swift build -c release --package-path "$repo" --show-bin-path)/reward"
fi
# Short math responses: the reference is the prompt's number; half the samples get it right.
python3 - "$groups" > "$work/groups.jsonl" <<'PY'
import json, random, sys
random.seed(0)
for g in range(int(sys.argv[1])):
    a = random.randint(1, 999)
    responses = [f"The answer is {a if random.random() < 0.5 else a + random.randint(1, 9)}." + " ok" * random.randint(0, 6)
                 for _ in range(8)]
    print(json.dumps({"id": f"g{g}", "prompt": f"What is {a}?", "responses": responses, "reference": str(a)}))
PY
cat > "$work/spec.yaml" <<'YAML'
name: math-length
components:
  - {kind: math, weight: 1.0}
  - {kind: length, target: 8, weight: 0.1}
YAML
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
/usr/bin/time -v "$reward" data pairs "$work/groups.jsonl" --model "$work/spec.yaml" --rule best-worst \
  -o "$work/pairs.jsonl" 2> "$work/time.txt" || { cat "$work/time.txt"; exit 1; }
end=$(date +%s.%N)
grep '^pairs:' "$work/time.txt"
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
python3 -c "
n = $groups * 8; s = $end - $start
print(f'{n} responses scored and paired in {s:.1f} s: {n / s:,.0f} responses/s; peak RSS {$rss / 1024:.0f} MiB')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
