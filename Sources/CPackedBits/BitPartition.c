#include "CPackedBits.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// The bits of word `word` that lie inside positions `start..<end`.
static inline uint64_t range_mask(size_t word, size_t start, size_t end) {
    uint64_t mask = ~0ULL;
    if (word == start / 64) mask &= ~0ULL << (start % 64);
    size_t upper = end - word * 64;
    if (upper < 64) mask &= (1ULL << upper) - 1;
    return mask;
}

/// Bit `i` set when `row[i] == class`, for the 64 bytes of `row` (SSE2, or one byte at a time).
static inline uint64_t class_bits_portable(const uint8_t *row, uint8_t class) {
    uint64_t bits = 0;
#if defined(__x86_64__)
    __m128i wanted = _mm_set1_epi8((char)class);
    for (int part = 0; part < 4; part++) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(row + 16 * part));
        bits |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, wanted)) << (16 * part);
    }
#else
    for (int bit = 0; bit < 64; bit++) bits |= (uint64_t)(row[bit] == class) << bit;
#endif
    return bits;
}

/// `cpackedbits_class_masks` with `class_bits` comparing a row; inlined into each path.
static inline void class_masks(const uint32_t *indices, const uint8_t *classes, size_t count, size_t class_count,
                               uint64_t *masks, size_t mask_stride, size_t block_size, uint32_t *run_starts,
                               uint64_t (*class_bits)(const uint8_t *, uint8_t)) {
    size_t block_count = (count + block_size - 1) / block_size;
    for (size_t entry = 0; entry < block_count * (class_count + 1); entry++) run_starts[entry] = 0;
    // A word at a time: its 64 positions' classes in a row (past `count`, class 0, cleared
    // below), then one mask word per class, so no mask word is read back per position. Each
    // class's count per block goes one entry up, summed into run starts at the end.
    uint8_t row[64];
    for (size_t word = 0; word * 64 < count; word++) {
        size_t first = word * 64;
        size_t width = count - first < 64 ? count - first : 64;
        // Scalar loads: vectorised, the loop moves every index through a vector register.
#pragma clang loop vectorize(disable)
        for (size_t bit = 0; bit < width; bit++) row[bit] = classes[indices[first + bit]];
        for (size_t bit = width; bit < 64; bit++) row[bit] = 0;
        uint64_t valid = width == 64 ? ~0ULL : (1ULL << width) - 1;
        size_t first_block = first / block_size;
        size_t last_block = (first + width - 1) / block_size;
        for (size_t class = 0; class < class_count; class++) {
            uint64_t bits = class_bits(row, (uint8_t)class) & valid;
            masks[class * mask_stride + word] = bits;
            if (first_block == last_block) {
                run_starts[first_block * (class_count + 1) + class + 1] += (uint32_t)__builtin_popcountll(bits);
                continue;
            }
            for (size_t block = first_block; block <= last_block; block++) {
                size_t block_end = (block + 1) * block_size < count ? (block + 1) * block_size : count;
                uint64_t inside = bits & range_mask(word, block * block_size, block_end);
                run_starts[block * (class_count + 1) + class + 1] += (uint32_t)__builtin_popcountll(inside);
            }
        }
    }
    for (size_t block = 0; block < block_count; block++) {
        uint32_t *runs = run_starts + block * (class_count + 1);
        for (size_t class = 0; class < class_count; class++) runs[class + 1] += runs[class];
    }
}

#if defined(__x86_64__)
/// `class_bits_portable` in one AVX-512BW compare.
__attribute__((target("avx512f,avx512bw"))) static inline uint64_t class_bits_avx512(const uint8_t *row, uint8_t class) {
    return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)row), _mm512_set1_epi8((char)class));
}

/// `class_masks` with AVX-512BW compares and POPCNT.
__attribute__((target("avx512f,avx512bw,popcnt"))) static void class_masks_avx512(
    const uint32_t *indices, const uint8_t *classes, size_t count, size_t class_count, uint64_t *masks,
    size_t mask_stride, size_t block_size, uint32_t *run_starts) {
    class_masks(indices, classes, count, class_count, masks, mask_stride, block_size, run_starts, class_bits_avx512);
}
#endif

void cpackedbits_class_masks(const uint32_t *indices, const uint8_t *classes, size_t count, size_t class_count,
                             uint64_t *masks, size_t mask_stride, size_t block_size, uint32_t *run_starts,
                             bool allow_avx512) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (allow_avx512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("popcnt")) {
        class_masks_avx512(indices, classes, count, class_count, masks, mask_stride, block_size, run_starts);
        return;
    }
#endif
    class_masks(indices, classes, count, class_count, masks, mask_stride, block_size, run_starts, class_bits_portable);
}

/// The low 8 bits of `bits` as 8 bytes: byte `i` is bit `i`. (Each byte of the product holds
/// the 8 bits; the mask keeps bit `i` in byte `i`, and adding 0x7F carries it to the top.)
static inline uint64_t widened(uint64_t bits) {
    uint64_t spread = ((bits & 0xFF) * 0x0101010101010101ULL) & 0x8040201008040201ULL;
    return ((spread + 0x7F7F7F7F7F7F7F7FULL) >> 7) & 0x0101010101010101ULL;
}

