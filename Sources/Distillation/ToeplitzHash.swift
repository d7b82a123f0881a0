import CGF2
import QKDCore

/// Privacy amplification by Toeplitz hashing over GF(2): `n` input bits to `m` output bits.
///
/// Convention (exactly): `y_i = XOR over j of T[i][j] · x_j` for `i` in `0..<m`, `j` in
/// `0..<n`, with `T[i][j] = s[i − j + n − 1]` and a seed `s` of `n + m − 1` bits. Toeplitz
/// matrices with a uniform seed form a universal family (Krawczyk, CRYPTO 1994; Mansour, Nisan,
/// Tiwari 1993), as the leftover hash lemma requires.
///
/// Seed: in QKDNode Alice draws a fresh seed for every block from her local randomness and sends
/// it to Bob in the privacy-amplification message over the authenticated classical channel. The
/// leftover hash lemma needs the seed uniform and independent of the key, not secret, so it may
/// travel in the clear; it must be authenticated, since an adversary who could replace it would
/// choose the hash. Deriving it from pre-shared key material instead would spend `n + m − 1`
/// secret bits per block, more than the block yields.
///
/// Computation: `y_i` is the coefficient of `t^(i + n − 1)` in `S(t) · X(t)` over GF(2), a
/// middle product of polynomials. Above `directMaximumInputLength` bits it runs in the C target
/// `CGF2`: Karatsuba on 64-bit words over a carry-less-multiply base case (AVX-512 VPCLMULQDQ
/// when the CPU has it, portable software otherwise), exact and about `M(min(n, m)) · n / m`
/// word operations for `M(k)` the cost of a `k`-bit product, with `O(n + m)` memory; from
/// 2^23 output bits on a CPU with VPCLMULQDQ, the whole product by an additive FFT over
/// GF(2^64) (exact: no floating point, no reduction of the 63-bit chunk products). Small inputs
/// use the direct bit-packed product: with `x̃` the input reversed,
/// `y_i = parity(s[i ..< i + n] AND x̃)`, about `m · n / 64` word operations.
public struct ToeplitzHash: Sendable, Hashable {
    /// The input length `n`.
    public let inputLength: Int
    /// The output length `m`.
    public let outputLength: Int
    /// The seed `s` of `n + m − 1` bits.
    public let seed: BitVector

    /// The seed length `n + m − 1` needed for `n` input and `m` output bits.
    public static func seedLength(inputLength: Int, outputLength: Int) -> Int {
        inputLength + outputLength - 1
    }

    /// Creates the hash. Throws `QKDError.invalidParameter` if `inputLength < 1`,
    /// `outputLength` is not in `0...inputLength`, or the seed does not have `n + m − 1` bits.
    public init(inputLength: Int, outputLength: Int, seed: BitVector) throws {
        guard inputLength >= 1 else {
            throw QKDError(.invalidParameter, "Toeplitz input length \(inputLength) is below 1")
        }
        guard outputLength >= 0 && outputLength <= inputLength else {
            throw QKDError(.invalidParameter, "Toeplitz output length \(outputLength) is not in 0...\(inputLength) (the input length)")
        }
        let expected = Self.seedLength(inputLength: inputLength, outputLength: outputLength)
        guard seed.count == expected else {
            throw QKDError(.invalidParameter, "Toeplitz seed has \(seed.count) bits but needs \(expected) (input + output - 1)")
        }
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.seed = seed
    }

    /// Inputs of at most this many bits use the direct bit-packed product.
    static let directMaximumInputLength = 256

