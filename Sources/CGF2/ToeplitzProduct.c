// The Toeplitz hash over GF(2) as a middle product of polynomials.
//
// With X(t) = sum x_j t^j and S(t) = sum s_k t^k, y_i is the coefficient of t^(i + n - 1) in
// S(t) X(t). Shifting S up by one bit and X up by p = 64 ceil(n / 64) - n bits aligns that window
// to whole 64-bit words: with N = ceil(n / 64) input words, output word q is word N + q of the
// product. Everything below computes such word-aligned middle products:
//
//   MP(y, s, x, N): y[q] ^= word N + q of s * x, for q < N, with s of 2N words and x of N words.
//
// Karatsuba for the middle product (Hanrot, Quercia, Zimmermann 2004; over GF(2) there are no
// signs): with h = N / 2, x = x0 + t^64h x1 and s1 = s + h, s2 = s + 2h,
//   P = MP(s1, x0 + x1),  y0 = P + MP(s + s1, x1),  y1 = P + MP(s2 + s1, x0),
// three half-size middle products, so the cost is that of one N-word product. N is padded with
// zero words to c 2^k with c at most the base-case size, so every level halves evenly.
// Rectangular m x n problems are cut into square ones (Euclid-style on the word counts).

#include "CGF2.h"
#include "AdditiveFFT.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum {
    /// Middle products of at most this many words run the schoolbook base case.
    baseWords = 48,
    /// Square middle products of at least this many words are split over threads.
    parallelMinimumWords = 2048,
    /// Automatic kernel choice: outputs of at least this many bits use the additive FFT (below,
    /// Karatsuba's (n / m) M(m) beats the FFT's cost of the whole (2n + m)-bit product).
    fftMinimumOutputBits = 1 << 23,
    /// Karatsuba levels unrolled into independent tasks for the threads (3^3 = 27 tasks).
    parallelLevels = 3,
    maximumTasks = 27,
    maximumNodes = 13,
};

typedef void (*BaseCase)(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n);
typedef struct {
    BaseCase base;
} Kernel;

// MARK: - Portable kernel

static void multiply_portable(uint64_t a, uint64_t b, uint64_t *low, uint64_t *high) {
    uint64_t lowBits = b & -(a & 1);
    uint64_t highBits = 0;
    for (int bit = 1; bit < 64; bit++) {
        uint64_t mask = -((a >> bit) & 1);
        lowBits ^= (b << bit) & mask;
        highBits ^= (b >> (64 - bit)) & mask;
    }
    *low = lowBits;
    *high = highBits;
}

/// Z_k = sum over b of clmul(s[k - b], x[b]) for k = n - 1 ... 2n - 1, then
/// y[q] ^= low(Z_(n+q)) ^ high(Z_(n+q-1)).
static void base_portable(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n) {
    uint64_t zLow[baseWords + 1];
    uint64_t zHigh[baseWords + 1];
    for (size_t k = 0; k <= n; k++) {
        uint64_t low = 0, high = 0;
        for (size_t b = 0; b < n; b++) {
            uint64_t productLow, productHigh;
            multiply_portable(s[n - 1 + k - b], x[b], &productLow, &productHigh);
            low ^= productLow;
            high ^= productHigh;
        }
        zLow[k] = low;
        zHigh[k] = high;
    }
    for (size_t q = 0; q < n; q++) y[q] ^= zLow[q + 1] ^ zHigh[q];
}

static const Kernel portableKernel = {base_portable};

// MARK: - AVX-512 VPCLMULQDQ kernel

#if defined(__x86_64__)
#define VECTOR_TARGET __attribute__((target("pclmul,avx512f,vpclmulqdq")))

/// The same Z_k as the portable base case, eight k at a time: one 512-bit load of
/// s[k0 - b ... k0 - b + 7] against x[b] broadcast gives Z_(k0 + even) with the low-qword selector
/// and Z_(k0 + odd) with the high-qword selector.
VECTOR_TARGET static void base_vector(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n) {
    uint64_t z[2 * (baseWords + 9)];
    for (size_t k0 = 0; k0 <= n; k0 += 8) {
        __m512i even = _mm512_setzero_si512();
        __m512i odd = _mm512_setzero_si512();
        for (size_t b = 0; b < n; b++) {
            size_t start = n - 1 + k0 - b;
            size_t available = 2 * n - start;
            __mmask8 mask = available >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << available) - 1);
            __m512i seedWords = _mm512_maskz_loadu_epi64(mask, s + start);
            __m512i inputWord = _mm512_set1_epi64((long long)x[b]);
            even = _mm512_xor_si512(even, _mm512_clmulepi64_epi128(seedWords, inputWord, 0x00));
            odd = _mm512_xor_si512(odd, _mm512_clmulepi64_epi128(seedWords, inputWord, 0x01));
        }
        uint64_t evenWords[8], oddWords[8];
        _mm512_storeu_si512(evenWords, even);
        _mm512_storeu_si512(oddWords, odd);
        for (size_t lane = 0; lane < 4; lane++) {
            size_t k = k0 + 2 * lane;
            z[2 * k] = evenWords[2 * lane];
            z[2 * k + 1] = evenWords[2 * lane + 1];
            z[2 * k + 2] = oddWords[2 * lane];
            z[2 * k + 3] = oddWords[2 * lane + 1];
        }
    }
    for (size_t q = 0; q < n; q++) y[q] ^= z[2 * (q + 1)] ^ z[2 * q + 1];
}

