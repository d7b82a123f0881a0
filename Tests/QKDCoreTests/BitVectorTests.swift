import QKDCore
import Testing

@Suite struct BitVectorTests {
    private func random(_ count: Int, seed: UInt64) -> BitVector {
        var generator = SeededGenerator(seed: seed)
        return BitVector(randomCount: count, using: &generator)
    }

    @Test func rangeParityMatchesBitByBit() {
        let bits = random(1000, seed: 1)
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<500 {
            let a = Int(generator.next() % 1001), b = Int(generator.next() % 1001)
            let range = min(a, b)..<max(a, b)
            let naive = range.reduce(false) { $0 != bits[$1] }
            #expect(bits.parity(of: range) == naive, "range \(range)")
        }
    }

    @Test func slicesKeepBits() {
        let bits = random(300, seed: 3)
        for range in [0..<300, 5..<70, 63..<64, 64..<200, 299..<300, 10..<10] {
            let slice = bits.slice(range)
            #expect(slice.count == range.count)
            #expect(range.enumerated().allSatisfy { slice[$0.offset] == bits[$0.element] })
        }
    }

    @Test func bytesRoundTripMostSignificantBitFirst() {
        let bits = BitVector(bits: [true, false, false, false, false, false, false, true, true])
        #expect(bits.bytesMSBFirst == [0x81, 0x80])
        #expect(BitVector(bytesMSBFirst: [0x81, 0x80], count: 9) == bits)
        let long = random(1001, seed: 4)
        #expect(BitVector(bytesMSBFirst: long.bytesMSBFirst, count: 1001) == long)
    }

    @Test func hammingDistanceAndXor() {
        var a = random(500, seed: 5)
        let original = a
        a.flip(3)
        a.flip(499)
        #expect(a.hammingDistance(to: original) == 2)
        a ^= original
        #expect(a.popcount == 2)
        #expect(a[3] && a[499])
    }

    @Test func tailBitsStayClear() {
        let bits = BitVector(words: [UInt64.max], count: 10)
        #expect(bits.popcount == 10)
    }
}

@Suite struct SeededGeneratorTests {
    @Test func sameSeedSameStreamAndStreamsDiffer() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        var c = SeededGenerator(seed: 42, stream: "alice")
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
    }

    /// Mean of 200 000 geometric gaps at p = 0.01 is (1-p)/p = 99, standard error about 0.22;
    /// tolerance 1.5.
    @Test func geometricGapsHaveTheRightMean() {
        var generator = SeededGenerator(seed: 9)
        let n = 200_000
        let mean = (0..<n).reduce(0.0) { total, _ in total + Double(generator.nextGeometricGap(successProbability: 0.01)) } / Double(n)
        #expect(abs(mean - 99) < 1.5)
        #expect(generator.nextGeometricGap(successProbability: 1) == 0)
    }

    @Test func unitIntervalIsOpen() {
        var generator = SeededGenerator(seed: 10)
        for _ in 0..<100_000 {
            let u = generator.nextUnitInterval()
            #expect(u > 0 && u < 1)
        }
    }
}
