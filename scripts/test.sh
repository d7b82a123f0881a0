#!/usr/bin/env bash
# The README's test command: the Swift test suite, then the ETSI GS QKD 014 interop test, in which
# the third-party PyPI client etsi-qkd-014-client talks to a live `qkd kme serve` over mutual TLS.
# The interop test runs with the Python of QKD_INTEROP_PYTHON, or of the venv .venv-interop that
# `.ci/run` creates (python3 -m venv .venv-interop && .venv-interop/bin/pip install etsi-qkd-014-client==0.9.0).
# It also runs the slow end-to-end tests that a bare `swift test` skips (about a minute more on
# 2 cores): LDPC blocks over the node link and over TCP (QKD_TEST_LDPC_LINK) and the relay
# network as real processes (QKD_TEST_NETWORK_PROCESSES); set either to 0 to skip it.
set -euo pipefail
cd "$(dirname "$0")/.."

export QKD_TEST_LDPC_LINK="${QKD_TEST_LDPC_LINK:-1}"
export QKD_TEST_NETWORK_PROCESSES="${QKD_TEST_NETWORK_PROCESSES:-1}"
swift test

python="${QKD_INTEROP_PYTHON:-.venv-interop/bin/python}"
"$python" Tests/Interop/etsi_client_test.py "$(swift build --show-bin-path)/qkd"
