#!/usr/bin/env bash
# Runs the policy test cases (policies/tests/*.yaml) with the processor's decision code.
# Usage: ci/policy-test.sh [policy-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
exec node control-plane/bin/embguard.js policy test --dir "${1:-policies}"
