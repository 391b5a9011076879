#!/usr/bin/env bash
# The whole test suite: install what is needed, check formatting, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests
echo "== swift test"
# Release mode: the tests train models on real data, which takes minutes in a debug build.
swift test -c release -Xswiftc -enable-testing
