#include "CPackedBits.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// One target word: the `count` (at most 64) bits that `indices` names, one at a time.
static uint64_t gather_word_portable(const uint64_t *source, const uint32_t *indices, size_t count) {
    uint64_t word = 0;
    for (size_t bit = 0; bit < count; bit++) {
        uint32_t index = indices[bit];
        word |= ((source[index >> 6] >> (index & 63)) & 1) << bit;
    }
    return word;
}

#if defined(__x86_64__)
/// 64 bits of the gather, eight per step: the eight source words are fetched by one VPGATHERQQ,
/// each shifted right by its bit offset, and bit 0 of each lane becomes one bit of a mask.
__attribute__((target("avx512f"))) static void gather_vector(uint64_t *target, const uint64_t *source,
                                                              const uint32_t *indices, size_t wordCount) {
    const __m512i offsetMask = _mm512_set1_epi64(63);
    const __m512i lowBit = _mm512_set1_epi64(1);
    for (size_t word = 0; word < wordCount; word++) {
        uint64_t bits = 0;
        for (int step = 0; step < 8; step++) {
            __m256i narrow = _mm256_loadu_si256((const __m256i *)(indices + 64 * word + 8 * step));
            __m512i wide = _mm512_cvtepu32_epi64(narrow);
            __m512i words = _mm512_i64gather_epi64(_mm512_srli_epi64(wide, 6), (const void *)source, 8);
            __m512i shifted = _mm512_srlv_epi64(words, _mm512_and_si512(wide, offsetMask));
            bits |= (uint64_t)_mm512_test_epi64_mask(shifted, lowBit) << (8 * step);
        }
        target[word] = bits;
    }
}
#endif

/// Whether this CPU (and its operating system) supports AVX-512F.
static bool has_vector_gather(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

void cpackedbits_gather(uint64_t *target, const uint64_t *source, const uint32_t *indices, size_t count,
                        bool allow_vector) {
    size_t fullWords = count / 64;
    size_t done = 0;
#if defined(__x86_64__)
    if (allow_vector && has_vector_gather()) {
        gather_vector(target, source, indices, fullWords);
        done = fullWords;
    }
#endif
    for (size_t word = done; word < fullWords; word++) {
        target[word] = gather_word_portable(source, indices + 64 * word, 64);
    }
    if (count % 64 != 0) {
        target[fullWords] = gather_word_portable(source, indices + 64 * fullWords, count % 64);
    }
}
