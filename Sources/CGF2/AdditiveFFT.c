// Exact multiplication in GF(2)[x] by an additive FFT over GF(2^64).
//
// Both factors are cut into 32-bit chunks, read as elements of GF(2^64) = GF(2)[z] / (z^64 + z^4
// + z^3 + z + 1): a polynomial in Y = x^32 whose coefficients are chunk polynomials. A product of
// two chunks has degree at most 62 and a sum of such products too, so no reduction ever happens
// and the product over GF(2^64) is exactly the product over GF(2)[x] (overlapping by 32 bits).
//
// Transform: Lin, Chung, Han, "Novel polynomial basis and its application to Reed-Solomon
// erasure codes" (FOCS 2014), with the Cantor basis b_0 = 1, b_i^2 + b_i = b_(i-1), as in Chen,
// Cheng, Kuo, Li, Yang, "Faster multiplication for long binary polynomials" (arXiv:1708.09746).
// With s_i(x) = s_1(s_(i-1)(x)), s_1(x) = x^2 + x, the novel basis is X_j = prod_i s_i^(bit i of j);
// the FFT evaluates at the 2^k points of span(b_0 ... b_(k-1)), one butterfly layer per basis
// element with twiddle s_i(shift) = sum of b_(u+1) over the set bits u of the block index. The
// conversion between the monomial and the novel basis uses s_T(x) = x^(2^T) + x for T a power of
// two (a Taylor expansion in powers of x^(2^T) + x, then rows and columns recursively).

#include "AdditiveFFT.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define VECTOR_TARGET __attribute__((target("pclmul,avx512f,vpclmulqdq")))

/// a * b in GF(2^64) modulo z^64 + z^4 + z^3 + z + 1.
VECTOR_TARGET static inline uint64_t field_multiply(uint64_t a, uint64_t b) {
    __m128i product = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a), _mm_cvtsi64_si128((long long)b), 0x00);
    uint64_t low = (uint64_t)_mm_cvtsi128_si64(product);
    uint64_t high = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(product, product));
    __m128i folded = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)high), _mm_cvtsi64_si128(0x1B), 0x00);
    low ^= (uint64_t)_mm_cvtsi128_si64(folded);
    uint64_t overflow = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(folded, folded));
    return low ^ overflow ^ (overflow << 1) ^ (overflow << 3) ^ (overflow << 4);
}

// MARK: - Cantor basis

static uint64_t cantorBasis[64];
static pthread_once_t cantorOnce = PTHREAD_ONCE_INIT;

/// A y with y^2 + y = c (c of trace zero), by Gaussian elimination on the GF(2)-linear map.
VECTOR_TARGET static uint64_t solve_artin_schreier(uint64_t c) {
    // Row r: which unknown bits k feed output bit r, and the right-hand side bit r of c.
    uint64_t rows[64];
    uint64_t rightSide = c;
    for (int r = 0; r < 64; r++) rows[r] = 0;
    for (int k = 0; k < 64; k++) {
        uint64_t image = field_multiply(UINT64_C(1) << k, UINT64_C(1) << k) ^ (UINT64_C(1) << k);
        for (int r = 0; r < 64; r++) rows[r] |= ((image >> r) & 1) << k;
    }
    int pivotOfColumn[64];
    int rank = 0;
    for (int column = 0; column < 64; column++) {
        pivotOfColumn[column] = -1;
        int pivot = -1;
        for (int r = rank; r < 64; r++) {
            if ((rows[r] >> column) & 1) { pivot = r; break; }
        }
        if (pivot < 0) continue;
        uint64_t swapRow = rows[pivot]; rows[pivot] = rows[rank]; rows[rank] = swapRow;
        uint64_t bitPivot = (rightSide >> pivot) & 1, bitRank = (rightSide >> rank) & 1;
        rightSide &= ~((UINT64_C(1) << pivot) | (UINT64_C(1) << rank));
        rightSide |= (bitPivot << rank) | (bitRank << pivot);
        for (int r = 0; r < 64; r++) {
            if (r != rank && ((rows[r] >> column) & 1)) {
                rows[r] ^= rows[rank];
                rightSide ^= ((rightSide >> rank) & 1) << r;
            }
        }
        pivotOfColumn[column] = rank;
        rank++;
    }
    uint64_t solution = 0;
    for (int column = 0; column < 64; column++) {
        if (pivotOfColumn[column] >= 0) solution |= ((rightSide >> pivotOfColumn[column]) & 1) << column;
    }
    return solution;
}

