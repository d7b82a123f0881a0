#!/usr/bin/env python3
"""Interop test: the third-party PyPI client `etsi-qkd-014-client` against a live `qkd kme serve`.

Runs the real path: `qkd demo` distils keys into an SQLite store, `qkd pki init` makes the
certificates, `qkd kme serve` serves the store over mutual TLS on a free loopback port, and the
client, as the master SAE then as the slave SAE, asks for the status, a new key, and the same key
by its ID. The master's and the slave's keys must be equal. The server is always stopped.

Usage: etsi_client_test.py PATH_TO_QKD
Prints '3 passed, 0 failed' (or which check failed) and exits non-zero on any failure.
"""
import base64
import os
import subprocess
import sys
import tempfile

from etsi_qkd_014_client import QKD014Client


def main() -> int:
    qkd = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="qkd-interop-") as folder:
        subprocess.run([qkd, "demo", "--distance", "60", "--duration", "30s", "--json",
                        "--key-dir", os.path.join(folder, "keys")], check=True, stdout=subprocess.DEVNULL)
        pki = os.path.join(folder, "pki")
        subprocess.run([qkd, "pki", "init", pki, "--port", "0"], check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen(
            [qkd, "kme", "serve", "--config", os.path.join(pki, "kme.json"),
             "--store", os.path.join(folder, "keys", "alice.sqlite")],
            stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline().strip()
            if not line.startswith("listening on https://"):
                print(f"0 passed, 3 failed: the KME did not start ({line!r})")
                return 1
            port = line.rsplit(":", 1)[1]
            return run_checks(f"localhost:{port}", pki)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def run_checks(hostname: str, pki: str) -> int:
    def client(sae: str) -> QKD014Client:
        name = sae.lower().replace("_", "-")
        return QKD014Client(hostname, os.path.join(pki, f"{name}.pem"), os.path.join(pki, f"{name}-key.pem"),
                            os.path.join(pki, "ca.pem"))

    master, slave = client("SAE_A"), client("SAE_B")
    passed, failed = 0, 0

    code, status = master.get_status("SAE_B")
    if code == 200 and status.slave_sae_id == "SAE_B" and status.stored_key_count > 0:
        passed += 1
    else:
        failed += 1
        print(f"FAIL status: {code} {status}")

    code, container = master.get_key("SAE_B", number=2, size=256)
    master_keys = {key.key_id: key.key for key in container.keys} if code == 200 else {}
    if code == 200 and len(master_keys) == 2 and all(len(base64.b64decode(k)) == 32 for k in master_keys.values()):
        passed += 1
    else:
        failed += 1
        print(f"FAIL get_key: {code} {container}")

    code, container = slave.get_key_with_key_IDs("SAE_A", list(master_keys))
    slave_keys = {key.key_id: key.key for key in container.keys} if code == 200 else {}
    if code == 200 and master_keys and slave_keys == master_keys:
        passed += 1
    else:
        failed += 1
        print(f"FAIL get_key_with_key_IDs: {code} (keys equal: {slave_keys == master_keys})")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
