#!/usr/bin/env bash
# The README's test command: the Swift test suite, then the ETSI GS QKD 014 interop test, in which
# the third-party PyPI client etsi-qkd-014-client talks to a live `qkd kme serve` over mutual TLS.
# The interop test runs with the Python of QKD_INTEROP_PYTHON, or of the venv .venv-interop that
# `.ci/run` creates (python3 -m venv .venv-interop && .venv-interop/bin/pip install etsi-qkd-014-client==0.9.0).
set -euo pipefail
cd "$(dirname "$0")/.."

swift test

python="${QKD_INTEROP_PYTHON:-.venv-interop/bin/python}"
"$python" Tests/Interop/etsi_client_test.py "$(swift build --show-bin-path)/qkd"
