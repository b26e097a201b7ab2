#!/usr/bin/env bash
# Debian packages the project needs, installing only what is missing:
#   runtime: CJK fonts (Chinese text in exported maps and PDFs)
#   test:    the same plus Chromium + ChromeDriver (browser tests) and Node.js (the unit tests
#            run assets/csv-safe.js against the server's formula rule)
# Usage: scripts/install-system-deps.sh [runtime|test]   (default: test)
set -euo pipefail
what=${1:-test}
missing=()
# (no `grep -q`: it would stop reading early and, under pipefail, fail the pipeline)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
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
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" fontconfig
