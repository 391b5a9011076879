#!/usr/bin/env bash
# A longer run of the seeded mutation fuzzer (Tests/RewardFuzzTests): the record reader, the spec
# loader and the math and format rules, CASES mutations each (CI runs 300).
# Usage: scripts/fuzz/run.sh [CASES]   (default 20000: a few minutes on a debug build)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --build-tests 2>&1 | tail -1
REWARDKIT_FUZZ_CASES="${1:-20000}" swift test --skip-build --filter MutationFuzzTests