#if defined(__x86_64__)
/// `cpackedbits_sum_bit_planes` with AVX-512BW: each plane's word as 64 bytes of its weight
/// under its bits as a mask, ORed.
__attribute__((target("avx512f,avx512bw"))) static void sum_bit_planes_avx512(const uint64_t *planes, size_t word_count,
                                                                                 uint8_t *bytes) {
    __m512i one = _mm512_set1_epi8(1), two = _mm512_set1_epi8(2), four = _mm512_set1_epi8(4);
    for (size_t word = 0; word < word_count; word++) {
        __m512i sum = _mm512_or_si512(_mm512_maskz_mov_epi8(planes[word], one),
                                      _mm512_maskz_mov_epi8(planes[word_count + word], two));
        sum = _mm512_or_si512(sum, _mm512_maskz_mov_epi8(planes[2 * word_count + word], four));
        _mm512_storeu_si512((void *)(bytes + 64 * word), sum);
    }
}
#endif

void cpackedbits_sum_bit_planes(const uint64_t *planes, size_t word_count, uint8_t *bytes, bool allow_avx512) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (allow_avx512 && __builtin_cpu_supports("avx512bw")) {
        sum_bit_planes_avx512(planes, word_count, bytes);
        return;
    }
#endif
    for (size_t word = 0; word < word_count; word++) {
        for (unsigned part = 0; part < 8; part++) {
            uint64_t sum = widened(planes[word] >> (8 * part)) | widened(planes[word_count + word] >> (8 * part)) << 1
                | widened(planes[2 * word_count + word] >> (8 * part)) << 2;
            __builtin_memcpy(bytes + 64 * word + 8 * part, &sum, sizeof sum);
        }
    }
}

/// PEXT one bit at a time.
static inline uint64_t extract_portable(uint64_t value, uint64_t mask) {
    uint64_t packed = 0;
    for (unsigned target = 0; mask != 0; target++, mask &= mask - 1) {
        packed |= ((value >> __builtin_ctzll(mask)) & 1) << target;
    }
    return packed;
}

/// Whether PEXT is a fast instruction on this CPU (and POPCNT, which every CPU with BMI2 has).
static bool has_fast_pext(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt") && !__builtin_cpu_is("znver1")
        && !__builtin_cpu_is("znver2");
#else
    return false;
#endif
}

/// Partitions the block at positions `start..<end` (see `cpackedbits_partition_by_masks`),
/// extracting with `extract`; inlined into each path, so that the extraction is one instruction
/// where PEXT is used.
static inline void partition_block(uint64_t *words, size_t start, size_t end, const uint64_t *masks, size_t mask_stride,
                                   size_t class_count, uint64_t *scratch, uint64_t (*extract)(uint64_t, uint64_t)) {
    size_t first = start / 64;
    if (start % 64 == 0 && end - start == 64) {
        // A block of one whole word: each class's bits after the classes before.
        uint64_t value = words[first];
        uint64_t packed = 0;
        unsigned shift = 0;
        for (size_t class = 0; class < class_count; class++) {
            uint64_t selected = masks[class * mask_stride + first];
            uint64_t bits = extract(value, selected);
            packed |= shift < 64 ? bits << shift : 0;
            shift += (unsigned)__builtin_popcountll(selected);
        }
        words[first] = packed;
        return;
    }
    // Each class's bits, word by word through its mask, from a copy of the touched words, whose
    // bits in the block are then cleared.
    size_t last = (end - 1) / 64;
    for (size_t word = first; word <= last; word++) {
        scratch[word - first] = words[word];
        words[word] &= ~range_mask(word, start, end);
    }
    size_t target = start;
    for (size_t class = 0; class < class_count; class++) {
        const uint64_t *mask = masks + class * mask_stride;
        // Without branching on the data: an empty selection adds nothing (once every bit is
        // placed, to the block's last word), and the bits that spill into the next word (none
        // unless shift + count > 64) go to the same word otherwise.
        for (size_t word = first; word <= last; word++) {
            uint64_t selected = mask[word] & range_mask(word, start, end);
            uint64_t bits = extract(scratch[word - first], selected);
            unsigned count = (unsigned)__builtin_popcountll(selected);
            unsigned shift = target % 64;
            size_t index = target / 64 < last ? target / 64 : last;
            words[index] |= bits << shift;
            words[index + (shift + count > 64)] |= (bits >> 1) >> (63 - shift);
            target += count;
        }
    }
}

/// Every block of `words` through `partition_block` with `extract`.
static inline void partition_blocks(uint64_t *words, size_t count, size_t block_size, const uint64_t *masks,
                                    size_t mask_stride, size_t class_count, uint64_t *scratch,
                                    uint64_t (*extract)(uint64_t, uint64_t)) {
    for (size_t start = 0; start < count; start += block_size) {
        size_t end = count - start < block_size ? count : start + block_size;
        partition_block(words, start, end, masks, mask_stride, class_count, scratch, extract);
    }
}

#if defined(__x86_64__)
/// PEXT: the bits of `value` at the set bits of `mask`, packed towards bit 0.
__attribute__((target("bmi2"))) static inline uint64_t extract_bmi2(uint64_t value, uint64_t mask) {
    return _pext_u64(value, mask);
}

/// `partition_blocks` with PEXT and POPCNT.
__attribute__((target("bmi2,popcnt"))) static void partition_blocks_bmi2(
    uint64_t *words, size_t count, size_t block_size, const uint64_t *masks, size_t mask_stride, size_t class_count,
    uint64_t *scratch) {
    partition_blocks(words, count, block_size, masks, mask_stride, class_count, scratch, extract_bmi2);
}
#endif

void cpackedbits_partition_by_masks(uint64_t *words, size_t count, size_t block_size, const uint64_t *masks,
                                    size_t mask_stride, size_t class_count, uint64_t *scratch, bool allow_pext) {
#if defined(__x86_64__)
    if (allow_pext && has_fast_pext()) {
        partition_blocks_bmi2(words, count, block_size, masks, mask_stride, class_count, scratch);
        return;
    }
#endif
    partition_blocks(words, count, block_size, masks, mask_stride, class_count, scratch, extract_portable);
}
