import Distillation
import QKDCore
import Testing

@Suite struct VerificationHashTests {
    private let p = VerificationHash.fieldPrime

    @Test func equalKeysGiveEqualTags() throws {
        var generator = SeededGenerator(seed: 1)
        let hash = try VerificationHash(using: &generator)
        let key = BitVector(randomCount: 100_003, using: &generator)
        let copy = BitVector(words: key.words, count: key.count)
        #expect(hash.tag(of: key) == hash.tag(of: copy))
        #expect(hash.tag(of: key).count == 2)
        #expect(hash.tag(of: key).allSatisfy { $0 < p })
    }

    /// A collision has probability at most (L/p)^2 ≈ 10^-33 per trial here, so any equal tags
    /// over 2000 trials mean a broken hash.
    @Test func oneBitDifferenceChangesTheTag() throws {
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<2000 {
            let length = 1 + Int(generator.next() % 3000)
            let hash = try VerificationHash(using: &generator)
            let key = BitVector(randomCount: length, using: &generator)
            var flipped = key
            flipped.flip(Int(generator.next() % UInt64(length)))
            let keyTag = hash.tag(of: key)
            let flippedTag = hash.tag(of: flipped)
            #expect(keyTag[0] != flippedTag[0])
            #expect(keyTag[1] != flippedTag[1])
        }
    }

    @Test func keysThatDifferOnlyInTrailingZerosDiffer() throws {
        var generator = SeededGenerator(seed: 3)
        let hash = try VerificationHash(using: &generator)
        #expect(hash.tag(of: BitVector(count: 60)) != hash.tag(of: BitVector(count: 61)))
        #expect(hash.tag(of: BitVector(count: 0)) != hash.tag(of: BitVector(count: 1)))
    }

    /// Hand-computed tags: h_r = ℓ·r^L + chunk₀·r^(L−1) + … (mod p), p = 2^61 − 1.
    @Test func knownAnswers() throws {
        // One bit "1", r = 2: ℓ = 1, L = 1, chunk₀ = 1 → 1·2 + 1 = 3.
        let small = try VerificationHash(evaluationPoints: [2])
        #expect(small.tag(of: BitVector(bits: [true])) == [3])
        // 60 zero bits, r = p − 1 ≡ −1: ℓ·r + 0 = −60 ≡ p − 60.
        let minusOne = try VerificationHash(evaluationPoints: [p - 1])
        #expect(minusOne.tag(of: BitVector(count: 60)) == [p - 60])
        // 120 bits: chunk₀ = 2^60 − 1 (60 ones), chunk₁ = 5 (bits 60 and 62 set), r = −1:
        // 120·r² + chunk₀·r + chunk₁ = 120 − (2^60 − 1) + 5 = 126 − 2^60 ≡ 2^60 + 125 (mod p).
        var key = BitVector(count: 120)
        for index in 0..<60 { key[index] = true }
        key[60] = true
        key[62] = true
        #expect(minusOne.tag(of: key) == [(1 << 60) + 125])
    }

    @Test func collisionBoundIsComputedFromChunkCount() throws {
        let hash = try VerificationHash(evaluationPoints: [5, 7])
        // 6000 bits = 100 chunks of 60 bits: (100/p)^2.
        let expected = (100.0 / Double(p)) * (100.0 / Double(p))
        #expect(abs(hash.collisionProbability(forBitLength: 6000) / expected - 1) < 1e-12)
        #expect(VerificationHash.chunkCount(forBitLength: 6001) == 101)
        #expect(hash.tagBitCount == 122)
        let single = try VerificationHash(evaluationPoints: [5])
        #expect(single.tagBitCount == 61)
        #expect(abs(single.collisionProbability(forBitLength: 60) * Double(p) - 1) < 1e-12)
    }

    @Test func invalidKeysThrow() {
        #expect(throws: QKDError.self) { try VerificationHash(evaluationPoints: []) }
        #expect(throws: QKDError.self) { try VerificationHash(evaluationPoints: [1, p]) }
        var generator = SeededGenerator(seed: 4)
        #expect(throws: QKDError.self) { try VerificationHash(pointCount: 0, using: &generator) }
    }
}
