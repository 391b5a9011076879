#!/usr/bin/env bash
# Whole-process `reward score` benchmark (BENCHMARKS.md, "Scoring files"): release build, ~8,000 long
# math responses built from ../shared/data/math, scored with a trivial length rule and with the math
# rule, side by side with Python's json (read; read + write) and Math-Verify over the same lines, plus
# peak RSS scoring a generated ~1 GB JSON Lines file. Needs swift, python3 with
# `pip install math-verify==0.9.0`, /usr/bin/time, and ../shared beside the repository.
# Usage: scripts/bench_score.sh [OUT_DIR]   (BIG_MB=1024 COUNT=8000 to change the sizes;
# REWARD_BIN=path/to/reward to use an existing release build)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_DIR:-$repo/../shared}"
out="${1:-$repo/runs/bench-score}"
mkdir -p "$out"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)"
if [ "${BENCH_PIPELINE:-0}" = 1 ]; then
  # The same pipeline without the server stack (a much smaller release build; see its main.swift).
  pkg="$(mktemp -d /tmp/rewardkit-bench-score.XXXXXX)"
  trap 'rm -rf "$pkg"' EXIT
  mkdir -p "$pkg/Sources/bench-score"
  for target in RewardCore RewardData RewardRules CZlib; do ln -s "$repo/Sources/$target" "$pkg/Sources/$target"; done
  cp "$repo/scripts/bench_score/main.swift" "$pkg/Sources/bench-score/main.swift"
  cat > "$pkg/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
  name: "BenchScore",
  targets: [
    .target(name: "RewardCore"),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
    .target(name: "RewardData", dependencies: ["RewardCore", "CZlib"]),
    .target(
      name: "RewardRules", dependencies: ["RewardCore"],
      linkerSettings: [.linkedLibrary("_FoundationICU", .when(platforms: [.linux]))]),
    .executableTarget(name: "bench-score", dependencies: ["RewardCore", "RewardData", "RewardRules"]),
  ],
  swiftLanguageModes: [.v6])
SWIFT
  scratch="${BENCH_SCRATCH:-$repo/.build-bench-score}"
  swift build -c release --package-path "$pkg" --scratch-path "$scratch" 2>&1 | tail -1
  pipeline="$scratch/release/bench-score"
  printf '#!/bin/sh\nexec "%s" "$1" "$2" "$3"\n' "$pipeline" > "$out/score"
else
  if [ -n "${REWARD_BIN:-}" ]; then
    reward="$REWARD_BIN"  # an existing release binary (e.g. the one scripts/test.sh built)
  else
    swift build -c release --product reward --package-path "$repo" 2>&1 | tail -1
    reward="$(swift build -c release --package-path "$repo" --show-bin-path)/reward"
  fi
  printf '#!/bin/sh\nexec "%s" score --quiet --spec "%s/$1.yaml" "$2" -o "$3"\n' "$reward" "$out" > "$out/score"
fi
chmod +x "$out/score"
score() { echo "$out/score"; }
python3 "$repo/scripts/bench/make_score_corpus.py" "$shared" "$out" "${COUNT:-8000}" "${BIG_MB:-1024}"
printf 'name: length\ncomponents:\n  - kind: length\n    target: 300\n' > "$out/length.yaml"
printf 'name: math\ncomponents:\n  - kind: math\n' > "$out/math.yaml"
input="$out/math-long.jsonl"
mb=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$input")
items=$(wc -l < "$input")

# Runs a command under /usr/bin/time; prints seconds, peak RSS (MB) and CPU seconds.
measure() {
  local label="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" "$@" > /dev/null
  read -r wall rss user sys < "$out/time.txt"
  python3 - "$label" "$wall" "$rss" "$user" "$sys" "$mb" "$items" <<'PY'
import sys
label, wall, rss, user, sys_, mb, items = sys.argv[1], *map(float, sys.argv[2:])
wall = max(wall, 0.01)
print(f"{label:<34} {wall:7.2f} s  {items / wall:9.0f} items/s  {mb / wall:7.1f} MB/s  "
      f"peak RSS {rss / 1024:6.0f} MB  CPU {user + sys_:6.2f} s = {mb / max(user + sys_, 0.01):6.1f} MB per CPU-s")
PY
  cp "$out/time.txt" "$out/time-$(echo "$label" | tr ' /' '__').txt"
}