static const Kernel vectorKernel = {base_vector};
#endif

bool cgf2_has_vector_clmul(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("vpclmulqdq");
#else
    return false;
#endif
}

const char *cgf2_algorithm_name(size_t m) {
    if (!cgf2_has_vector_clmul()) return "karatsuba-portable";
    return m >= fftMinimumOutputBits ? "additive-fft" : "karatsuba-vpclmulqdq";
}

static const Kernel *kernel_for(CGF2Kernel choice) {
#if defined(__x86_64__)
    if (choice != CGF2KernelPortable && cgf2_has_vector_clmul()) return &vectorKernel;
#endif
    (void)choice;
    return &portableKernel;
}

// MARK: - Karatsuba middle product

/// Words of scratch the sequential middle product of n words needs.
static size_t scratch_words(size_t n) { return 4 * n + 64; }

/// y[q] ^= word n + q of s * x (q < n); s has 2n words, x has n words; n is at most baseWords
/// or even, and so are all its halvings above baseWords (see padded_length).
static void middle_product(const Kernel *kernel, uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n,
                           uint64_t *scratch) {
    if (n <= baseWords) {
        kernel->base(y, s, x, n);
        return;
    }
    size_t h = n / 2;
    uint64_t *inputSum = scratch;
    uint64_t *seedSum = scratch + h;
    uint64_t *shared = scratch + 3 * h;
    uint64_t *rest = scratch + 4 * h;
    for (size_t i = 0; i < h; i++) inputSum[i] = x[i] ^ x[h + i];
    memset(shared, 0, h * sizeof(uint64_t));
    middle_product(kernel, shared, s + h, inputSum, h, rest);
    for (size_t i = 0; i < h; i++) {
        y[i] ^= shared[i];
        y[h + i] ^= shared[i];
    }
    for (size_t i = 0; i < 2 * h; i++) seedSum[i] = s[i] ^ s[h + i];
    middle_product(kernel, y, seedSum, x + h, h, rest);
    for (size_t i = 0; i < 2 * h; i++) seedSum[i] = s[2 * h + i] ^ s[h + i];
    middle_product(kernel, y + h, seedSum, x, h, rest);
}

// MARK: - Two or more threads

typedef struct {
    uint64_t *y;
    const uint64_t *s;
    const uint64_t *x;
    size_t n;
} Task;

/// After the tasks ran: y[i] ^= shared[i] and y[h + i] ^= shared[i] (children before parents).
typedef struct {
    uint64_t *y;
    uint64_t *shared;
    size_t h;
} Combine;

typedef struct {
    const Kernel *kernel;
    Task tasks[maximumTasks];
    size_t taskCount;
    Combine combines[maximumNodes];
    size_t combineCount;
    size_t largestTask;
    atomic_size_t nextTask;
    atomic_size_t finishedTasks;
} Plan;

/// Unrolls `levels` Karatsuba levels: computes the operand sums now and records the
/// sub-products as independent tasks; each node's shared product is a buffer of its own.
static int plan_middle_product(Plan *plan, uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n, int levels) {
    if (levels == 0 || n <= baseWords) {
        plan->tasks[plan->taskCount++] = (Task){y, s, x, n};
        if (n > plan->largestTask) plan->largestTask = n;
        return 0;
    }
    size_t h = n / 2;
    uint64_t *buffer = calloc(6 * h, sizeof(uint64_t));
    if (buffer == NULL) return -1;
    uint64_t *shared = buffer;
    uint64_t *inputSum = buffer + h;
    uint64_t *lowSeedSum = buffer + 2 * h;
    uint64_t *highSeedSum = buffer + 4 * h;
    for (size_t i = 0; i < h; i++) inputSum[i] = x[i] ^ x[h + i];
    for (size_t i = 0; i < 2 * h; i++) {
        lowSeedSum[i] = s[i] ^ s[h + i];
        highSeedSum[i] = s[2 * h + i] ^ s[h + i];
    }
    int status = plan_middle_product(plan, shared, s + h, inputSum, h, levels - 1);
    if (status == 0) status = plan_middle_product(plan, y, lowSeedSum, x + h, h, levels - 1);
    if (status == 0) status = plan_middle_product(plan, y + h, highSeedSum, x, h, levels - 1);
    plan->combines[plan->combineCount++] = (Combine){y, shared, h};
    return status;
}

