#include "CLDPC.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define PHI_TABLE_START 0.25f
#define PHI_TABLE_END 24.0f
#define PHI_TABLE_STEPS_PER_UNIT 64
// (PHI_TABLE_END - PHI_TABLE_START) * PHI_TABLE_STEPS_PER_UNIT + 2 entries.
#define PHI_TABLE_SIZE 1522
#define PHI_MAXIMUM 30.0f
#define LLR_LIMIT 60.0f

static float phi_table[PHI_TABLE_SIZE];
static pthread_once_t phi_table_once = PTHREAD_ONCE_INIT;

/// phi(x) = -log(tanh(x / 2)) = log1p(2 / expm1(x)), exactly, capped at PHI_MAXIMUM.
static float phi_exact(float x) {
    if (x < 1e-12f) return PHI_MAXIMUM;
    float value = log1pf(2.0f / expm1f(x));
    return value > PHI_MAXIMUM ? PHI_MAXIMUM : value;
}

static void fill_phi_table(void) {
    for (int index = 0; index < PHI_TABLE_SIZE; index++) {
        double x = (double)PHI_TABLE_START + (double)index / PHI_TABLE_STEPS_PER_UNIT;
        phi_table[index] = (float)log1p(2.0 / expm1(x));
    }
}

static inline float phi(float x) {
    if (x < PHI_TABLE_START) return phi_exact(x);
    if (x >= PHI_TABLE_END) return 0.0f;
    float position = (x - PHI_TABLE_START) * (float)PHI_TABLE_STEPS_PER_UNIT;
    int index = (int)position;
    float fraction = position - (float)index;
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
