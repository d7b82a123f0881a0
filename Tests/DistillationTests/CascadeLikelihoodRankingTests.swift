@testable import Distillation
import Foundation
import QKDCore
import Testing

/// The second-pass ranking (`CascadeLikelihoodRanking`): its error density against a direct
/// binomial sum, its order against a plain stable sort, and Bob's and Alice's rankings against
/// each other.
@Suite struct CascadeLikelihoodRankingTests {
    /// `d(s)` is `E[j | j even] / s` for `j ~ Binomial(s, p)`: summed term by term here. The
    /// closed form and the sum agree to rounding (1e-12 relative); `d(1) = 0` (a lone bit known
    /// to hold an even number of errors holds none), and `d` grows with `s` towards `p`.
    @Test(arguments: [0.005, 0.02, 0.07, 0.2])
    func errorDensityIsTheBinomialConditionalMean(qber: Double) {
        var previous = -1.0
        for size in 1...40 {
            var evenProbability = 0.0
            var evenErrors = 0.0
            for errors in stride(from: 0, through: size, by: 2) {
                let term = Double(binomial(size, errors)) * pow(qber, Double(errors)) * pow(1 - qber, Double(size - errors))
                evenProbability += term
                evenErrors += Double(errors) * term
            }
            let expected = evenErrors / evenProbability / Double(size)
            let density = CascadeLikelihoodRanking.expectedErrorDensity(regionSize: size, qber: qber)
            #expect(abs(density - expected) <= 1e-12 * max(expected, 1e-300), "s \(size), p \(qber)")
            #expect(density > previous && density < qber)
            previous = density
        }
        #expect(CascadeLikelihoodRanking.expectedErrorDensity(regionSize: 1, qber: qber) == 0)
    }

