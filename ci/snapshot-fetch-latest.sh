#!/usr/bin/env bash
# Downloads the newest published snapshot (GitHub release tagged snapshot-<seq>) into the store,
# so the next build continues its seq and links it as parent. Needs the gh CLI and GH_TOKEN.
# Usage: ci/snapshot-fetch-latest.sh <store-dir>
set -euo pipefail
store="${1:?usage: $0 <store-dir>}"
mkdir -p "$store"
latest="$(gh release list --limit 1000 --json tagName --jq '[.[].tagName | select(startswith("snapshot-")) | ltrimstr("snapshot-") | tonumber] | max // empty')"
if [ -z "$latest" ]; then
  echo "no published snapshot yet: the next one is seq 1" >&2
  exit 0
fi
gh release download "snapshot-$latest" --pattern 'snapshot-*.note' --dir "$store" --skip-existing
