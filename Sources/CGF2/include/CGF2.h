#ifndef CGF2_H
#define CGF2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Which carry-less multiplication the Toeplitz product runs on.
typedef enum {
    /// By size: Karatsuba (AVX-512 VPCLMULQDQ when the CPU has it, else portable), the additive
    /// FFT for outputs of 2^23 bits and more when the CPU has the vector instructions.
    CGF2KernelAutomatic = 0,
    /// Karatsuba at every size, on AVX-512 VPCLMULQDQ when the CPU has it, else portable.
    CGF2KernelKaratsuba = 1,
    /// Karatsuba on software carry-less multiplication only (any CPU); exact, slower.
    CGF2KernelPortable = 2,
    /// The additive FFT over GF(2^64) at every size when the CPU has the vector instructions,
    /// else the portable Karatsuba.
    CGF2KernelAdditiveFFT = 3,
} CGF2Kernel;

/// True when this CPU (and its operating system) supports PCLMULQDQ, AVX-512F and VPCLMULQDQ,
/// so `CGF2KernelAutomatic` runs the vector kernel.
bool cgf2_has_vector_clmul(void);

/// What `CGF2KernelAutomatic` runs for `m` output bits on this CPU: "additive-fft",
/// "karatsuba-vpclmulqdq" or "karatsuba-portable".
const char *cgf2_algorithm_name(size_t m);

/// The Toeplitz hash over GF(2): `y_i = XOR over j of s[i - j + n - 1] x_j` for `i < m`, `j < n`.
///
/// Bits are packed into 64-bit words least-significant bit first (bit `k` is bit `k % 64` of
/// word `k / 64`). `seed` holds `n + m - 1` bits in `(n + m - 1 + 63) / 64` words, `input` holds
/// `n` bits in `(n + 63) / 64` words and `output` receives `m` bits in `(m + 63) / 64` words (bits
/// past `m` are zero). Requires `1 <= m <= n`. Unused bits past the end of `seed` and `input` in
/// their last words must be zero.
///
/// The product is computed exactly over GF(2): a Karatsuba middle product on 64-bit words down to
/// a carry-less schoolbook base case, or the full product by an additive FFT (see `kernel`). `threads` is the number of threads for
/// large blocks (values below 1 count as 1, above 27 as 27: the work is cut into 27 tasks). Returns 0, or -1 if scratch memory could not be allocated.
int cgf2_toeplitz_hash(uint64_t *output, const uint64_t *seed, const uint64_t *input, size_t n, size_t m,
                       int threads, CGF2Kernel kernel);

#endif
