#!/usr/bin/env bash
# flopsheet set-up and run: installs LibreOffice (the recalculation engine) and the
# package into .venv, then runs the main job. Usage: bash setup.sh [--install-only]
set -euo pipefail
cd "$(dirname "$0")"

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "flopsheet setup: installing ${missing[*]} with apt-get"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
# the torch extra is PyTorch 2.13.0, CPU build (the FLOP cross-check in the tests)
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

if [ "${1:-}" = "--install-only" ]; then exit 0; fi
.venv/bin/flopsheet build
.venv/bin/flopsheet report all -o out/reports
.venv/bin/flopsheet report all -o out/reports --format md
.venv/bin/flopsheet summary