    /// How `hash` computes the product; `automatic` chooses by size and CPU. All are exact.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// The direct product up to `directMaximumInputLength` bits, the fast one above.
        case automatic
        /// The direct bit-packed product, `m · n / 64` word operations.
        case direct
        /// Karatsuba with the vector kernel if the CPU has one.
        case karatsuba
        /// Karatsuba with the portable software carry-less multiply.
        case portableKaratsuba = "portable-karatsuba"
        /// The additive FFT over GF(2^64) (Karatsuba with the portable kernel without the vector CPU).
        case additiveFFT = "additive-fft"
    }

    /// The `m`-bit hash of `input`, using up to `threads` threads for large blocks. Throws
    /// `QKDError.invalidParameter` if `input` does not have `inputLength` bits or `threads < 1`.
    public func hash(_ input: BitVector, threads: Int = 2) throws -> BitVector {
        try hash(input, threads: threads, algorithm: .automatic)
    }

    /// The hash computed by `algorithm` (to compare them; `hash(_:threads:)` chooses by size).
    public func hash(_ input: BitVector, threads: Int, algorithm: Algorithm) throws -> BitVector {
        guard input.count == inputLength else {
            throw QKDError(.invalidParameter, "Toeplitz input has \(input.count) bits but the hash takes \(inputLength)")
        }
        guard threads >= 1 else {
            throw QKDError(.invalidParameter, "Toeplitz thread count \(threads) is below 1")
        }
        guard outputLength > 0 else { return BitVector(count: 0) }
        switch algorithm {
        case .automatic:
            if inputLength <= Self.directMaximumInputLength { return directHash(input) }
            return try karatsubaHash(input, threads: threads, kernel: CGF2KernelAutomatic)
        case .direct:
            return directHash(input)
        case .karatsuba:
            return try karatsubaHash(input, threads: threads, kernel: CGF2KernelKaratsuba)
        case .portableKaratsuba:
            return try karatsubaHash(input, threads: threads, kernel: CGF2KernelPortable)
        case .additiveFFT:
            return try karatsubaHash(input, threads: threads, kernel: CGF2KernelAdditiveFFT)
        }
    }

    /// What `hash` runs for `inputLength` input and `outputLength` output bits on this CPU:
    /// `direct`, `karatsuba-vpclmulqdq` (AVX-512 carry-less multiply), `karatsuba-portable` or
    /// `additive-fft`.
    public static func algorithmName(inputLength: Int, outputLength: Int) -> String {
        if inputLength <= directMaximumInputLength { return "direct" }
        return String(cString: cgf2_algorithm_name(outputLength))
    }

    private func karatsubaHash(_ input: BitVector, threads: Int, kernel: CGF2Kernel) throws -> BitVector {
        var output = [UInt64](repeating: 0, count: (outputLength + 63) >> 6)
        let status = seed.words.withUnsafeBufferPointer { seedBuffer in
            input.words.withUnsafeBufferPointer { inputBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    cgf2_toeplitz_hash(
                        outputBuffer.baseAddress, seedBuffer.baseAddress, inputBuffer.baseAddress,
                        inputLength, outputLength, Int32(clamping: threads), kernel)
                }
            }
        }
        guard status == 0 else {
            throw QKDError(.storage, "Toeplitz hash of \(inputLength) bits could not allocate its scratch memory")
        }
        return BitVector(words: output, count: outputLength)
    }

    /// The direct bit-packed product.
    private func directHash(_ input: BitVector) -> BitVector {
        let inputWordCount = (inputLength + 63) >> 6
        let reversedInput = Self.reversedWords(of: input)
        let outputWordCount = (outputLength + 63) >> 6
        var output = [UInt64](repeating: 0, count: outputWordCount)
        // Every window reads shifted seed words q ..< q + inputWordCount with q < outputWordCount.
        let shiftedLength = outputWordCount + inputWordCount
        var seedWords = seed.words
        seedWords.append(contentsOf: repeatElement(0, count: shiftedLength + 1 - seedWords.count))
        var shiftedSeed = [UInt64](repeating: 0, count: shiftedLength)
        seedWords.withUnsafeBufferPointer { seedBuffer in
            reversedInput.withUnsafeBufferPointer { inputBuffer in
                shiftedSeed.withUnsafeMutableBufferPointer { shiftedBuffer in
                    output.withUnsafeMutableBufferPointer { outputBuffer in
                        for residue in 0..<min(64, outputLength) {
                            Self.shift(seedBuffer, right: residue, into: shiftedBuffer)
                            var outputIndex = residue
                            while outputIndex < outputLength {
                                let windowStart = outputIndex >> 6
                                let window = UnsafeBufferPointer(rebasing: shiftedBuffer[windowStart ..< windowStart + inputWordCount])
                                if Self.andParity(window, inputBuffer) {
                                    outputBuffer[windowStart] |= 1 << UInt64(residue)
                                }
                                outputIndex += 64
                            }
                        }
                    }
                }
            }
        }
        return BitVector(words: output, count: outputLength)
    }

    /// The words of `input` bit-reversed: bit `k` of the result is bit `count − 1 − k` of `input`.
    private static func reversedWords(of input: BitVector) -> [UInt64] {
        let words = input.words
        let wordCount = words.count
        // Reversing the word order and each word's bits reverses a `64 · wordCount`-bit string;
        // shifting right by the unused tail aligns the result to bit 0.
        let padding = UInt64(wordCount * 64 - input.count)
        var reversed = [UInt64](repeating: 0, count: wordCount)
        for index in 0..<wordCount {
            reversed[index] = bitReversed(words[wordCount - 1 - index])
        }
        guard padding > 0 else { return reversed }
        for index in 0..<wordCount {
            let next = index + 1 < wordCount ? reversed[index + 1] << (64 - padding) : 0
            reversed[index] = (reversed[index] >> padding) | next
        }
        return reversed
    }

    /// `word` with its 64 bits in reverse order.
    private static func bitReversed(_ word: UInt64) -> UInt64 {
        var value = word
        value = ((value >> 1) & 0x5555_5555_5555_5555) | ((value & 0x5555_5555_5555_5555) << 1)
        value = ((value >> 2) & 0x3333_3333_3333_3333) | ((value & 0x3333_3333_3333_3333) << 2)
        value = ((value >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((value & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return value.byteSwapped
    }

    /// Writes `source` shifted right by `amount` bits (`0..<64`) into `target`; `source` has at
    /// least one word more than `target`.
    private static func shift(
        _ source: UnsafeBufferPointer<UInt64>, right amount: Int, into target: UnsafeMutableBufferPointer<UInt64>
    ) {
        guard amount > 0 else {
            for index in target.indices { target[index] = source[index] }
            return
        }
        let low = UInt64(amount)
        let high = UInt64(64 - amount)
        for index in target.indices {
            target[index] = (source[index] >> low) | (source[index + 1] << high)
        }
    }

    /// The parity of the bitwise AND of two equally long word sequences.
    private static func andParity(_ left: UnsafeBufferPointer<UInt64>, _ right: UnsafeBufferPointer<UInt64>) -> Bool {
        var accumulator0: UInt64 = 0
        var accumulator1: UInt64 = 0
        var accumulator2: UInt64 = 0
        var accumulator3: UInt64 = 0
        let count = left.count
        var index = 0
        while index + 4 <= count {
            accumulator0 ^= left[index] & right[index]
            accumulator1 ^= left[index + 1] & right[index + 1]
            accumulator2 ^= left[index + 2] & right[index + 2]
            accumulator3 ^= left[index + 3] & right[index + 3]
            index += 4
        }
        while index < count {
            accumulator0 ^= left[index] & right[index]
            index += 1
        }
        return (accumulator0 ^ accumulator1 ^ accumulator2 ^ accumulator3).nonzeroBitCount & 1 == 1
    }
}
