#!/usr/bin/env bash
# Builds and signs the snapshot of the merge commit with its pull-request approval evidence.
# Needs: EMBGUARD_SNAPSHOT_SIGNING_KEY (signer key string), GITHUB_TOKEN, GITHUB_REPOSITORY,
# GITHUB_SHA, GITHUB_RUN_ID (all set by GitHub Actions; set them yourself in any other CI).
# Usage: ci/snapshot-build.sh <store-dir>
set -euo pipefail
store="${1:?usage: $0 <store-dir>}"
cd "$(dirname "$0")/.."
exec node control-plane/bin/embguard.js snapshot build \
  --dir policies \
  --revision "${GITHUB_SHA:?}" \
  --store "$store" \
  --key-env EMBGUARD_SNAPSHOT_SIGNING_KEY \
  --github-repo "${GITHUB_REPOSITORY:?}" \
  --github-api-url "${GITHUB_API_URL:-https://api.github.com}" \
  --ci-run-id "${GITHUB_RUN_ID:?}" \
  --builder "${GITHUB_WORKFLOW:-ci}@${GITHUB_SERVER_URL:-}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}" \
  --post-status
