@testable import Distillation
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

    /// xorshift64 words, 64 bits each least-significant first, as in
    /// scripts/toeplitz_known_answers.py; returns the bits and the next state.
    private func xorshiftBits(state: UInt64, count: Int) -> (BitVector, UInt64) {
        var state = state
        var words: [UInt64] = []
        while words.count * 64 < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            words.append(state)
        }
        return (BitVector(words: words, count: count), state)
    }

    private func hex(_ bits: BitVector) -> String {
        bits.bytesMSBFirst.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// (n, m, xorshift start state, hash as hex, MSB first) from the definition in Python:
    /// `python3 scripts/toeplitz_known_answers.py`.
    @Test(arguments: [
        (77, 50, 1, "db1ce95fefb700"),
        (2300, 2300, 2, "3a473612037e5713ae26963f9f61f50125ac159a466f3cc3245fae4faf0575fdf612c5a6bf2867d2ae32fc00f9aab8edd8490d9fe5467584939bf2fe63d8618322a39cdd9e5ee7ea3cae649977b344d140913a091a9a0351e8551bc64de04a09afd7be1ad6a5f52324ff06e6041e8d6ae02a99ef89b23cf880055c365c64be99af1da87af0f3a8e43c2635b96233d6992e6035b20198a1e5ba2b810c54c854ee76ece26fdd8a00d79ba374d1b517ab08f61486f86bb921ce16f3b814de68aec025bad51db6673b91ab59d79f99fcb5d287565329b60896b431a24e1eb15442e1e45de0fddf36e28a1520c50ec7f21b42b4c1a83ffcb3b76a1755995205855edb2643267577fd78bc48d633d89d0872437c5c6ac562559a4a9559ccab44118cf0"),
        (4500, 1000, 3, "302b81213203fdde6736608b63b3320f2cc2c92a4135d6bd848e336e1839c2d441be580541615f3c930806a43e4ef1603828c0b24f3d1128d1ace366c73f2fefe4dee93867e52a7b069305baaeec2377f3b6987a39880dc3eb0ddeb3b7c68cd6a49d2e9e2386480812a0da657d0c28337fab754acd65334e2f8527669e"),
        (5000, 4100, 4, "d60a24f4cbf134b5691f64ae1c20938d0ebd998facd88210d910d3a7844fdb294710fe24c6ee12431c13153aa65d29515d713f1e48dc159187b64c7059874cffd5bf39042642e3b795fd02f38669fecfdad966953fe7c2b5f3c611140d89bd2c5381d4b409013c949402438c1f34621af0eeee420de846c05c76cb1a0cac521af03437e762dff1fa75fd50ea6e1426749eea1ac47730387ec51862a55c917b4b263631bf1602f21e7f7ce7b1febbe1c97941971ed01d34383a3e72b4138822c471d380953c5caec6adef352ba289d7aa7b219576086f44f2ee1b99f2ce99de9784668c242b1b4d0fec9fafa7c69a45b25beb0fdf56d637907ae6f9752d8401e25ab0daf97bfaaf465ac2765fd10e93adef4b19ca748736151052cdc6e9094492e660fd89d3f52ad0b997123f9a03992c065a78a5790e34aebf987eed08514c3465691e5169f7107237451cf203a3415c74b622118dbddd4bc42f4a2adc451f0e6534adfe5bd9c38f152f97ab8b0d254b5ad25492fbc1b420986f25fc58d3a12377789109209e2b0b970c0f9c0cfefa5c9dc958679190e95878cc98fcdf6651f345fb18263cc08d658aad80bdeacdc07fa7af3dacfc4a4f93efd5a1c056de69f89ec27a7ff90574ad086f761c3f085aa2d51dfb578fceb374baae8e223544d3da9bfacefa518810ae27c994fcdc014703789488becc5655ead9a49e3c5230d4c4a0"),
        (4097, 4095, 5, "ef0525a2a9751b86eebccf34ba321743b905e141e6657c1dda264bc90f0b57d512e53c50b691c7d686929d885b2fc9d6c3c08bf7c8538f422e8150eed5a0022dbacb7cfbf0a77726227b12a9552207bdae1a9b9210849704cd40c9975760aaea414e781ec2d1ce90bed488b40588f00911164bb5e342dfe6ac076faa7b17ed05f45d2617ec5db681c3b19b0647250d56597436bedbc4f07ec362d286011c7fdc2389c69df1e852fa278fc73f5b1c9f48e3de5b205de7371051e105adb6794bd885696fa22343f226ee14e74b56cecb109560393cfda121b2111c160a10019af0686cce8a10138d82a38948270936eef8af2e57aa8595a05ed7fbabca52c5883d3a9aedae3008627972de6318bb3ee67f7859509a1265f29184caca52de196d028cf823ca69822f5226747e4bfc4d39883637e36677b8dc7ed915a327d62bf7a843eee79a6abc3e5cfa32ad4c68fcb3f85d5734f5affdf807f2dbc4b2c7e72b30e8c18ff3e0c168b7a150cc74e60e9722a0a166936f31c73cb2d9646660f27b8c4eadb88ccd31761b1aba62798fa432fc266a068500a5a026946a9689e6feb32af72867e8c9267ccf4376898d613e0221e859823ec724b1139a0469b34bdef74212f73e7acd97e81e702513746cf445a0f4bc96de94812caff379116d8a487e4297f39ca4cb1c15edf0c80475d42de7a020ee3296571b3a250c929eab2d8ad1e8"),
    ])
    func knownAnswers(inputLength: Int, outputLength: Int, start: UInt64, expected: String) throws {
        let (input, state) = xorshiftBits(state: start, count: inputLength)
        let (seed, _) = xorshiftBits(state: state, count: inputLength + outputLength - 1)
        let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
        for algorithm in [ToeplitzHash.Algorithm.automatic, .direct, .karatsuba, .portableKaratsuba, .additiveFFT] {
            #expect(hex(try hash.hash(input, threads: 1, algorithm: algorithm)) == expected, "\(algorithm)")
        }
    }

    /// Both Karatsuba kernels against the definition: base cases of many word counts, m close
    /// to n, m = 1 and m far below n (rectangular splits). Deeper recursion is compared with the
    /// direct product below and with the known answers above.
    @Test(arguments: [
        (1, 1), (65, 1), (300, 300), (640, 639), (1000, 999), (1500, 1499), (2200, 1), (2500, 700), (3100, 64),
        (1200, 100),
    ])
    func karatsubaMatchesTheDefinition(inputLength: Int, outputLength: Int) throws {
        var generator = SeededGenerator(seed: UInt64(inputLength * 31 + outputLength))
        let input = BitVector(randomCount: inputLength, using: &generator)
        let seed = BitVector(
            randomCount: ToeplitzHash.seedLength(inputLength: inputLength, outputLength: outputLength), using: &generator)
        let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
        let expected = naiveHash(input, seed: seed, outputLength: outputLength)
        #expect(try hash.hash(input, threads: 1, algorithm: .karatsuba) == expected)
        #expect(try hash.hash(input, threads: 1, algorithm: .portableKaratsuba) == expected)
    }

    /// Larger sizes (one to three Karatsuba levels above the 48-word base case, padding to even
    /// halvings, including 97 and 195 words whose halvings round up past the base case,
    /// rectangular splits) against the direct product, which the tests above tie to the
    /// definition.
    @Test(arguments: [
        (8191, 8191), (9000, 8999), (20_000, 3_001), (12_345, 6_789), (7_000, 6_000), (6_200, 6_200), (12_480, 12_480),
    ])
    func karatsubaMatchesTheDirectProduct(inputLength: Int, outputLength: Int) throws {
        var generator = SeededGenerator(seed: UInt64(inputLength + outputLength))
        let input = BitVector(randomCount: inputLength, using: &generator)
        let seed = BitVector(
            randomCount: ToeplitzHash.seedLength(inputLength: inputLength, outputLength: outputLength), using: &generator)
        let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
        let expected = try hash.hash(input, threads: 1, algorithm: .direct)
        #expect(try hash.hash(input, threads: 1, algorithm: .karatsuba) == expected)
        #expect(try hash.hash(input, threads: 1, algorithm: .portableKaratsuba) == expected)
    }

    /// Blocks above the threshold for threads (2048 words) give the same hash on one thread and
    /// on two, square, rectangular and with odd word counts.
    @Test(arguments: [(140_000, 140_000), (300_001, 135_000), (262_145, 262_100)])
    func twoThreadsMatchOne(inputLength: Int, outputLength: Int) throws {
        var generator = SeededGenerator(seed: UInt64(inputLength ^ outputLength))
        let input = BitVector(randomCount: inputLength, using: &generator)
        let seed = BitVector(
            randomCount: ToeplitzHash.seedLength(inputLength: inputLength, outputLength: outputLength), using: &generator)
        let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
        let single = try hash.hash(input, threads: 1, algorithm: .karatsuba)
        #expect(single.popcount > outputLength / 3)
        #expect(try hash.hash(input, threads: 2, algorithm: .karatsuba) == single)
    }

    /// The additive FFT against Karatsuba: transform sizes 2^2 ... 2^17, chunk boundaries, odd
    /// lengths, m close to n and far below, one and two threads.
    @Test(arguments: [
        (1, 1), (2, 1), (31, 17), (64, 64), (65, 3), (100, 100), (1000, 999), (4097, 4000), (10_000, 1), (33_333, 30_001),
        (100_000, 50_000), (262_144, 262_144), (300_001, 31_000), (1_000_003, 600_001),
    ])
    func additiveFFTMatchesKaratsuba(inputLength: Int, outputLength: Int) throws {
        var generator = SeededGenerator(seed: UInt64(inputLength * 3 + outputLength))
        let input = BitVector(randomCount: inputLength, using: &generator)
        let seed = BitVector(
            randomCount: ToeplitzHash.seedLength(inputLength: inputLength, outputLength: outputLength), using: &generator)
        let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
        let expected = try hash.hash(input, threads: 1, algorithm: .karatsuba)
        #expect(try hash.hash(input, threads: 1, algorithm: .additiveFFT) == expected)
        #expect(try hash.hash(input, threads: 2, algorithm: .additiveFFT) == expected)
    }

    @Test func badThreadCountThrows() throws {
        let hash = try ToeplitzHash(inputLength: 10, outputLength: 4, seed: BitVector(count: 13))
        #expect(throws: QKDError.self) { try hash.hash(BitVector(count: 10), threads: 0) }
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
