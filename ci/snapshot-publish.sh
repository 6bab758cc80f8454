#!/usr/bin/env bash
# Publishes the newest snapshot in the store as the asset of a release tagged snapshot-<seq>.
# A tag that already exists makes this fail: published snapshots are never replaced.
# Usage: ci/snapshot-publish.sh <store-dir>
set -euo pipefail
store="${1:?usage: $0 <store-dir>}"
file="$(ls "$store"/snapshot-*.note | sort | tail -n 1)"
name="$(basename "$file")"
seq="$((10#$(echo "$name" | sed -E 's/^snapshot-([0-9]{10})-.*/\1/')))"
gh release create "snapshot-$seq" "$file" \
  --title "Policy snapshot $seq" \
  --notes "Signed policy snapshot $name built from ${GITHUB_SHA:-unknown}. Verify with: embguard snapshot list --store <dir> --trusted-keys <pinned.pub>" \
  --target "${GITHUB_SHA:-main}"
