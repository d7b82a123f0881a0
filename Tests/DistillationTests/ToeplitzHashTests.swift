import Distillation
import QKDCore
import Testing

@Suite struct ToeplitzHashTests {
    /// The definition, bit by bit: y_i = XOR_j s[i − j + n − 1] · x_j.
    private func naiveHash(_ input: BitVector, seed: BitVector, outputLength: Int) -> BitVector {
        let n = input.count
        var output = BitVector(count: outputLength)
        for i in 0..<outputLength {
            var bit = false
            for j in 0..<n where seed[i - j + n - 1] && input[j] { bit.toggle() }
            output[i] = bit
        }
        return output
    }

    @Test(arguments: [
        (1, 1), (1, 0), (2, 1), (2, 2), (5, 3), (63, 63), (64, 1), (64, 64), (65, 64), (65, 65),
        (100, 37), (127, 128 - 1), (128, 1), (129, 100), (200, 200), (1000, 1), (1000, 999), (1000, 1000),
        (4097, 300), (3000, 2999),
    ])
    func matchesTheDefinition(inputLength: Int, outputLength: Int) throws {
        var generator = SeededGenerator(seed: UInt64(inputLength * 10_007 + outputLength))
        for _ in 0..<3 {
            let input = BitVector(randomCount: inputLength, using: &generator)
            let seed = BitVector(
                randomCount: ToeplitzHash.seedLength(inputLength: inputLength, outputLength: outputLength),
                using: &generator)
            let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
            #expect(try hash.hash(input) == naiveHash(input, seed: seed, outputLength: outputLength))
        }
    }

    /// n = 4, m = 3, x = (x0..x3) = 1 1 0 1, s = (s0..s5) = 0 1 1 0 1 0. T[i][j] = s[i − j + 3]:
    ///   row 0 = (s3 s2 s1 s0) = 0 1 1 0 → 0·1 + 1·1 + 1·0 + 0·1 = 1
    ///   row 1 = (s4 s3 s2 s1) = 1 0 1 1 → 1·1 + 0·1 + 1·0 + 1·1 = 0 (mod 2)
    ///   row 2 = (s5 s4 s3 s2) = 0 1 0 1 → 0·1 + 1·1 + 0·0 + 1·1 = 0 (mod 2)
    /// so y = 1 0 0.
    @Test func handCheckedVector() throws {
        let input = BitVector(bits: [true, true, false, true])
        let seed = BitVector(bits: [false, true, true, false, true, false])
        let hash = try ToeplitzHash(inputLength: 4, outputLength: 3, seed: seed)
        #expect(try hash.hash(input) == BitVector(bits: [true, false, false]))
    }

    @Test func isLinear() throws {
        var generator = SeededGenerator(seed: 77)
        let seed = BitVector(randomCount: 5000 + 800 - 1, using: &generator)
        let hash = try ToeplitzHash(inputLength: 5000, outputLength: 800, seed: seed)
        let first = BitVector(randomCount: 5000, using: &generator)
        let second = BitVector(randomCount: 5000, using: &generator)
        var sum = first
        sum ^= second
        var expected = try hash.hash(first)
        expected ^= try hash.hash(second)
        #expect(try hash.hash(sum) == expected)
    }

    @Test func badLengthsThrow() {
        #expect(throws: QKDError.self) { try ToeplitzHash(inputLength: 10, outputLength: 4, seed: BitVector(count: 14)) }
        #expect(throws: QKDError.self) { try ToeplitzHash(inputLength: 10, outputLength: 11, seed: BitVector(count: 20)) }
        #expect(throws: QKDError.self) { try ToeplitzHash(inputLength: 0, outputLength: 0, seed: BitVector(count: 0)) }
        let hash = try? ToeplitzHash(inputLength: 10, outputLength: 4, seed: BitVector(count: 13))
        #expect(hash != nil)
        #expect(throws: QKDError.self) { try hash?.hash(BitVector(count: 11)) }
    }
}
