#!/usr/bin/env bash
# Validates the policy files; annotations appear on the pull request under GitHub Actions.
# Usage: ci/policy-validate.sh [policy-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
exec node control-plane/bin/embguard.js policy validate --dir "${1:-policies}"
