#!/usr/bin/env bash
# Reliability numbers of RELIABILITY.md ("Rules and specs"): each defect of issue 16 points 1, 11
# and 16, before and after, with wall time and peak memory (/usr/bin/time, one process per case).
# "Before" rule cases run the old code path (NSRegularExpression without a budget; the old
# regex-and-split normalisation), compiled beside the new one. Spec cases run `reward score`.
# Usage: scripts/bench_reliability.sh [REWARD_BINARY]   (default .build/debug/reward)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
reward="${1:-$repo/.build/debug/reward}"
pkg="$(mktemp -d /tmp/rewardkit-bench-reliability.XXXXXX)"
work="$(mktemp -d /tmp/rewardkit-reliability.XXXXXX)"
trap 'rm -rf "$pkg" "$work"' EXIT
mkdir -p "$pkg/Sources/bench-reliability"
ln -s "$repo/Sources/RewardCore" "$pkg/Sources/RewardCore"
ln -s "$repo/Sources/RewardRules" "$pkg/Sources/RewardRules"
cp "$repo/scripts/bench_reliability/main.swift" "$pkg/Sources/bench-reliability/main.swift"
cat > "$pkg/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
  name: "BenchReliability",
  targets: [
    .target(name: "RewardCore"),
    .target(
      name: "RewardRules", dependencies: ["RewardCore"],
      linkerSettings: [.linkedLibrary("_FoundationICU", .when(platforms: [.linux]))]),
    .executableTarget(name: "bench-reliability", dependencies: ["RewardCore", "RewardRules"]),
  ],
  swiftLanguageModes: [.v6])
SWIFT
scratch="${BENCH_SCRATCH:-$repo/.build-bench-reliability}"
swift build -c release --package-path "$pkg" --scratch-path "$scratch" 2>&1 | tail -1
bench="$scratch/release/bench-reliability"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() {  # label, command...: wall seconds and peak RSS; a case past 120 s is stopped
  local label="$1"
  shift
  /usr/bin/time -f "$label: %e s, %M KB peak" timeout 120 "$@" 2>&1 | grep -v "^Command exited" | tail -2 || true
}
for count in 24 26 28; do measure "regex before, $count a's" "$bench" regex-nsregularexpression "$count"; done
for count in 28 100 10000; do measure "regex after, $count a's" "$bench" regex-bounded "$count"; done
for megabytes in 1 10; do
  measure "exact_match before, $megabytes MB" "$bench" exact-match-regex "$megabytes"
  measure "exact_match after, $megabytes MB" "$bench" exact-match-linear "$megabytes"
done

# Spec loading: an alias bomb (10^9 values once expanded) and 20,000 components.
{
  echo "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
  for level in 1 2 3 4 5 6 7 8 9; do
    previous=$((level - 1))
    echo "a$level: &a$level [*a$previous, *a$previous, *a$previous, *a$previous, *a$previous, *a$previous, *a$previous, *a$previous, *a$previous, *a$previous]"
  done
  echo "components: [{kind: math}]"
} > "$work/bomb.yaml"
{
  echo "components:"
  for i in $(seq 1 20000); do echo "  - {kind: length, target: 3, name: c$i}"; done
} > "$work/many.yaml"
echo '{"prompt": "p", "response": "r"}' > "$work/in.jsonl"
echo "components: [{kind: math}]" > "$work/one.yaml"
measure "spec with one component (start-up baseline)" "$reward" score --spec "$work/one.yaml" "$work/in.jsonl"
measure "spec alias bomb" "$reward" score --spec "$work/bomb.yaml" "$work/in.jsonl"
measure "spec with 20,000 components" "$reward" score --spec "$work/many.yaml" "$work/in.jsonl"
