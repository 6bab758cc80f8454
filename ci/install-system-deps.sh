#!/usr/bin/env bash
# Debian packages the test suite needs (PostgreSQL for the shared audit store tests). Idempotent:
# skips apt entirely when everything is present.
set -euo pipefail
need=()
# The audit tests start throwaway clusters with the server binaries (initdb, pg_ctl) as the
# `postgres` user; postgresql-common alone (pg_ctlcluster) is not enough.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && id postgres >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
