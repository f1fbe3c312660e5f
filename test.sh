#!/usr/bin/env bash
# flopsheet test command: installs what the tests need (LibreOffice, the package with
# its test extras), then runs the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash setup.sh --install-only
# Node.js runs Pyodide for the xlwings Lite test (tests/test_lite_pyodide.py).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  echo "test.sh: installing nodejs and npm with apt-get"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
# Gnumeric's ssconvert recalculates the templates in a second spreadsheet engine
# (tests/test_template_ranges.py); Debian 12 packages it (gnumeric 1.12.55).
if ! command -v ssconvert >/dev/null 2>&1; then
  sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  echo "test.sh: installing gnumeric (ssconvert) with apt-get"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnumeric >/dev/null
fi
# The test-only extra: CPU torch for the FLOP cross-check (torch==2.13.0, a CPU build; never a CUDA one).
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,torch]"
command -v soffice >/dev/null 2>&1 || { echo "test.sh: LibreOffice (soffice) is required and missing" >&2; exit 1; }
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then echo "test.sh: pytest collected no tests; that is a failure" >&2; exit 1; fi
exit "$status"
