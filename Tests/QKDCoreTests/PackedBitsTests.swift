import QKDCore
import Testing

/// Every word-level primitive against a bit-by-bit reference, on random inputs from fixed seeds,
/// with ranges that start and end inside words, on word boundaries and span one or many words.
@Suite struct PackedBitsTests {
    private func randomWords(_ count: Int, generator: inout SeededGenerator) -> [UInt64] {
        (0..<count).map { _ in generator.next() }
    }

    private func bit(_ words: [UInt64], _ index: Int) -> Bool {
        (words[index >> 6] >> UInt64(index & 63)) & 1 == 1
    }

    private func randomRange(upTo limit: Int, generator: inout SeededGenerator) -> Range<Int> {
        let a = Int(generator.next() % UInt64(limit + 1)), b = Int(generator.next() % UInt64(limit + 1))
        return min(a, b)..<max(a, b)
    }

    @Test func rangeParityMatchesBitByBit() {
        var generator = SeededGenerator(seed: 11)
        let words = randomWords(20, generator: &generator)
        let fixedRanges = [0..<0, 0..<1, 0..<64, 63..<65, 64..<128, 5..<1280, 1279..<1280, 70..<70]
        let ranges = fixedRanges + (0..<400).map { _ in randomRange(upTo: 1280, generator: &generator) }
        words.withUnsafeBufferPointer { buffer in
            for range in ranges {
                let naive = range.reduce(false) { $0 != bit(words, $1) }
                #expect(PackedBits.parity(buffer, range) == naive, "range \(range)")
            }
        }
    }

    @Test func maskedParityMatchesBitByBit() {
        var generator = SeededGenerator(seed: 12)
        let words = randomWords(17, generator: &generator)
        let mask = randomWords(17, generator: &generator)
        let ranges = [0..<1088, 3..<4, 64..<65, 60..<70] + (0..<400).map { _ in randomRange(upTo: 1088, generator: &generator) }
        words.withUnsafeBufferPointer { buffer in
            mask.withUnsafeBufferPointer { maskBuffer in
                for range in ranges {
                    let naive = range.reduce(false) { $0 != (bit(words, $1) && bit(mask, $1)) }
                    #expect(PackedBits.parity(buffer, masked: maskBuffer, range) == naive, "range \(range)")
                }
            }
        }
    }

    @Test func popcountAndXorMatchBitByBit() {
        var generator = SeededGenerator(seed: 13)
        let first = randomWords(9, generator: &generator)
        let second = randomWords(9, generator: &generator)
        let naiveCount = (0..<576).filter { bit(first, $0) }.count
        #expect(first.withUnsafeBufferPointer { PackedBits.popcount($0) } == naiveCount)
        var combined = second
        first.withUnsafeBufferPointer { source in
            combined.withUnsafeMutableBufferPointer { PackedBits.xor(source, into: $0) }
        }
        #expect((0..<576).allSatisfy { bit(combined, $0) == (bit(first, $0) != bit(second, $0)) })
    }

    @Test(arguments: [1, 63, 64, 65, 1000], [true, false])
    func gatherPlacesIndexedBits(length: Int, usingVectorUnit: Bool) {
        var generator = SeededGenerator(seed: UInt64(length))
        let source = randomWords((length + 63) >> 6, generator: &generator)
        // A random permutation by Fisher-Yates (the reference need not be fast).
        var indices = (0..<UInt32(length)).map { $0 }
        for position in stride(from: length - 1, to: 0, by: -1) {
            indices.swapAt(position, Int(generator.next() % UInt64(position + 1)))
        }
        var target = [UInt64](repeating: ~0, count: (length + 63) >> 6)
        source.withUnsafeBufferPointer { sourceBuffer in
            indices.withUnsafeBufferPointer { indexBuffer in
                target.withUnsafeMutableBufferPointer {
                    PackedBits.gather(sourceBuffer, indices: indexBuffer, into: $0, usingVectorUnit: usingVectorUnit)
                }
            }
        }
        #expect((0..<length).allSatisfy { bit(target, $0) == bit(source, Int(indices[$0])) })
        // Bits past the length are cleared.
        #expect((length..<(target.count * 64)).allSatisfy { !bit(target, $0) })
    }

    @Test func selectFindsTheBitOfEachRank() {
        var generator = SeededGenerator(seed: 14)
        for word in [UInt64.max, 1, 1 << 63, 0x8000_0000_0000_0001] + randomWords(50, generator: &generator) {
            let ones = (0..<64).filter { (word >> UInt64($0)) & 1 == 1 }
            for (rank, position) in ones.enumerated() {
                #expect(PackedBits.select(word, rank: rank) == position, "word \(word) rank \(rank)")
            }
        }
    }

    /// Block parities for every kind of block size (folded powers of two below 64, whole words,
    /// the rest), over lengths ending inside and at the end of a word, with random bits past the
    /// length that must not count; the target's bits past the last block stay clear.
    @Test(arguments: [1, 2, 4, 16, 32, 64, 128, 3, 48, 100])
    func blockParitiesMatchBitByBit(blockSize: Int) {
        var generator = SeededGenerator(seed: 14 + UInt64(blockSize))
        for length in [1, 63, 64, 65, 1000, 1024] {
            let words = randomWords((length + 63) >> 6, generator: &generator)
            let blockCount = (length + blockSize - 1) / blockSize
            var target = [UInt64](repeating: ~0, count: (blockCount + 63) >> 6)
            words.withUnsafeBufferPointer { source in
                target.withUnsafeMutableBufferPointer {
                    PackedBits.blockParities(source, length: length, blockSize: blockSize, into: $0)
                }
            }
            for block in 0..<target.count * 64 {
                let expected = block < blockCount
                    && (block * blockSize..<min((block + 1) * blockSize, length)).reduce(false) { $0 != bit(words, $1) }
                #expect(bit(target, block) == expected, "block size \(blockSize), length \(length), block \(block)")
            }
        }
    }

    /// Bit copies from offsets inside and at the start of words, of counts ending inside words,
    /// on word boundaries and at the source's end; the target's bits past the count are cleared.
    @Test func copyBitsMatchesBitByBit() {
        var generator = SeededGenerator(seed: 15)
        let source = randomWords(6, generator: &generator)
        let cases = [(0, 0), (0, 1), (0, 64), (0, 384), (1, 383), (63, 2), (64, 64), (70, 130), (100, 284), (383, 1), (5, 200)]
        source.withUnsafeBufferPointer { buffer in
            for (offset, count) in cases {
                var target = [UInt64](repeating: ~0, count: (count + 63) >> 6)
                target.withUnsafeMutableBufferPointer { PackedBits.copyBits(buffer, from: offset, count: count, into: $0) }
                for index in 0..<target.count * 64 {
                    #expect(bit(target, index) == (index < count && bit(source, offset + index)), "offset \(offset), count \(count), bit \(index)")
                }
            }
        }
    }
}