VECTOR_TARGET static void compute_cantor_basis(void) {
    cantorBasis[0] = 1;
    for (int i = 1; i < 64; i++) cantorBasis[i] = solve_artin_schreier(cantorBasis[i - 1]);
}

// MARK: - Transforms

/// Twiddle of block l: sum of cantorBasis[u + 1] over the set bits u of l, for l < count.
static uint64_t *twiddle_table(size_t count) {
    uint64_t *table = malloc((count > 0 ? count : 1) * sizeof(uint64_t));
    if (table == NULL) return NULL;
    table[0] = 0;
    for (size_t l = 1; l < count; l++) table[l] = table[l & (l - 1)] ^ cantorBasis[__builtin_ctzll(l) + 1];
    return table;
}

/// Blocks of at most 2^iterativeLevels elements run their layers in a loop; larger ones recurse
/// depth first, so every block below the cache size finishes all its layers while cached.
enum { iterativeLevels = 10 };

/// Eight field products v[lane] * twiddle at once (VPCLMULQDQ on even and odd lanes, then two
/// folds by z^4 + z^3 + z + 1).
VECTOR_TARGET static inline __m512i field_multiply_vector(__m512i v, __m512i twiddle) {
    const __m512i folding = _mm512_set1_epi64(0x1B);
    __m512i even = _mm512_clmulepi64_epi128(v, twiddle, 0x00);
    __m512i odd = _mm512_clmulepi64_epi128(v, twiddle, 0x01);
    __m512i evenFold = _mm512_clmulepi64_epi128(even, folding, 0x01);
    __m512i oddFold = _mm512_clmulepi64_epi128(odd, folding, 0x01);
    even = _mm512_xor_si512(even, _mm512_xor_si512(evenFold, _mm512_clmulepi64_epi128(evenFold, folding, 0x01)));
    odd = _mm512_xor_si512(odd, _mm512_xor_si512(oddFold, _mm512_clmulepi64_epi128(oddFold, folding, 0x01)));
    return _mm512_unpacklo_epi64(even, odd);
}

/// One layer on the block [start, start + 2 half): low ^= twiddle * high, high ^= low.
VECTOR_TARGET static void forward_butterflies(uint64_t *low, uint64_t *high, size_t half, uint64_t twiddle) {
    size_t j = 0;
    if (twiddle == 0) {
        for (; j < half; j++) high[j] ^= low[j];
        return;
    }
    __m512i factor = _mm512_set1_epi64((long long)twiddle);
    for (; j + 8 <= half; j += 8) {
        __m512i h = _mm512_loadu_si512(high + j);
        __m512i l = _mm512_xor_si512(_mm512_loadu_si512(low + j), field_multiply_vector(h, factor));
        _mm512_storeu_si512(low + j, l);
        _mm512_storeu_si512(high + j, _mm512_xor_si512(h, l));
    }
    for (; j < half; j++) {
        low[j] ^= field_multiply(twiddle, high[j]);
        high[j] ^= low[j];
    }
}

VECTOR_TARGET static void inverse_butterflies(uint64_t *low, uint64_t *high, size_t half, uint64_t twiddle) {
    size_t j = 0;
    if (twiddle == 0) {
        for (; j < half; j++) high[j] ^= low[j];
        return;
    }
    __m512i factor = _mm512_set1_epi64((long long)twiddle);
    for (; j + 8 <= half; j += 8) {
        __m512i l = _mm512_loadu_si512(low + j);
        __m512i h = _mm512_xor_si512(_mm512_loadu_si512(high + j), l);
        _mm512_storeu_si512(high + j, h);
        _mm512_storeu_si512(low + j, _mm512_xor_si512(l, field_multiply_vector(h, factor)));
    }
    for (; j < half; j++) {
        high[j] ^= low[j];
        low[j] ^= field_multiply(twiddle, high[j]);
    }
}

/// Evaluates the block d = [start, start + 2^k) (absolute position start) at its 2^k points; the
/// layer-i twiddle of a block at absolute position p is twiddles[p >> (i + 1)].
VECTOR_TARGET static void forward_transform(uint64_t *d, unsigned k, size_t start, const uint64_t *twiddles) {
    if (k <= iterativeLevels) {
        for (unsigned layer = k; layer-- > 0;) {
            size_t half = (size_t)1 << layer;
            for (size_t block = 0; block < ((size_t)1 << k); block += 2 * half) {
                forward_butterflies(d + block, d + block + half, half, twiddles[(start + block) >> (layer + 1)]);
            }
        }
        return;
    }
    size_t half = (size_t)1 << (k - 1);
    forward_butterflies(d, d + half, half, twiddles[start >> k]);
    forward_transform(d, k - 1, start, twiddles);
    forward_transform(d + half, k - 1, start + half, twiddles);
}