static void *run_tasks(void *argument) {
    Plan *plan = argument;
    uint64_t *scratch = malloc(scratch_words(plan->largestTask) * sizeof(uint64_t));
    if (scratch == NULL) return NULL;
    for (;;) {
        size_t index = atomic_fetch_add(&plan->nextTask, 1);
        if (index >= plan->taskCount) break;
        Task task = plan->tasks[index];
        middle_product(plan->kernel, task.y, task.s, task.x, task.n, scratch);
        atomic_fetch_add(&plan->finishedTasks, 1);
    }
    free(scratch);
    return NULL;
}

static int parallel_middle_product(const Kernel *kernel, uint64_t *y, const uint64_t *s, const uint64_t *x,
                                   size_t n, int threads) {
    Plan *plan = calloc(1, sizeof(Plan));
    if (plan == NULL) return -1;
    plan->kernel = kernel;
    int status = plan_middle_product(plan, y, s, x, n, parallelLevels);
    if (status == 0) {
        pthread_t helpers[threads - 1];
        int started = 0;
        for (int index = 0; index < threads - 1; index++) {
            if (pthread_create(&helpers[started], NULL, run_tasks, plan) == 0) started++;
        }
        run_tasks(plan);
        for (int index = 0; index < started; index++) pthread_join(helpers[index], NULL);
        if (atomic_load(&plan->finishedTasks) != plan->taskCount) status = -1;
    }
    for (size_t index = 0; index < plan->combineCount; index++) {
        Combine combine = plan->combines[index];
        if (status == 0) {
            for (size_t i = 0; i < combine.h; i++) {
                combine.y[i] ^= combine.shared[i];
                combine.y[combine.h + i] ^= combine.shared[i];
            }
        }
        free(combine.shared);
    }
    free(plan);
    return status;
}

// MARK: - Rectangular middle products

typedef struct {
    const Kernel *kernel;
    int threads;
    uint64_t *scratch;
} Context;

/// The smallest c * 2^k >= n with c <= baseWords: Karatsuba then halves evenly down to the base case.
static size_t padded_length(size_t n) {
    unsigned levels = 0;
    while (((n + ((size_t)1 << levels) - 1) >> levels) > baseWords) levels++;
    size_t blocks = (n + ((size_t)1 << levels) - 1) >> levels;
    return blocks << levels;
}

static int padded_middle_product(const Context *context, uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n) {
    if (context->threads > 1 && n >= parallelMinimumWords) {
        return parallel_middle_product(context->kernel, y, s, x, n, context->threads);
    }
    middle_product(context->kernel, y, s, x, n, context->scratch);
    return 0;
}

/// MP(y, s, x, n) for any n: with p = padded_length(n) - n zero words, x becomes x followed by
/// p zeros, s becomes p zeros, s, p zeros, and the first n output words are unchanged.
static int square_middle_product(const Context *context, uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n) {
    size_t padded = padded_length(n);
    if (padded == n) return padded_middle_product(context, y, s, x, n);
    size_t padding = padded - n;
    uint64_t *buffer = calloc(4 * padded, sizeof(uint64_t));
    if (buffer == NULL) return -1;
    uint64_t *paddedSeed = buffer;
    uint64_t *paddedInput = buffer + 2 * padded;
    uint64_t *paddedOutput = buffer + 3 * padded;
    memcpy(paddedSeed + padding, s, 2 * n * sizeof(uint64_t));
    memcpy(paddedInput, x, n * sizeof(uint64_t));
    int status = padded_middle_product(context, paddedOutput, paddedSeed, paddedInput, padded);
    for (size_t i = 0; i < n; i++) y[i] ^= paddedOutput[i];
    free(buffer);
    return status;
}

