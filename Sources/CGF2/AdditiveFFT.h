#ifndef CGF2_ADDITIVE_FFT_H
#define CGF2_ADDITIVE_FFT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
/// product (aWords + bWords words) = a * b in GF(2)[x], exactly, by the additive FFT over
/// GF(2^64); needs PCLMULQDQ (callers check cgf2_has_vector_clmul). The two operands are
/// transformed on two threads when threads > 1, and the inverse transform and conversion are
/// split in halves over two threads. Returns 0, or -1 if memory ran out.
int cgf2_fft_multiply(uint64_t *product, const uint64_t *a, size_t aWords, const uint64_t *b, size_t bWords,
                      int threads);
#endif

#endif
