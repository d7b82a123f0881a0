#!/usr/bin/env python3
"""Times `qkd bench extract` and cryptomite's Toeplitz extractor side by side, in one run.

Needs cryptomite installed in the Python that runs this script (it is not part of QKDKit):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install cryptomite
    swift build -c release
    /tmp/venv/bin/python scripts/bench_toeplitz_vs_cryptomite.py --qkd .build/release/qkd

First it checks that both give the same hash (through `qkd extract toeplitz` with text files),
once on the Karatsuba path and once on the additive-FFT path.
cryptomite's Toeplitz(n, m).extract(x, s') uses another seed layout; with our seed s (T[i][j] =
s[i - j + n - 1]) the same matrix is s' = s[n-1 : n+m-1] + s[0 : n-1]. Then, for every n and
m = n/2, n/10: cryptomite (extract() alone, on Python lists of bits, in a child process with a
timeout and an address-space cap; peak memory is the child's ru_maxrss) and ours with 1 and 2 threads. Prints a Markdown
table.
"""
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time


def cryptomite_child(n, m, memory_limit_bytes):
    # The machine is shared: cap the address space so a huge case fails alone instead of
    # pushing everyone else into swap.
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
    from cryptomite import Toeplitz
    rng = random.Random(1)
    x = [rng.getrandbits(1) for _ in range(n)]
    s = [rng.getrandbits(1) for _ in range(n + m - 1)]
    start = time.perf_counter()
    Toeplitz(n, m).extract(x, s)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peakMemoryBytes": peak}))


def time_cryptomite(n, m, timeout, memory_limit_gb):
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, __file__, "--child", str(n), str(m), str(memory_limit_gb * 2**30)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"failed after {time.perf_counter() - start:.0f} s under the {memory_limit_gb} GiB cap: {last[:60]}"
    return json.loads(done.stdout)


def time_ours(qkd, n, m, threads):
    done = subprocess.run([qkd, "bench", "extract", "--input-length", str(n), "--output-length", str(m),
                           "--threads", str(threads), "--json"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def check_same_hash(qkd, n, m):
    from cryptomite import Toeplitz
    rng = random.Random(7)
    x = [rng.getrandbits(1) for _ in range(n)]
    s = [rng.getrandbits(1) for _ in range(n + m - 1)]
    theirs = Toeplitz(n, m).extract(x, s[n - 1:n + m - 1] + s[:n - 1])
    with tempfile.TemporaryDirectory() as folder:
        for name, bits in (("x.txt", x), ("s.txt", s)):
            with open(os.path.join(folder, name), "w") as handle:
                handle.write("".join(map(str, bits)))
        out = subprocess.run([qkd, "extract", "toeplitz", "--input-length", str(n), "--output-length", str(m),
                              "--seed-file", os.path.join(folder, "s.txt"),
                              "--input-file", os.path.join(folder, "x.txt")],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = [int(c) for c in out]
    print(f"same hash as cryptomite at n = {n}, m = {m}: {ours == theirs}", flush=True)
    return ours == theirs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qkd", default=".build/release/qkd")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**6, 10**7, 10**8])
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cryptomite case")
    parser.add_argument("--memory-limit-gb", type=int, default=12, help="address-space cap per cryptomite case")
    args = parser.parse_args()
    # Karatsuba below 2^23 output bits, the additive FFT above.
    for n, m in ((100_003, 40_001), (10_000_000, 9_000_000)):
        if not check_same_hash(args.qkd, n, m):
            sys.exit("the hashes differ")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| n | m | cryptomite 0.3.0 | ours, 1 thread | ours, 2 threads | speed-up (2 threads) |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        for m in (n // 2, n // 10):
            theirs = time_cryptomite(n, m, args.timeout, args.memory_limit_gb)
            one = time_ours(args.qkd, n, m, 1)
            two = time_ours(args.qkd, n, m, 2)
            ours = [f"{r['seconds']:.3f} s, {r['inputMbps']:.1f} Mbit/s, {r['peakMemoryBytes'] / 1e6:.0f} MB" for r in (one, two)]
            if isinstance(theirs, dict):
                cell = f"{theirs['seconds']:.2f} s, {n / theirs['seconds'] / 1e6:.2f} Mbit/s, {theirs['peakMemoryBytes'] / 1e6:.0f} MB"
                ratio = f"{theirs['seconds'] / two['seconds']:.0f}x"
            else:
                cell, ratio = theirs, "n/a"
            print(f"| {n:.0e} | {m:.0e} | {cell} | {ours[0]} | {ours[1]} | {ratio} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        cryptomite_child(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