/// y[q] ^= word n + q of s * x for q < m; s has n + m words, x has n words.
static int rectangular_middle_product(const Context *context, uint64_t *y, size_t m, const uint64_t *s,
                                      const uint64_t *x, size_t n) {
    while (m > 0 && n > 0) {
        if (m <= n) {
            // x in chunks of m words; chunk k enters output word q as word m + q of (s + n - m(k+1)) * x_k.
            size_t chunks = n / m;
            for (size_t k = 0; k < chunks; k++) {
                int status = square_middle_product(context, y, s + n - m * (k + 1), x + m * k, m);
                if (status != 0) return status;
            }
            x += m * chunks;
            n -= m * chunks;
        } else {
            // y in chunks of n words; chunk k is MP(s + nk, x).
            size_t chunks = m / n;
            for (size_t k = 0; k < chunks; k++) {
                int status = square_middle_product(context, y + n * k, s + n * k, x, n);
                if (status != 0) return status;
            }
            y += n * chunks;
            s += n * chunks;
            m -= n * chunks;
        }
    }
    return 0;
}

#if defined(__x86_64__)
/// y = bits n - 1 ... n + m - 2 of the full product seed * input, by the additive FFT.
static int fft_toeplitz_hash(uint64_t *output, const uint64_t *seed, const uint64_t *input, size_t n, size_t m,
                             int threads) {
    size_t inputWords = (n + 63) / 64;
    size_t seedWords = (n + m - 1 + 63) / 64;
    size_t productWords = inputWords + seedWords;
    uint64_t *product = malloc(productWords * sizeof(uint64_t));
    if (product == NULL) return -1;
    int status = cgf2_fft_multiply(product, seed, seedWords, input, inputWords, threads);
    if (status == 0) {
        size_t first = (n - 1) / 64;
        unsigned shift = (unsigned)((n - 1) % 64);
        size_t outputWords = (m + 63) / 64;
        for (size_t q = 0; q < outputWords; q++) {
            uint64_t next = (shift != 0 && first + q + 1 < productWords) ? product[first + q + 1] << (64 - shift) : 0;
            output[q] = (product[first + q] >> shift) | next;
        }
        if (m % 64 != 0) output[outputWords - 1] &= (UINT64_C(1) << (m % 64)) - 1;
    }
    free(product);
    return status;
}
#endif

int cgf2_toeplitz_hash(uint64_t *output, const uint64_t *seed, const uint64_t *input, size_t n, size_t m,
                       int threads, CGF2Kernel kernel) {
#if defined(__x86_64__)
    bool fft = kernel == CGF2KernelAdditiveFFT || (kernel == CGF2KernelAutomatic && m >= fftMinimumOutputBits);
    if (fft && cgf2_has_vector_clmul()) return fft_toeplitz_hash(output, seed, input, n, m, threads);
#endif
    size_t inputWords = (n + 63) / 64;
    size_t outputWords = (m + 63) / 64;
    size_t seedWords = (n + m - 1 + 63) / 64;
    unsigned inputShift = (unsigned)(inputWords * 64 - n);
    size_t shortSide = padded_length(inputWords < outputWords ? inputWords : outputWords);

    uint64_t *shiftedInput = malloc(inputWords * sizeof(uint64_t));
    uint64_t *shiftedSeed = calloc(inputWords + outputWords, sizeof(uint64_t));
    uint64_t *product = calloc(outputWords, sizeof(uint64_t));
    uint64_t *scratch = malloc(scratch_words(shortSide) * sizeof(uint64_t));
    int status = -1;
    if (shiftedInput != NULL && shiftedSeed != NULL && product != NULL && scratch != NULL) {
        // X shifted up by inputShift bits; S shifted up by one bit (n + m bits fit in N + M words).
        for (size_t i = 0; i < inputWords; i++) {
            uint64_t carry = (inputShift != 0 && i > 0) ? input[i - 1] >> (64 - inputShift) : 0;
            shiftedInput[i] = (input[i] << inputShift) | carry;
        }
        for (size_t i = 0; i < seedWords; i++) {
            shiftedSeed[i] ^= seed[i] << 1;
            if (i + 1 < inputWords + outputWords) shiftedSeed[i + 1] ^= seed[i] >> 63;
        }
        int usedThreads = threads < 1 ? 1 : (threads > maximumTasks ? maximumTasks : threads);
        Context context = {kernel_for(kernel), usedThreads, scratch};
        status = rectangular_middle_product(&context, product, outputWords, shiftedSeed, shiftedInput, inputWords);
        if (status == 0) {
            if (m % 64 != 0) product[outputWords - 1] &= (UINT64_C(1) << (m % 64)) - 1;
            memcpy(output, product, outputWords * sizeof(uint64_t));
        }
    }
    free(shiftedInput);
    free(shiftedSeed);
    free(product);
    free(scratch);
    return status;
}
