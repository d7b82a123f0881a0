#ifndef CLDPC_H
#define CLDPC_H

#include <stdint.h>

/// Decodes the syndrome of an LDPC code by layered (row-serial) sum-product belief propagation
/// in the log-likelihood-ratio domain, in single-precision floating point.
///
/// The parity-check matrix has `rows` rows; row `r` holds the variable indices
/// `edge_variable[row_start[r] ..< row_start[r + 1]]` (each at most once, fewer than
/// `CLDPC_MAXIMUM_ROW_DEGREE` per row). `syndrome[r]` (0 or 1) is the required parity of row `r`.
/// `channel_llr[v]` is the a-priori LLR log(P(x_v = 0) / P(x_v = 1)) of variable `v` (0 for
/// an unknown, punctured bit; large for a known, shortened one).
///
/// Check update (sum-product, Gallager's phi form): for the extrinsic inputs t_j of a row,
/// m_j = (-1)^s * prod_{i != j} sign(t_i) * phi(sum_{i != j} phi(|t_i|)), with
/// phi(x) = -log(tanh(x / 2)) read from a table on a logarithmic grid (64 points per octave,
/// linear interpolation, absolute error about 1e-4; phi is capped at phi(2^-20), about 14.6). Rows are processed in order and every variable's posterior
/// is updated immediately after each row (layered schedule, about twice as fast to converge as
/// flooding).
///
/// `posterior` (`variables` floats) and `check_message` (`row_start[rows]` floats) are scratch
/// owned by the caller. With `resume` 0 the check messages start at 0; with `resume` 1 they are
/// kept from the previous call on the same buffers (warm start after a blind round changed some
/// channel LLRs), and the posteriors are rebuilt as channel LLR plus incoming messages. `hard_decision` (`variables` bytes) receives 0/1 decisions. Stops as soon
/// as the hard decision satisfies every row, or after `maximum_iterations` iterations.
/// Returns the number of iterations run if the syndrome is satisfied, or the negated number of
/// iterations run if it is not (never 0 unless `maximum_iterations` is 0).
int32_t cldpc_decode_syndrome(const int32_t *row_start, const int32_t *edge_variable, int32_t rows,
                              const uint8_t *syndrome, const float *channel_llr, int32_t variables,
                              float *posterior, float *check_message, uint8_t *hard_decision,
                              int32_t maximum_iterations, int32_t resume);

/// The largest row degree `cldpc_decode_syndrome` accepts.
#define CLDPC_MAXIMUM_ROW_DEGREE 256

#endif