    private func binomial(_ n: Int, _ k: Int) -> Double {
        (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
    }

    /// The size of key index `index`'s first-pass region, as the ranking's documentation defines
    /// it: the smallest stretch of its first-pass block's tree (split in the middle) that holds
    /// it and whose split is not in `knownSplits`.
    private func regionSize(_ index: Int, length: Int, firstBlockSize: Int, knownSplits: [UInt64]) -> Int {
        var lower = index / firstBlockSize * firstBlockSize
        var upper = min(lower + firstBlockSize, length)
        while upper - lower > 1 {
            let split = lower + (upper - lower) / 2
            guard (knownSplits[split >> 6] >> UInt64(split & 63)) & 1 == 1 else { break }
            if index < split { upper = split } else { lower = split }
        }
        return upper - lower
    }

    /// Random first-pass known splits: each split point of each first-pass tree is known with
    /// probability one half if its parent's is (the first-pass searches' shape).
    private func randomKnownSplits(length: Int, firstBlockSize: Int, using generator: inout SeededGenerator) -> [UInt64] {
        var knownSplits = [UInt64](repeating: 0, count: (length + 63) >> 6)
        var pending: [Range<Int>] = stride(from: 0, to: length, by: firstBlockSize).map { $0..<min($0 + firstBlockSize, length) }
        while let stretch = pending.popLast() {
            guard stretch.count > 1, generator.next() & 1 == 1 else { continue }
            let split = stretch.lowerBound + stretch.count / 2
            knownSplits[split >> 6] |= 1 << UInt64(split & 63)
            pending.append(stretch.lowerBound..<split)
            pending.append(split..<stretch.upperBound)
        }
        return knownSplits
    }

    /// For keys of one to several words, blocks inside a word, across words and not aligned to
    /// them, first-pass blocks of a power of two (regions a word at a time) or not (the tree
    /// walk), and a partial last first-pass block with region sizes of its own (517 bits): every
    /// second-pass block (a seeded permutation) must hold the same bits as before, ordered by
    /// decreasing region size and then by their old position, whether ranked with a QBER (Bob)
    /// or without (Alice; her class masks on their portable path); `rearrange` must move every bit
    /// to its ranked position and keep the bits past the key, with PEXT and without (blocks of one
    /// whole word take a path of their own); `rankedPosition` must invert `keyIndex`. The ranking
    /// keeps its own record of the known splits: changing them afterwards changes nothing.
    @Test(arguments: [(40, 10, 16), (64, 64, 16), (300, 64, 8), (300, 100, 16), (517, 48, 32), (1000, 128, 20)])
    func ranksEveryBlockByRegionSizeThenPosition(length: Int, blockSize: Int, firstBlockSize: Int) {
        var generator = SeededGenerator(seed: UInt64(length * 1000 + blockSize))
        var knownSplits = randomKnownSplits(length: length, firstBlockSize: firstBlockSize, using: &generator)
        let regionSizes = (0..<length).map { regionSize($0, length: length, firstBlockSize: firstBlockSize, knownSplits: knownSplits) }
        var shuffled = (0..<UInt32(length)).map { $0 }
        shuffled.shuffle(using: &generator)
        let order = CascadePermutationTables(originalIndices: shuffled)
        let (bob, alice) = knownSplits.withUnsafeBufferPointer { splits in
            (CascadeLikelihoodRanking(
                order: order, blockSize: blockSize, firstBlockSize: firstBlockSize, knownFirstPassSplits: splits, estimatedQBER: 0.07),
             CascadeLikelihoodRanking(
                order: order, blockSize: blockSize, firstBlockSize: firstBlockSize, knownFirstPassSplits: splits, estimatedQBER: nil,
                usingVectorUnit: false))
        }
        for index in knownSplits.indices { knownSplits[index] = ~0 }
        var expected: [Int] = []
        for start in stride(from: 0, to: length, by: blockSize) {
            let before = (start..<min(start + blockSize, length)).map { (index: Int(shuffled[$0]), position: $0) }
            expected += before.sorted { (-regionSizes[$0.index], $0.position) < (-regionSizes[$1.index], $1.position) }.map(\.index)
        }
        #expect((0..<length).map { bob.keyIndex(atRankedPosition: $0) } == expected)
        #expect((0..<length).map { alice.keyIndex(atRankedPosition: $0) } == expected)
        let rankedPositions = (0..<length).map { bob.rankedPosition(ofPosition: $0, keyIndex: Int(shuffled[$0])) }
        #expect((0..<length).allSatisfy { expected[rankedPositions[$0]] == Int(shuffled[$0]) && rankedPositions[$0] / blockSize == $0 / blockSize })
        // A random key laid out in the pass's order, then rearranged; the bits past the key are set.
        let key = BitVector(randomCount: length, using: &generator)
        var words = [UInt64](repeating: 0, count: (length + 63) >> 6)
        for position in 0..<length where key[Int(shuffled[position])] { words[position >> 6] |= 1 << UInt64(position & 63) }
        if length & 63 != 0 { words[words.count - 1] |= ~0 << UInt64(length & 63) }
        for usingPEXT in [true, false] {
            var rearranged = words
            rearranged.withUnsafeMutableBufferPointer { alice.rearrange($0.baseAddress!, usingPEXT: usingPEXT) }
            #expect((0..<length).allSatisfy { (rearranged[$0 >> 6] >> UInt64($0 & 63)) & 1 == (key[expected[$0]] ? 1 : 0) })
            if length & 63 != 0 { #expect(rearranged[words.count - 1] >> UInt64(length & 63) == ~0 >> UInt64(length & 63)) }
        }
    }

    /// Every split of every stretch of a ranked block lies strictly inside it and follows the
    /// documented rule, checked by brute force over the weights the documentation defines, in
    /// blocks inside one word and across words; a stretch of equal weights splits in the middle.
    @Test(arguments: [(64, 32, 16), (256, 96, 16), (200, 64, 8)])
    func balancedSplitsFollowTheDocumentedRule(length: Int, blockSize: Int, firstBlockSize: Int) {
        var generator = SeededGenerator(seed: UInt64(length + blockSize))
        let knownSplits = randomKnownSplits(length: length, firstBlockSize: firstBlockSize, using: &generator)
        let order = CascadePermutationTables(originalIndices: (0..<UInt32(length)).reversed())
        let ranking = knownSplits.withUnsafeBufferPointer {
            CascadeLikelihoodRanking(
                order: order, blockSize: blockSize, firstBlockSize: firstBlockSize, knownFirstPassSplits: $0, estimatedQBER: 0.05)
        }
        let weights = (0..<length).map {
            let size = regionSize(ranking.keyIndex(atRankedPosition: $0), length: length, firstBlockSize: firstBlockSize, knownSplits: knownSplits)
            return UInt64((CascadeLikelihoodRanking.expectedErrorDensity(regionSize: size, qber: 0.05)
                * CascadeLikelihoodRanking.errorWeightScale).rounded())
        }
        var equalWeightStretches = 0
        for blockStart in stride(from: 0, to: length, by: blockSize) {
            let blockEnd = min(blockStart + blockSize, length)
            for lower in blockStart..<blockEnd {
                for upper in stride(from: lower + 2, through: blockEnd, by: 1) {
                    let split = ranking.balancedSplit(lower, upper)
                    let total = weights[lower..<upper].reduce(0, +)
                    var expected = lower + (upper - lower) / 2
                    if total > 0 {
                        func left(_ m: Int) -> UInt64 { weights[lower..<m].reduce(0, +) }
                        func distance(_ m: Int) -> UInt64 { 2 * left(m) >= total ? 2 * left(m) - total : total - 2 * left(m) }
                        let candidates = (lower + 1)..<upper
                        let first = candidates.first { 2 * left($0) >= total } ?? candidates.last!
                        expected = first > lower + 1 && distance(first - 1) < distance(first) ? first - 1 : first
                    }
                    #expect(split > lower && split < upper && split == expected, "\(lower)..<\(upper)")
                    if (upper - lower) % 2 == 0 && Set(weights[lower..<upper]).count == 1 {
                        #expect(split == lower + (upper - lower) / 2)
                        equalWeightStretches += 1
                    }
                }
            }
        }
        #expect(equalWeightStretches > 0)
    }
}