echo "input: $items records, $mb MB ($input)"
measure "python json.loads (read only)" python3 "$repo/scripts/bench/score_peer.py" json-read "$input" /dev/null
measure "python json read+write" python3 "$repo/scripts/bench/score_peer.py" json-roundtrip "$input" "$out/py-roundtrip.jsonl"
if [ "${BENCH_PIPELINE:-0}" = 1 ]; then
  measure "pipeline, no rule (I/O only)" "$(score)" constant "$input" "$out/constant.jsonl"
fi
measure "reward score, length rule" "$(score)" length "$input" "$out/length.jsonl"
measure "reward score, math rule" "$(score)" math "$input" "$out/math.jsonl"
if python3 -c "import math_verify" 2> /dev/null; then
  measure "python Math-Verify" python3 "$repo/scripts/bench/score_peer.py" math-verify "$input" "$out/math-verify.jsonl"
  python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rk = [json.loads(l)["reward"] for l in open(f"{out}/math.jsonl")]
mv = [json.loads(l)["reward"] for l in open(f"{out}/math-verify.jsonl")]
agree = sum(a == b for a, b in zip(rk, mv))
print(f"agreement RewardKit vs Math-Verify: {agree}/{len(rk)}; RewardKit correct: {sum(rk):.0f}, Math-Verify: {sum(mv):.0f}")
PY
else
  echo "(math-verify not installed: pip install math-verify==0.9.0)"
fi
# JSON Lines I/O through the whole process (issue 15.2, >= 150 MB/s): the 8,000 lines repeated
# IO_REPEAT times (196 MB by default), scored with a literal `format` pattern (a byte search, so the
# rule costs next to nothing), side by side with Python's json read + write of the same file.
printf 'name: io\ncomponents:\n  - kind: format\n    pattern: "boxed"\n' > "$out/io.yaml"
io="$out/io.jsonl"
for _ in $(seq 1 "${IO_REPEAT:-20}"); do cat "$input"; done > "$io"
io_mb=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$io")
io_items=$(wc -l < "$io")
echo "I/O input: $io_items records, $io_mb MB"
(
  mb="$io_mb" items="$io_items"
  if [ "${BENCH_PIPELINE:-0}" = 1 ]; then
    measure "pipeline, no rule (I/O)" "$(score)" constant "$io" "$out/io-out.jsonl"
  else
    measure "reward score, literal format rule (I/O)" "$(score)" io "$io" "$out/io-out.jsonl"
  fi
  measure "python json read+write (I/O)" python3 "$repo/scripts/bench/score_peer.py" json-roundtrip "$io" "$out/io-py.jsonl"
)
rm -f "$io" "$out/io-out.jsonl" "$out/io-py.jsonl"

big="$out/big.jsonl"
mb=$(python3 -c "import os,sys; print(os.path.getsize(sys.argv[1]) / 1e6)" "$big")
items=$(wc -l < "$big")
echo "big input: $items records, $mb MB"
if [ "${BENCH_PIPELINE:-0}" = 1 ]; then
  measure "pipeline 1 GB, no rule (I/O only)" "$(score)" constant "$big" -
fi
measure "reward score 1 GB, length rule" "$(score)" length "$big" -
measure "python json.loads 1 GB" python3 "$repo/scripts/bench/score_peer.py" json-read "$big" /dev/null
rm -f "$big" "$out/length.jsonl" "$out/constant.jsonl" "$out/py-roundtrip.jsonl"
