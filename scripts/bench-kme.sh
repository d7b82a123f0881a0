#!/usr/bin/env bash
# Load benchmark of `qkd kme serve` (BENCHMARKS.md): REQUESTS `GET enc_keys` (one 256-bit key
# each) over mutual TLS with keep-alive, CONCURRENCY at a time, from curl's parallel mode (one
# curl process, its connection pool reused across requests). The store is an SQLite file holding
# REQUESTS synthetic 256-bit keys (the emulated link would take hours to distil that many).
# Prints requests/s and p50/p99 latency. Usage: scripts/bench-kme.sh [REQUESTS] [CONCURRENCY]
# (QKD_BIN=path/to/qkd skips the release build and measures that binary; BENCH_ENDPOINT=status
# measures the read-only status endpoint instead of enc_keys; BENCH_PEER=1 runs a KME at each end
# of the link, kme-a.json and kme-b.json, each with its own store holding the same 3 x REQUESTS keys (KME_A hands out its half),
# so that every enc_keys at KME_A is confirmed by KME_B over mutual TLS before it is answered.)
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
peer=""
trap 'for pid in $server $peer; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT

"$qkd" pki init "$work/pki" --port "$port" >/dev/null
stores=("$work/kme.sqlite")
if [ -n "${BENCH_PEER:-}" ]; then
    stores=("$work/kme-a.sqlite" "$work/kme-b.sqlite")
    "$qkd" kme serve --config "$work/pki/kme-b.json" --store "${stores[1]}" >"$work/serve-b.log" &
    peer=$!
    "$qkd" kme serve --config "$work/pki/kme-a.json" --store "${stores[0]}" >"$work/serve.log" &
else
    "$qkd" kme serve --config "$work/pki/kme.json" --store "${stores[0]}" >"$work/serve.log" &
fi
server=$!
for log in "$work/serve.log" ${BENCH_PEER:+"$work/serve-b.log"}; do
    for _ in $(seq 1 50); do grep -qs listening "$log" && break; sleep 0.1; done
done
python3 - "$requests" "${BENCH_PEER:+3}" "${stores[@]}" <<'PY'
import os, sqlite3, sys, time, uuid
now = time.time() - 978307200
rows = [(str(uuid.uuid4()).upper(), i + 1, os.urandom(32), now) for i in range(int(sys.argv[1]) * int(sys.argv[2] or 1))]
for path in sys.argv[3:]:
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO keys (id, sequence, block_id, bit_count, material, created_at) VALUES (?, ?, 1, 256, ?, ?)", rows)
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
