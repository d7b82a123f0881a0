#include "CLDPC.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#define LLR_LIMIT 60.0f
#define SIMD_LANES 16

// phi(x) = -log(tanh(x / 2)) is tabulated on a logarithmic grid: 256 points per octave from
// 2^PHI_LOWEST_EXPONENT to 2^PHI_HIGHEST_EXPONENT, indexed directly by the top bits of the float
// (exponent and the 8 leading mantissa bits); each entry is phi at the middle of its step, so the
// relative step in x is at most 1/256 and the absolute error of phi about 2e-3 at most. The last
// entry, 0, serves every x from 2^PHI_HIGHEST_EXPONENT on (phi(32) < 1e-13). One lookup, no
// arithmetic, so the plain C and the AVX-512 paths compute the same floats.
#define PHI_LOWEST_EXPONENT (-20)
#define PHI_HIGHEST_EXPONENT 5
#define PHI_MANTISSA_BITS 8
#define PHI_FRACTION_BITS (23 - PHI_MANTISSA_BITS)
#define PHI_LAST_INDEX ((PHI_HIGHEST_EXPONENT - PHI_LOWEST_EXPONENT) << PHI_MANTISSA_BITS)
#define PHI_LOWEST_BITS ((int32_t)(127 + PHI_LOWEST_EXPONENT) << 23)

static float phi_table[PHI_LAST_INDEX + 1];
static int32_t avx512_available;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static int32_t detect_avx512(void) {
#if defined(__x86_64__)
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return 0;
    unsigned int xcr0_low, xcr0_high;
    __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    // The OS must save the SSE, AVX and the three AVX-512 register states.
    if ((xcr0_low & 0xe6) != 0xe6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & bit_AVX512F) && (ebx & bit_AVX512BW) && (ebx & bit_AVX512VL);
#else
    return 0;
#endif
}

static void setup(void) {
    for (int index = 0; index < PHI_LAST_INDEX; index++) {
        int exponent = PHI_LOWEST_EXPONENT + (index >> PHI_MANTISSA_BITS);
        double mantissa = 1.0 + ((double)(index & ((1 << PHI_MANTISSA_BITS) - 1)) + 0.5) / (1 << PHI_MANTISSA_BITS);
        double x = ldexp(mantissa, exponent);
        phi_table[index] = (float)log1p(2.0 / expm1(x));
    }
    phi_table[PHI_LAST_INDEX] = 0.0f;
    avx512_available = detect_avx512();
}

int32_t cldpc_uses_avx512(void) {
    pthread_once(&setup_once, setup);
    return avx512_available;
}

/// phi for x >= +0 (never -0 or NaN).
static inline float phi(float x) {
    int32_t bits;
    memcpy(&bits, &x, sizeof bits);
    int32_t offset = bits - PHI_LOWEST_BITS;
    if (offset < 0) offset = 0;
    int32_t index = offset >> PHI_FRACTION_BITS;
    if (index > PHI_LAST_INDEX) index = PHI_LAST_INDEX;
    return phi_table[index];
}

static inline float negate_if(float x, uint32_t negative) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits ^= negative << 31;
    memcpy(&x, &bits, sizeof bits);
    return x;
}

/// One row of block `block` (row offset `offset`): the check update and the posterior updates.
/// Returns 1 if the posterior signs met the row's syndrome bit as the row was reached.
static inline uint32_t update_row(const cldpc_graph *graph, int32_t block, int32_t offset, const uint8_t *syndrome,
                                  float *posterior, float *check_message) {
    const int32_t lifting = graph->lifting;
    const int32_t degree = graph->block_degree[block];
    const int32_t *variables = graph->edge_variable + graph->block_edge_start[block] + offset;
    float *messages = check_message + graph->block_edge_start[block] + offset;
    float extrinsic[CLDPC_MAXIMUM_ROW_DEGREE];
    float magnitude_phi[CLDPC_MAXIMUM_ROW_DEGREE];
    float phi_sum = 0.0f;
    const uint32_t required = syndrome[block * lifting + offset] != 0;
    uint32_t negative_parity = required;
    uint32_t hard_parity = required;
    for (int32_t k = 0; k < degree; k++) {
        float prior = posterior[variables[k * lifting]];
        float t = prior - messages[k * lifting];
        extrinsic[k] = t;
        float p = phi(fabsf(t));
        magnitude_phi[k] = p;
        phi_sum += p;
        negative_parity ^= (t < 0.0f);
        hard_parity ^= (prior < 0.0f);
    }
    for (int32_t k = 0; k < degree; k++) {
        float t = extrinsic[k];
        float others = phi_sum - magnitude_phi[k];
        float message = negate_if(phi(others > 0.0f ? others : 0.0f), negative_parity ^ (t < 0.0f));
        float updated = t + message;
        updated = updated < -LLR_LIMIT ? -LLR_LIMIT : updated;
        updated = updated > LLR_LIMIT ? LLR_LIMIT : updated;
        messages[k * lifting] = message;
        posterior[variables[k * lifting]] = updated;
    }
    return hard_parity;
}

