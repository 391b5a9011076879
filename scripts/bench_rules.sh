#!/usr/bin/env bash
# Rule-reward benchmark (BENCHMARKS.md, "Rule rewards"): RewardKit's math verification and
# BLEU/chrF against Math-Verify and sacreBLEU on the same items, in the same run.
# Needs: swift, python3 with `pip install math-verify==0.9.0 sacrebleu==2.6.0`, and ../shared beside
# the repository. Usage: scripts/bench_rules.sh [OUT_DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_DIR:-$repo/../shared}"
out="${1:-$repo/runs/bench-rules}"
pkg="$(mktemp -d /tmp/rewardkit-bench-rules.XXXXXX)"
trap 'rm -rf "$pkg"' EXIT
# A throwaway package over the repository's own sources (RewardRules is not a product), release build.
mkdir -p "$pkg/Sources/bench-rules"
ln -s "$repo/Sources/RewardCore" "$pkg/Sources/RewardCore"
ln -s "$repo/Sources/RewardRules" "$pkg/Sources/RewardRules"
cp "$repo/scripts/bench_rules/main.swift" "$pkg/Sources/bench-rules/main.swift"
cat > "$pkg/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
  name: "BenchRules",
  targets: [
    .target(name: "RewardCore"),
    .target(name: "RewardRules", dependencies: ["RewardCore"]),
    .executableTarget(name: "bench-rules", dependencies: ["RewardCore", "RewardRules"]),
  ],
  swiftLanguageModes: [.v6])
SWIFT
mkdir -p "$out"
swift build -c release --package-path "$pkg" --scratch-path "${BENCH_SCRATCH:-$repo/.build-bench-rules}" 2>&1 | tail -1
"${BENCH_SCRATCH:-$repo/.build-bench-rules}/release/bench-rules" "$shared" "$out"
python3 "$repo/scripts/bench_rules_reference.py" "$shared" "$out"
python3 - "$out" <<'PY'
import json, sys
s = json.load(open(f"{sys.argv[1]}/swift.json")); p = json.load(open(f"{sys.argv[1]}/python.json"))
print(f"math: {s['math_items']} items; RewardKit {s['math_items_per_second_1_core']:.0f}/s (1 core), "
      f"{s['math_items_per_second_all_cores']:.0f}/s ({s['cores']} cores); Math-Verify "
      f"{p['math_verify_items_per_second_1_core']:.0f}/s, {p['math_verify_items_per_second_all_cores']:.0f}/s; "
      f"speed-up {s['math_items_per_second_1_core'] / p['math_verify_items_per_second_1_core']:.0f}x (1 core); "
      f"agreement {100 * p['agreement_with_rewardkit']:.2f}%; as constructed: RewardKit "
      f"{100 * s['math_verdicts_as_constructed']:.2f}%, Math-Verify {100 * p['math_verify_verdicts_as_constructed']:.2f}%")
print(f"bleu+chrf: {s['overlap_pairs']} pairs; RewardKit {s['bleu_chrf_pairs_per_second_1_core']:.0f}/s (1 core), "
      f"{s['bleu_chrf_pairs_per_second_all_cores']:.0f}/s; sacreBLEU {p['sacrebleu_pairs_per_second_1_core']:.0f}/s, "
      f"{p['sacrebleu_pairs_per_second_all_cores']:.0f}/s; speed-up "
      f"{s['bleu_chrf_pairs_per_second_1_core'] / p['sacrebleu_pairs_per_second_1_core']:.0f}x (1 core)")
PY
