import QKDCore

/// Privacy amplification by Toeplitz hashing over GF(2): `n` input bits to `m` output bits.
///
/// Convention (exactly): `y_i = XOR over j of T[i][j] · x_j` for `i` in `0..<m`, `j` in
/// `0..<n`, with `T[i][j] = s[i − j + n − 1]` and a seed `s` of `n + m − 1` bits. Toeplitz
/// matrices with a uniform seed form a universal family (Krawczyk, CRYPTO 1994; Mansour, Nisan,
/// Tiwari 1993), as the leftover hash lemma requires.
///
/// Computation: with `x̃` the input reversed (`x̃_k = x_(n−1−k)`),
/// `y_i = parity(s[i ..< i + n] AND x̃)`. The reversed input is built once; for each residue
/// `r = i mod 64` the seed shifted right by `r` bits is built once, so the window of output
/// `i = 64q + r` is that copy's words `q ..< q + ⌈n/64⌉`, and every output bit is an AND-XOR of
/// whole words. The cost is about `m · n / 64` word operations.
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

    /// The `m`-bit hash of `input`. Throws `QKDError.invalidParameter` if `input` does not
    /// have `inputLength` bits.
    public func hash(_ input: BitVector) throws -> BitVector {
        guard input.count == inputLength else {
            throw QKDError(.invalidParameter, "Toeplitz input has \(input.count) bits but the hash takes \(inputLength)")
        }
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