VECTOR_TARGET static void inverse_transform(uint64_t *d, unsigned k, size_t start, const uint64_t *twiddles) {
    if (k <= iterativeLevels) {
        for (unsigned layer = 0; layer < k; layer++) {
            size_t half = (size_t)1 << layer;
            for (size_t block = 0; block < ((size_t)1 << k); block += 2 * half) {
                inverse_butterflies(d + block, d + block + half, half, twiddles[(start + block) >> (layer + 1)]);
            }
        }
        return;
    }
    size_t half = (size_t)1 << (k - 1);
    inverse_transform(d, k - 1, start, twiddles);
    inverse_transform(d + half, k - 1, start + half, twiddles);
    inverse_butterflies(d, d + half, half, twiddles[start >> k]);
}

// MARK: - Basis conversion
//
// The conversion only XORs coefficients (the s_i have coefficients 0 and 1), and the same
// operations apply to every column of a row-major [i][c] layout. So every function works on
// "elements" of `width` consecutive words: the columns of a layout are converted at once as
// elements of width tau * width, the rows one by one at the original width.

/// The largest power of two below k (k >= 2).
static unsigned split_of(unsigned k) {
    unsigned split = 1;
    while (2 * split < k) split *= 2;
    return split;
}

/// Elements [from, from + count) XORed into [from - shift, ...), in chunks of at most `shift`
/// elements, last chunk first (descending) or first chunk first (ascending), as the sequential
/// one-element-at-a-time loop in that order would.
static void xor_shifted(uint64_t *f, size_t width, size_t from, size_t count, size_t shift, bool descending) {
    size_t done = 0;
    while (done < count) {
        size_t chunk = count - done < shift ? count - done : shift;
        size_t first = descending ? from + count - done - chunk : from + done;
        // Within a chunk of at most `shift` elements the target and the source do not overlap.
        uint64_t *restrict target = f + (first - shift) * width;
        const uint64_t *restrict source = f + first * width;
        for (size_t w = 0; w < chunk * width; w++) target[w] ^= source[w];
        done += chunk;
    }
}

/// f (2^k elements) in powers of Y = x^tau + x, in place: g_i at elements [i tau, (i + 1) tau).
/// Division by Y^(2^m) = x^(tau 2^m) + x^(2^m) leaves the remainder low and the quotient high.
static void taylor_expand(uint64_t *f, size_t length, size_t tau, size_t width) {
    if (length <= tau) return;
    size_t half = length / 2;
    xor_shifted(f, width, half, half, half - half / tau, true);
    taylor_expand(f, half, tau, width);
    taylor_expand(f + half * width, half, tau, width);
}

static void taylor_contract(uint64_t *f, size_t length, size_t tau, size_t width) {
    if (length <= tau) return;
    size_t half = length / 2;
    taylor_contract(f, half, tau, width);
    taylor_contract(f + half * width, half, tau, width);
    xor_shifted(f, width, half, half, half - half / tau, false);
}

/// Monomial coefficients (2^k elements) to novel-basis coefficients, in place.
static void to_novel_basis(uint64_t *f, unsigned k, size_t width) {
    if (k <= 1) return;
    unsigned split = split_of(k);
    size_t tau = (size_t)1 << split, rows = (size_t)1 << (k - split);
    taylor_expand(f, (size_t)1 << k, tau, width);
    to_novel_basis(f, k - split, tau * width);
    for (size_t row = 0; row < rows; row++) to_novel_basis(f + row * tau * width, split, width);
}

static void from_novel_basis(uint64_t *f, unsigned k, size_t width) {
    if (k <= 1) return;
    unsigned split = split_of(k);
    size_t tau = (size_t)1 << split, rows = (size_t)1 << (k - split);
    for (size_t row = 0; row < rows; row++) from_novel_basis(f + row * tau * width, split, width);
    from_novel_basis(f, k - split, tau * width);
    taylor_contract(f, (size_t)1 << k, tau, width);
}

// MARK: - Product

typedef struct {
    uint64_t *chunks;
    const uint64_t *words;
    size_t wordCount;
    unsigned k;
    const uint64_t *twiddles;
} Operand;

