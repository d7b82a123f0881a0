#ifndef CPACKEDBITS_H
#define CPACKEDBITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Gathers bits through an index table: bit `p` of `target` becomes bit `indices[p]` of `source`,
/// for `p < count`. Bits are packed into 64-bit words least-significant bit first; `target` holds
/// `(count + 63) / 64` words and its bits past `count` are cleared; every index must lie inside
/// `source`. With `allow_vector` and a CPU that has AVX-512F, eight bits are fetched per vector
/// gather (VPGATHERQQ), a variable shift and a test; otherwise one bit at a time. Both give the
/// same words.
void cpackedbits_gather(uint64_t *target, const uint64_t *source, const uint32_t *indices, size_t count,
                        bool allow_vector);

#endif
