#include "CLDPC.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define LLR_LIMIT 60.0f

// phi(x) = -log(tanh(x / 2)) is tabulated on a logarithmic grid: 64 points per octave from
// 2^PHI_LOWEST_EXPONENT to 2^PHI_HIGHEST_EXPONENT, indexed directly by the top bits of the float
// (exponent and the 6 leading mantissa bits) and interpolated linearly within each step, so
// the relative step in x is at most 1/64 and the absolute error of phi about 1e-4 at most.
#define PHI_LOWEST_EXPONENT (-20)
#define PHI_HIGHEST_EXPONENT 5
#define PHI_MANTISSA_BITS 6
#define PHI_TABLE_SIZE (((PHI_HIGHEST_EXPONENT - PHI_LOWEST_EXPONENT) << PHI_MANTISSA_BITS) + 1)

static float phi_table[PHI_TABLE_SIZE];
static pthread_once_t phi_table_once = PTHREAD_ONCE_INIT;

static uint32_t float_bits(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits;
}

static void fill_phi_table(void) {
    for (int index = 0; index < PHI_TABLE_SIZE; index++) {
        int exponent = PHI_LOWEST_EXPONENT + (index >> PHI_MANTISSA_BITS);
        double mantissa = 1.0 + (double)(index & ((1 << PHI_MANTISSA_BITS) - 1)) / (1 << PHI_MANTISSA_BITS);
        double x = ldexp(mantissa, exponent);
        double value = log1p(2.0 / expm1(x));
        phi_table[index] = (float)value;
    }
}

/// phi for x >= 0: phi(2^PHI_LOWEST_EXPONENT) (about 14.6) below that point, 0 from
/// 2^PHI_HIGHEST_EXPONENT on (phi(32) < 1e-13).
static inline float phi(float x) {
    static const uint32_t lowest_bits = (uint32_t)(127 + PHI_LOWEST_EXPONENT) << 23;
    static const uint32_t highest_bits = (uint32_t)(127 + PHI_HIGHEST_EXPONENT) << 23;
    const uint32_t fraction_bits = 23 - PHI_MANTISSA_BITS;
    uint32_t bits = float_bits(x);
    if (bits < lowest_bits) return phi_table[0];
    if (bits >= highest_bits) return 0.0f;
    uint32_t offset = bits - lowest_bits;
    uint32_t index = offset >> fraction_bits;
    float fraction = (float)(offset & ((1u << fraction_bits) - 1)) * (1.0f / (float)(1u << fraction_bits));
    return phi_table[index] + fraction * (phi_table[index + 1] - phi_table[index]);
}

static int syndrome_satisfied(const int32_t *row_start, const int32_t *edge_variable, int32_t rows,
                              const uint8_t *syndrome, const uint8_t *hard_decision) {
    for (int32_t row = 0; row < rows; row++) {
        uint8_t parity = syndrome[row];
        for (int32_t edge = row_start[row]; edge < row_start[row + 1]; edge++) parity ^= hard_decision[edge_variable[edge]];
        if (parity) return 0;
    }
    return 1;
}

int32_t cldpc_decode_syndrome(const int32_t *row_start, const int32_t *edge_variable, int32_t rows,
                              const uint8_t *syndrome, const float *channel_llr, int32_t variables,
                              float *posterior, float *check_message, uint8_t *hard_decision,
                              int32_t maximum_iterations, int32_t resume) {
    pthread_once(&phi_table_once, fill_phi_table);
    memcpy(posterior, channel_llr, sizeof(float) * (size_t)variables);
    if (resume) {
        for (int32_t edge = 0; edge < row_start[rows]; edge++) posterior[edge_variable[edge]] += check_message[edge];
    } else {
        memset(check_message, 0, sizeof(float) * (size_t)row_start[rows]);
    }
    for (int32_t v = 0; v < variables; v++) hard_decision[v] = posterior[v] < 0.0f;
    if (syndrome_satisfied(row_start, edge_variable, rows, syndrome, hard_decision)) return 1;

    float extrinsic[CLDPC_MAXIMUM_ROW_DEGREE];
    float magnitude_phi[CLDPC_MAXIMUM_ROW_DEGREE];
    for (int32_t iteration = 1; iteration <= maximum_iterations; iteration++) {
        for (int32_t row = 0; row < rows; row++) {
            const int32_t first = row_start[row];
            const int32_t degree = row_start[row + 1] - first;
            const int32_t *row_variables = edge_variable + first;
            float *row_messages = check_message + first;
            float phi_sum = 0.0f;
            uint32_t negative_parity = syndrome[row];
            for (int32_t k = 0; k < degree; k++) {
                float t = posterior[row_variables[k]] - row_messages[k];
                extrinsic[k] = t;
                float p = phi(fabsf(t));
                magnitude_phi[k] = p;
                phi_sum += p;
                negative_parity ^= (t < 0.0f);
            }
            for (int32_t k = 0; k < degree; k++) {
                float t = extrinsic[k];
                float others = phi_sum - magnitude_phi[k];
                float message = phi(others > 0.0f ? others : 0.0f);
                uint32_t negative = negative_parity ^ (t < 0.0f);
                message = negative ? -message : message;
                float updated = t + message;
                if (updated > LLR_LIMIT) updated = LLR_LIMIT;
                if (updated < -LLR_LIMIT) updated = -LLR_LIMIT;
                row_messages[k] = message;
                posterior[row_variables[k]] = updated;
            }
        }
        for (int32_t v = 0; v < variables; v++) hard_decision[v] = posterior[v] < 0.0f;
        if (syndrome_satisfied(row_start, edge_variable, rows, syndrome, hard_decision)) return iteration;
    }
    return -maximum_iterations;
}