/// One iteration over every row in plain C; returns the rows missed as they were reached.
static int32_t iterate_plain(const cldpc_graph *graph, const uint8_t *syndrome, float *posterior, float *check_message) {
    int32_t missed = 0;
    for (int32_t block = 0; block < graph->block_count; block++) {
        for (int32_t offset = 0; offset < graph->lifting; offset++) {
            missed += (int32_t)update_row(graph, block, offset, syndrome, posterior, check_message);
        }
    }
    return missed;
}

#if defined(__x86_64__)
#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,popcnt")))

AVX512_TARGET static inline __m512 phi16(__m512 x) {
    __m512i offset = _mm512_sub_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(PHI_LOWEST_BITS));
    offset = _mm512_max_epi32(offset, _mm512_setzero_si512());
    __m512i index = _mm512_min_epi32(_mm512_srli_epi32(offset, PHI_FRACTION_BITS), _mm512_set1_epi32(PHI_LAST_INDEX));
    return _mm512_i32gather_ps(index, phi_table, 4);
}

/// One iteration with the rows of a block 16 at a time in AVX-512 lanes: the same operations
/// in the same order per row as `update_row` (the rows of a block share no variable).
AVX512_TARGET static int32_t iterate_avx512(const cldpc_graph *graph, const uint8_t *syndrome, float *posterior, float *check_message) {
    const int32_t lifting = graph->lifting;
    const __m512 zero = _mm512_setzero_ps();
    const __m512i sign_bit = _mm512_set1_epi32((int32_t)0x80000000u);
    const __m512i magnitude_bits = _mm512_set1_epi32(0x7fffffff);
    const __m512 upper = _mm512_set1_ps(LLR_LIMIT);
    const __m512 lower = _mm512_set1_ps(-LLR_LIMIT);
    __m512 extrinsic[CLDPC_MAXIMUM_ROW_DEGREE];
    __m512 magnitude_phi[CLDPC_MAXIMUM_ROW_DEGREE];
    int32_t missed = 0;
    for (int32_t block = 0; block < graph->block_count; block++) {
        const int32_t degree = graph->block_degree[block];
        const int32_t start = graph->block_edge_start[block];
        for (int32_t offset = 0; offset < lifting; offset += SIMD_LANES) {
            const int32_t lanes = lifting - offset < SIMD_LANES ? lifting - offset : SIMD_LANES;
            const __mmask16 active = (__mmask16)((1u << lanes) - 1u);
            const __m128i syndrome_bytes = _mm_maskz_loadu_epi8(active, syndrome + (size_t)block * lifting + offset);
            const __mmask16 required = _mm_mask_test_epi8_mask(active, syndrome_bytes, syndrome_bytes);
            __mmask16 negative_parity = required;
            __mmask16 hard_parity = required;
            __m512 phi_sum = zero;
            const int32_t *variables = graph->edge_variable + start + offset;
            float *messages = check_message + start + offset;
            for (int32_t k = 0; k < degree; k++) {
                __m512i index = _mm512_maskz_loadu_epi32(active, variables + (size_t)k * lifting);
                __m512 prior = _mm512_mask_i32gather_ps(zero, active, index, posterior, 4);
                __m512 t = _mm512_sub_ps(prior, _mm512_maskz_loadu_ps(active, messages + (size_t)k * lifting));
                extrinsic[k] = t;
                __m512 p = phi16(_mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(t), magnitude_bits)));
                magnitude_phi[k] = p;
                phi_sum = _mm512_add_ps(phi_sum, p);
                negative_parity ^= _mm512_cmp_ps_mask(t, zero, _CMP_LT_OQ);
                hard_parity ^= _mm512_cmp_ps_mask(prior, zero, _CMP_LT_OQ);
            }
            for (int32_t k = 0; k < degree; k++) {
                __m512 t = extrinsic[k];
                __m512 others = _mm512_max_ps(_mm512_sub_ps(phi_sum, magnitude_phi[k]), zero);
                __mmask16 negative = negative_parity ^ _mm512_cmp_ps_mask(t, zero, _CMP_LT_OQ);
                __m512i magnitude = _mm512_castps_si512(phi16(others));
                __m512i message_bits = _mm512_mask_xor_epi32(magnitude, negative, magnitude, sign_bit);
                __m512 message = _mm512_castsi512_ps(message_bits);
                __m512 updated = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(t, message), lower), upper);
                _mm512_mask_storeu_ps(messages + (size_t)k * lifting, active, message);
                __m512i index = _mm512_maskz_loadu_epi32(active, variables + (size_t)k * lifting);
                _mm512_mask_i32scatter_ps(posterior, active, index, updated, 4);
            }
            missed += __builtin_popcount((unsigned)(hard_parity & active));
        }
    }
    return missed;
}
#endif

