#!/usr/bin/env python3
"""Known-answer vectors for ToeplitzHashTests, computed from the definition and nothing else.

y_i = XOR over j of s[i - j + n - 1] * x_j for i < m, j < n (seed s of n + m - 1 bits).

Bits come from xorshift64 (x ^= x << 13; x ^= x >> 7; x ^= x << 17, mod 2^64) started at the
given state: each step gives 64 bits, least-significant first; the input takes the first
ceil(n / 64) words (truncated to n bits), the seed the next ceil((n + m - 1) / 64) words.
The hash is printed as hex of its bits packed most-significant bit first into bytes.
Run: python3 scripts/toeplitz_known_answers.py (prints the Swift literals pasted into the test).
"""

MASK = (1 << 64) - 1


def bits(state, count):
    words = []
    while len(words) * 64 < count:
        state ^= (state << 13) & MASK
        state ^= state >> 7
        state ^= (state << 17) & MASK
        words.append(state)
    out = [(words[k // 64] >> (k % 64)) & 1 for k in range(count)]
    return out, state


def toeplitz(x, s, m):
    n = len(x)
    ones = [j for j in range(n) if x[j]]
    return [sum(s[i - j + n - 1] for j in ones) & 1 for i in range(m)]


def hex_msb_first(y):
    data = bytearray((len(y) + 7) // 8)
    for k, bit in enumerate(y):
        if bit:
            data[k // 8] |= 0x80 >> (k % 8)
    return data.hex()


CASES = [(77, 50, 1), (2300, 2300, 2), (4500, 1000, 3), (5000, 4100, 4), (4097, 4095, 5)]

for n, m, start in CASES:
    x, state = bits(start, n)
    s, _ = bits(state, n + m - 1)
    print(f'({n}, {m}, {start}, "{hex_msb_first(toeplitz(x, s, m))}"),')
