#!/usr/bin/env bash
# Installs what the test suite needs, then runs all of it.
#
# Needs: cargo, python3 (with venv), curl with HTTP/2. Installs curl with apt if
# it is missing and puts the official anthropic SDKs into two venvs under
# target/: py2 (2.x: Bearer + 2026-10-21, plus haralyzer) and py1 (1.x: x-api-key + 2023-06-01).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v curl >/dev/null; then
    apt-get update -qq && apt-get install -y -qq curl
fi

sdk_venv() { # major version, exact pin, extra packages...
    local venv="target/py$1" version="$2"
    shift 2
    if ! "$venv/bin/python" -c "import anthropic, sys; sys.exit(anthropic.__version__ != '$version')" 2>/dev/null; then
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "anthropic==$version" "$@"
}
mkdir -p target
# haralyzer checks the HAR files badreq writes.
sdk_venv 2 2.14.0 haralyzer==2.4.0
sdk_venv 1 1.17.0

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test
