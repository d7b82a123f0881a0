#!/usr/bin/env bash
# The README's test command: the Swift test suite, then the ETSI GS QKD 014 interop test, in which
# the third-party PyPI client etsi-qkd-014-client talks to a live `qkd kme serve` over mutual TLS.
# The interop test runs with the Python of QKD_INTEROP_PYTHON, or of the venv .venv-interop that
# `.ci/run` creates (python3 -m venv .venv-interop && .venv-interop/bin/pip install etsi-qkd-014-client==0.9.0).
# Between the two it runs, on their own, the slow end-to-end tests that a bare `swift test` skips (about a
# minute more on 2 cores): LDPC blocks over the node link and over TCP (QKD_TEST_LDPC_LINK) and
# the relay network as real processes (QKD_TEST_NETWORK_PROCESSES). Alone, so that their
# processes do not starve the time-limited tests of the main run; set QKD_SLOW_TESTS=0 to skip.
set -euo pipefail
cd "$(dirname "$0")/.."

swift test
if [ "${QKD_SLOW_TESTS:-1}" != 0 ]; then
    QKD_TEST_LDPC_LINK=1 QKD_TEST_NETWORK_PROCESSES=1 \
        swift test --filter 'LDPCLinkTests|NetworkLDPCTests|NetworkProcessesTests'
fi

python="${QKD_INTEROP_PYTHON:-.venv-interop/bin/python}"
"$python" Tests/Interop/etsi_client_test.py "$(swift build --show-bin-path)/qkd"
