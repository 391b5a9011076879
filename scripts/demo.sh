#!/usr/bin/env bash
# The main job, end to end on bundled data: install what is needed, build, then train → evaluate
# → score with `reward demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product reward
.build/release/reward demo "$@"