static void *prepare_operand(void *argument) {
    Operand *operand = argument;
    size_t length = (size_t)1 << operand->k;
    for (size_t i = 0; i < operand->wordCount; i++) {
        operand->chunks[2 * i] = operand->words[i] & 0xFFFFFFFFu;
        operand->chunks[2 * i + 1] = operand->words[i] >> 32;
    }
    memset(operand->chunks + 2 * operand->wordCount, 0, (length - 2 * operand->wordCount) * sizeof(uint64_t));
    to_novel_basis(operand->chunks, operand->k, 1);
    forward_transform(operand->chunks, operand->k, 0, operand->twiddles);
    return NULL;
}

typedef struct {
    uint64_t *d;
    unsigned k;
    size_t start;
    const uint64_t *twiddles;
} TransformBlock;

static void *inverse_block(void *argument) {
    TransformBlock *block = argument;
    inverse_transform(block->d, block->k, block->start, block->twiddles);
    return NULL;
}

typedef struct {
    uint64_t *f;
    size_t rows;
    size_t stride;
    unsigned split;
} RowRange;

static void *rows_from_novel_basis(void *argument) {
    RowRange *range = argument;
    for (size_t row = 0; row < range->rows; row++) from_novel_basis(range->f + row * range->stride, range->split, 1);
    return NULL;
}

/// Runs `work(second)` on a helper thread while the caller runs `work(first)` (both here if no
/// thread can be started).
static void run_pair(void *(*work)(void *), void *first, void *second) {
    pthread_t helper;
    bool helped = pthread_create(&helper, NULL, work, second) == 0;
    work(first);
    if (helped) pthread_join(helper, NULL);
    else work(second);
}

/// inverse_transform then from_novel_basis of 2^k elements (k > iterativeLevels), with the two
/// half transforms and the two halves of the row conversions on two threads.
VECTOR_TARGET static void inverse_on_two_threads(uint64_t *d, unsigned k, const uint64_t *twiddles) {
    size_t half = (size_t)1 << (k - 1);
    TransformBlock lower = {d, k - 1, 0, twiddles}, upper = {d + half, k - 1, half, twiddles};
    run_pair(inverse_block, &lower, &upper);
    inverse_butterflies(d, d + half, half, twiddles[0]);
    unsigned split = split_of(k);
    size_t tau = (size_t)1 << split, rows = (size_t)1 << (k - split);
    RowRange first = {d, rows / 2, tau, split}, second = {d + (rows / 2) * tau, rows - rows / 2, tau, split};
    run_pair(rows_from_novel_basis, &first, &second);
    from_novel_basis(d, k - split, tau);
    taylor_contract(d, (size_t)1 << k, tau, 1);
}

VECTOR_TARGET int cgf2_fft_multiply(uint64_t *product, const uint64_t *a, size_t aWords, const uint64_t *b,
                                    size_t bWords, int threads) {
    pthread_once(&cantorOnce, compute_cantor_basis);
    unsigned k = 1;
    while (((size_t)1 << k) < 2 * (aWords + bWords)) k++;
    size_t length = (size_t)1 << k;
    uint64_t *left = malloc(length * sizeof(uint64_t));
    uint64_t *right = malloc(length * sizeof(uint64_t));
    uint64_t *twiddles = twiddle_table(length / 2);
    int status = -1;
    if (left != NULL && right != NULL && twiddles != NULL) {
        Operand operands[2] = {{left, a, aWords, k, twiddles}, {right, b, bWords, k, twiddles}};
        if (threads > 1) {
            run_pair(prepare_operand, &operands[0], &operands[1]);
        } else {
            prepare_operand(&operands[0]);
            prepare_operand(&operands[1]);
        }
        for (size_t i = 0; i < length; i++) left[i] = field_multiply(left[i], right[i]);
        if (threads > 1 && k > iterativeLevels) {
            inverse_on_two_threads(left, k, twiddles);
        } else {
            inverse_transform(left, k, 0, twiddles);
            from_novel_basis(left, k, 1);
        }
        memset(product, 0, (aWords + bWords) * sizeof(uint64_t));
        for (size_t chunk = 0; chunk < length; chunk++) {
            size_t word = chunk / 2;
            if (word >= aWords + bWords) break;
            if (chunk & 1) {
                product[word] ^= left[chunk] << 32;
                if (word + 1 < aWords + bWords) product[word + 1] ^= left[chunk] >> 32;
            } else {
                product[word] ^= left[chunk];
            }
        }
        status = 0;
    }
    free(left);
    free(right);
    free(twiddles);
    return status;
}
#endif
