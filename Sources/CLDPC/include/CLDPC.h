#ifndef CLDPC_H
#define CLDPC_H

#include <stdint.h>

/// The parity-check matrix of a quasi-cyclic LDPC code in the decoder's block layout.
///
/// The matrix has `block_count * lifting` rows in blocks of `lifting` consecutive rows (a base
/// row lifted by circulant permutation matrices). Every row of block `b` has
/// `block_degree[b]` ones (fewer than `CLDPC_MAXIMUM_ROW_DEGREE`), and the rows of one block
/// never share a column (each circulant is a permutation). The column of the `k`-th one of row
/// `b * lifting + o` is `edge_variable[block_edge_start[b] + k * lifting + o]`: edges are stored
/// slot-major within a block, so that neighbouring rows of a block read neighbouring entries
/// and can be processed together in SIMD lanes.
typedef struct {
    int32_t block_count;
    int32_t lifting;
    int32_t variables;
    const int32_t *block_degree;
    const int32_t *block_edge_start;
    const int32_t *edge_variable;
} cldpc_graph;

/// Decodes the syndrome of an LDPC code by layered (row-serial) sum-product belief propagation
/// in the log-likelihood-ratio domain, in single-precision floating point.
///
/// `syndrome[r]` (0 or 1) is the required parity of row `r`. `channel_llr[v]` is the a-priori
/// LLR log(P(x_v = 0) / P(x_v = 1)) of variable `v` (0 for an unknown, punctured bit; large for a
/// known, shortened one).
///
/// Check update (sum-product, Gallager's phi form): for the extrinsic inputs t_j of a row,
/// m_j = (-1)^s * prod_{i != j} sign(t_i) * phi(sum_{i != j} phi(|t_i|)), with
/// phi(x) = -log(tanh(x / 2)) read from a table on a logarithmic grid (256 points per octave,
/// from 2^-20 to 2^5, each entry phi at the middle of its step, so the absolute error is at most
/// about 2e-3; phi is capped at about 14.6 and 0 from x = 32 on). Rows are processed block by
/// block; every variable's posterior is updated right after its row (layered schedule, about
/// twice as fast to converge as flooding). The rows of a block share no variable, so processing
/// them one by one or 16 at a time in AVX-512 lanes gives the same floats: the kernel uses
/// AVX-512 when the CPU has it (checked at run time) and `allow_avx512` is 1, plain C
/// otherwise, with bit-identical results.
///
/// `posterior` (`variables` floats) and `check_message` (one float per edge, in the graph's
/// edge order) are scratch owned by the caller. With `resume` 0 the check messages start at 0;
/// with `resume` 1 they are kept from the previous call on the same buffers (warm start after a
/// blind round changed some channel LLRs), and the posteriors are rebuilt as channel LLR plus
/// incoming messages. `hard_decision` (`variables` bytes) receives the 0/1 decisions.
///
/// Stopping: every iteration counts the rows whose parity (of the posterior signs as the row is
/// reached) misses the syndrome; when that count is 0 the full syndrome of the hard decision is
/// checked, and decoding stops when it matches. Decoding gives up after `maximum_iterations`
/// iterations, or when the count has not reached a new minimum for `stall_iterations`
/// iterations in a row (0: never give up early), which ends hopeless attempts early.
/// Returns the number of iterations run if the syndrome is satisfied, or the negated number of
/// iterations run if it is not (0 only if `maximum_iterations` is 0 and the syndrome is missed).
int32_t cldpc_decode_syndrome(const cldpc_graph *graph, const uint8_t *syndrome, const float *channel_llr,
                              float *posterior, float *check_message, uint8_t *hard_decision,
                              int32_t maximum_iterations, int32_t stall_iterations, int32_t resume, int32_t allow_avx512);

/// Whether `cldpc_decode_syndrome` runs its AVX-512 path on this CPU (1) or plain C (0).
int32_t cldpc_uses_avx512(void);

/// The largest row degree `cldpc_decode_syndrome` accepts.
#define CLDPC_MAXIMUM_ROW_DEGREE 256

#endif
