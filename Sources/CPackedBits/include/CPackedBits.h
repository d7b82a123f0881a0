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

/// Writes one mask per class over positions `0..<count`: bit `p` of the `mask_stride` words at
/// `masks + c * mask_stride` is set when `classes[indices[p]] == c`, for every class `c` below
/// `class_count` (at most 256; the bits past `count` are cleared). For the blocks of
/// `block_size` positions that `0..<count` falls into (the last may be shorter), also writes to
/// `run_starts` (`class_count + 1` entries per block) where each class's run would start if
/// the block's positions were sorted by class, relative to the block, then the block's size.
/// Each word's 64 classes are loaded one by one, then compared with each class at once: with
/// `allow_avx512` and a CPU that has AVX-512BW, in one compare (and counted with POPCNT); else
/// sixteen at a time (SSE2). Both give the same masks.
void cpackedbits_class_masks(const uint32_t *indices, const uint8_t *classes, size_t count, size_t class_count,
                             uint64_t *masks, size_t mask_stride, size_t block_size, uint32_t *run_starts,
                             bool allow_avx512);

/// Sums three bit planes into bytes: byte `64 w + i` of `bytes` is bit `i` of `planes[w]`, plus
/// twice bit `i` of `planes[word_count + w]`, plus four times bit `i` of
/// `planes[2 * word_count + w]`, for `w < word_count` (a little-endian byte order). With
/// `allow_avx512` and a CPU that has AVX-512BW, a word's 64 bytes at a time (each plane's word
/// as a byte mask); otherwise 8 bytes at a time by a multiplication. Both give the same bytes.
void cpackedbits_sum_bit_planes(const uint64_t *planes, size_t word_count, uint8_t *bytes, bool allow_avx512);

/// Partitions the bits of every block of `words` (64 per word, least-significant bit first):
/// the blocks of `block_size` positions that `0..<count` falls into (the last may be shorter).
/// Inside each block, stably by class: the bits of class 0 first, in position order, then those
/// of class 1, and so on; the bits past `count` are kept. Position `p` is of class `c` when bit
/// `p` of the `mask_stride` words at `masks + c * mask_stride` is set (exactly one class per
/// position, `class_count` classes; `cpackedbits_class_masks`). `scratch` holds
/// `block_size / 64 + 2` words. With `allow_pext` and BMI2 (but not on AMD Zen 1 and 2, where
/// PEXT is microcoded), each class's bits of a word are extracted by one PEXT, else one bit at a
/// time; both paths give the same words. A block of one whole word is put together in a register.
void cpackedbits_partition_by_masks(uint64_t *words, size_t count, size_t block_size, const uint64_t *masks,
                                    size_t mask_stride, size_t class_count, uint64_t *scratch, bool allow_pext);

#endif
