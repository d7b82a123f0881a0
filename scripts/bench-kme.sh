#!/usr/bin/env bash
# Load benchmark of `qkd kme serve` (BENCHMARKS.md): REQUESTS `GET enc_keys` (one 256-bit key
# each) over mutual TLS with keep-alive, CONCURRENCY at a time, from curl's parallel mode (one
# curl process, its connection pool reused across requests). The store is an SQLite file holding
# REQUESTS synthetic 256-bit keys (the emulated link would take hours to distil that many).
# Prints requests/s and p50/p99 latency. Usage: scripts/bench-kme.sh [REQUESTS] [CONCURRENCY]
# (QKD_BIN=path/to/qkd skips the release build and measures that binary; BENCH_ENDPOINT=status
# measures the read-only status endpoint instead of enc_keys.)
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-20000}"
concurrency="${2:-16}"
port=18480
if [ -z "${QKD_BIN:-}" ]; then
    swift build -c release --product qkd >/dev/null
fi
qkd="${QKD_BIN:-$(swift build -c release --show-bin-path)/qkd}"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

"$qkd" pki init "$work/pki" --port "$port" >/dev/null
"$qkd" kme serve --config "$work/pki/kme.json" --store "$work/kme.sqlite" >"$work/serve.log" &
server=$!
for _ in $(seq 1 50); do grep -q listening "$work/serve.log" && break; sleep 0.1; done
python3 - "$work/kme.sqlite" "$requests" <<'PY'
import os, sqlite3, sys, time, uuid
db = sqlite3.connect(sys.argv[1])
now = time.time() - 978307200
db.executemany("INSERT INTO keys (id, sequence, block_id, bit_count, material, created_at) VALUES (?, ?, 1, 256, ?, ?)",
               ((str(uuid.uuid4()).upper(), i + 1, os.urandom(32), now) for i in range(int(sys.argv[2]))))
db.commit()
PY

url="https://localhost:$port/api/v1/keys/SAE_B/${BENCH_ENDPOINT:-enc_keys}"
for _ in $(seq 1 "$requests"); do echo "url = \"$url\""; echo "output = /dev/null"; done >"$work/urls"
start=$(date +%s.%N)
curl -s --parallel --parallel-max "$concurrency" --cacert "$work/pki/ca.pem" \
     --cert "$work/pki/sae-a.pem" --key "$work/pki/sae-a-key.pem" \
     -w "%{http_code} %{time_total}\n" --config "$work/urls" >"$work/times" 2>"$work/curl.err" || true
end=$(date +%s.%N)
python3 - "$work/times" "$start" "$end" "$requests" "$concurrency" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
ok = sorted(float(t) for code, t in rows if code == "200")
elapsed = float(sys.argv[3]) - float(sys.argv[2])
pct = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] * 1000
print(f"{len(ok)}/{sys.argv[4]} requests 200 at concurrency {sys.argv[5]} in {elapsed:.2f} s: "
      f"{len(ok) / elapsed:.0f} requests/s, p50 {pct(0.50):.2f} ms, p99 {pct(0.99):.2f} ms")
PY
