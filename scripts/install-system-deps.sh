#!/usr/bin/env bash
# Debian packages the project needs, installing only what is missing:
#   runtime: CJK fonts (Chinese text in exported maps and PDFs)
#   test:    the same plus Chromium + ChromeDriver (browser tests), Node.js (the unit tests
#            run assets/csv-safe.js against the server's formula rule) and PostgreSQL with
#            PostGIS (the PostgreSQL lane, scripts/with-postgres.sh)
#   postgres: PostgreSQL with PostGIS only (make bench's load run, backups on PostgreSQL)
# Usage: scripts/install-system-deps.sh [runtime|test|postgres]   (default: test)
set -euo pipefail
what=${1:-test}
missing=()
# (no `grep -q`: it would stop reading early and, under pipefail, fail the pipeline)
if [[ $what != postgres ]]; then
  fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
fi
postgis_after=0
pg_major() {
  basename "$(dirname "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)")"
}
postgis_installed() {
  ls /usr/share/postgresql/"$(pg_major)"/extension/postgis.control >/dev/null 2>&1
}
if [[ $what == test || $what == postgres ]]; then
  # Debian's supported server (postgresql pulls in postgresql-NN) and PostGIS for that NN
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -z $pg_bin || ! -x $pg_bin/initdb || ! -x $pg_bin/pg_dump ]]; then
    missing+=(postgresql postgresql-client)
    postgis_after=1  # its package names the server's major version: known once installed
  elif ! postgis_installed; then
    missing+=("postgresql-$(pg_major)-postgis-3")
  fi
fi
if [[ $what == test ]]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
fi
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "need root (or sudo) to install: ${missing[*]}" >&2
    [[ $what == runtime ]] && { echo "continuing: map exports need a CJK font" >&2; exit 0; }
    exit 1
  fi
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
extra=()
[[ $what != postgres ]] && extra=(fontconfig)
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" "${extra[@]}"
if ((postgis_after)) && ! postgis_installed; then
  $SUDO apt-get install -y -q --no-install-recommends "postgresql-$(pg_major)-postgis-3"
fi