static void decide(const float *posterior, int32_t variables, uint8_t *hard_decision) {
    for (int32_t v = 0; v < variables; v++) hard_decision[v] = posterior[v] < 0.0f;
}

static int syndrome_satisfied(const cldpc_graph *graph, const uint8_t *syndrome, const uint8_t *hard_decision) {
    uint8_t parity[8192];
    const int32_t lifting = graph->lifting;
    for (int32_t block = 0; block < graph->block_count; block++) {
        const uint8_t *required = syndrome + (size_t)block * lifting;
        const int32_t *variables = graph->edge_variable + graph->block_edge_start[block];
        for (int32_t offset0 = 0; offset0 < lifting; offset0 += (int32_t)sizeof parity) {
            int32_t count = lifting - offset0 < (int32_t)sizeof parity ? lifting - offset0 : (int32_t)sizeof parity;
            memcpy(parity, required + offset0, (size_t)count);
            for (int32_t k = 0; k < graph->block_degree[block]; k++) {
                const int32_t *slot = variables + (size_t)k * lifting + offset0;
                for (int32_t offset = 0; offset < count; offset++) parity[offset] ^= hard_decision[slot[offset]];
            }
            for (int32_t offset = 0; offset < count; offset++) {
                if (parity[offset]) return 0;
            }
        }
    }
    return 1;
}

int32_t cldpc_decode_syndrome(const cldpc_graph *graph, const uint8_t *syndrome, const float *channel_llr,
                              float *posterior, float *check_message, uint8_t *hard_decision,
                              int32_t maximum_iterations, int32_t stall_iterations, int32_t resume, int32_t allow_avx512) {
    pthread_once(&setup_once, setup);
    const int32_t vectorised = allow_avx512 && avx512_available;
    const int32_t variables = graph->variables;
    const int32_t edges = graph->block_edge_start[graph->block_count];
    memcpy(posterior, channel_llr, sizeof(float) * (size_t)variables);
    if (resume) {
        for (int32_t edge = 0; edge < edges; edge++) posterior[graph->edge_variable[edge]] += check_message[edge];
    } else {
        memset(check_message, 0, sizeof(float) * (size_t)edges);
    }
    decide(posterior, variables, hard_decision);
    if (syndrome_satisfied(graph, syndrome, hard_decision)) return 1;

    int32_t fewest_missed = INT32_MAX;
    int32_t since_fewest = 0;
    for (int32_t iteration = 1; iteration <= maximum_iterations; iteration++) {
        int32_t missed;
#if defined(__x86_64__)
        if (vectorised) {
            missed = iterate_avx512(graph, syndrome, posterior, check_message);
        } else {
            missed = iterate_plain(graph, syndrome, posterior, check_message);
        }
#else
        (void)vectorised;
        missed = iterate_plain(graph, syndrome, posterior, check_message);
#endif
        if (missed == 0) {
            decide(posterior, variables, hard_decision);
            if (syndrome_satisfied(graph, syndrome, hard_decision)) return iteration;
        }
        if (missed < fewest_missed) {
            fewest_missed = missed;
            since_fewest = 0;
        } else if (stall_iterations > 0 && ++since_fewest >= stall_iterations) {
            decide(posterior, variables, hard_decision);
            return -iteration;
        }
    }
    decide(posterior, variables, hard_decision);
    return -maximum_iterations;
}
