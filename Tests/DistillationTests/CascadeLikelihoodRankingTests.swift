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

    /// Bob's tables for every block of `ranking`, position by position (`rankBlock`).
    private struct RankedTables {
        var indices: [UInt32]
        var rankedPositions: [UInt32]
        var sizeRanks: [UInt8]
        var errorWeightsBefore: [UInt64]
    }

    /// Ranks every block of `ranking` as Bob does.
    private func rankAll(_ ranking: CascadeLikelihoodRanking) -> RankedTables {
        let length = ranking.length
        var tables = RankedTables(
            indices: [UInt32](repeating: 0, count: length), rankedPositions: [UInt32](repeating: 0, count: length),
            sizeRanks: [UInt8](repeating: 0, count: length), errorWeightsBefore: [UInt64](repeating: 0, count: length))
        for block in 0..<((length + ranking.blockSize - 1) / ranking.blockSize) {
            let start = ranking.range(ofBlock: block).lowerBound
            tables.indices.withUnsafeMutableBufferPointer { indices in
                tables.rankedPositions.withUnsafeMutableBufferPointer { rankedPositions in
                    tables.sizeRanks.withUnsafeMutableBufferPointer { sizeRanks in
                        tables.errorWeightsBefore.withUnsafeMutableBufferPointer { weights in
                            ranking.rankBlock(
                                block, indices: indices.baseAddress! + start, rankedPositions: rankedPositions.baseAddress! + start,
                                sizeRanks: sizeRanks.baseAddress! + start, errorWeightsBefore: weights.baseAddress! + start)
                        }
                    }
                }
            }
        }
        return tables
    }

    /// Ranks every block of `ranking` as Alice does: the ranked key indices alone.
    private func rankIndices(_ ranking: CascadeLikelihoodRanking) -> [UInt32] {
        var indices = [UInt32](repeating: 0, count: ranking.length)
        indices.withUnsafeMutableBufferPointer { indices in
            for block in 0..<((ranking.length + ranking.blockSize - 1) / ranking.blockSize) {
                ranking.rankBlock(block, indices: indices.baseAddress! + ranking.range(ofBlock: block).lowerBound)
            }
        }
        return indices
    }

    /// A 40-bit key with first-pass blocks of 16, 16 and 8 bits and known splits 8, 4, 6 (block
    /// 0: regions 0..<4, 4..<6, 6..<8, 8..<16) and 36 (block 2: 32..<36, 36..<40); block 1 was
    /// never searched. Every second-pass block (10 bits of a seeded permutation) must hold the
    /// same bits as before, ordered by decreasing region size and then by their old position,
    /// whether ranked with a QBER (Bob) or without (Alice); Bob's ranked position of every bit
    /// points back to it. The ranking keeps its own copy of the known splits: changing them
    /// afterwards changes nothing.
    @Test func ranksEveryBlockByRegionSizeThenPosition() {
        let length = 40
        var knownSplits = [UInt64](repeating: 0, count: 1)
        for split in [8, 4, 6, 36] { knownSplits[0] |= 1 << UInt64(split) }
        var regionSize = [Int](repeating: 16, count: length)
        for index in 0..<4 { regionSize[index] = 4 }
        for index in 4..<8 { regionSize[index] = 2 }
        for index in 8..<16 { regionSize[index] = 8 }
        for index in 32..<40 { regionSize[index] = 4 }
        var generator = SeededGenerator(seed: 3)
        var shuffled = (0..<UInt32(length)).map { $0 }
        shuffled.shuffle(using: &generator)
        let order = CascadePermutationTables(originalIndices: shuffled)
        let (bob, alice) = knownSplits.withUnsafeBufferPointer { splits in
            (CascadeLikelihoodRanking(order: order, blockSize: 10, firstBlockSize: 16, knownFirstPassSplits: splits, estimatedQBER: 0.07),
             CascadeLikelihoodRanking(order: order, blockSize: 10, firstBlockSize: 16, knownFirstPassSplits: splits, estimatedQBER: nil))
        }
        knownSplits[0] = ~0
        let bobRanked = rankAll(bob)
        let aliceIndices = rankIndices(alice)
        for start in stride(from: 0, to: length, by: 10) {
            let before = (start..<start + 10).map { (index: Int(shuffled[$0]), position: $0) }
            let expected = before.sorted { (-regionSize[$0.index], $0.position) < (-regionSize[$1.index], $1.position) }.map(\.index)
            #expect(bobRanked.indices[start..<start + 10].map { Int($0) } == expected, "block at \(start)")
        }
        #expect(aliceIndices == bobRanked.indices)
        #expect((0..<length).allSatisfy { bobRanked.indices[Int(bobRanked.rankedPositions[$0])] == shuffled[$0] })
        #expect((0..<length).allSatisfy { Int(bobRanked.rankedPositions[$0]) / 10 == $0 / 10 })
        // Ranks follow sizes: 16, 8, 4, 2 are ranks 0, 1, 2, 3 (no region of 1 bit here).
        let rankOfSize = [16: 0, 8: 1, 4: 2, 2: 3]
        #expect((0..<length).allSatisfy { Int(bobRanked.sizeRanks[$0]) == rankOfSize[regionSize[Int(bobRanked.indices[$0])]] })
    }

    /// Every split of every stretch of a ranked block lies strictly inside it and follows the
    /// documented rule, checked by brute force over the weights the documentation defines (as
    /// is each ranked position's weight before it in its block); a stretch of equal weights
    /// splits in the middle.
    @Test func balancedSplitsFollowTheDocumentedRule() {
        let length = 64
        var knownSplits: [UInt64] = [0]
        for split in [8, 4, 2, 24, 20, 40] { knownSplits[0] |= 1 << UInt64(split) }
        let order = CascadePermutationTables(originalIndices: (0..<UInt32(length)).reversed())
        let ranking = knownSplits.withUnsafeBufferPointer {
            CascadeLikelihoodRanking(order: order, blockSize: 32, firstBlockSize: 16, knownFirstPassSplits: $0, estimatedQBER: 0.05)
        }
        let ranked = rankAll(ranking)
        let indices = ranked.indices
        // Weights as the ranking's documentation defines them, from each ranked bit's region.
        func regionSize(_ index: Int) -> Int {
            var lower = index / 16 * 16
            var upper = lower + 16
            while upper - lower > 1 {
                let split = lower + (upper - lower) / 2
                guard (knownSplits[0] >> UInt64(split)) & 1 == 1 else { break }
                if index < split { upper = split } else { lower = split }
            }
            return upper - lower
        }
        let weights = (0..<length).map {
            UInt64((CascadeLikelihoodRanking.expectedErrorDensity(regionSize: regionSize(Int(indices[$0])), qber: 0.05)
                * CascadeLikelihoodRanking.errorWeightScale).rounded())
        }
        #expect((0..<length).allSatisfy { ranked.errorWeightsBefore[$0] == weights[($0 / 32 * 32)..<$0].reduce(0, +) })
        func split(_ lower: Int, _ upper: Int) -> Int {
            ranked.sizeRanks.withUnsafeBufferPointer { sizeRanks in
                ranked.errorWeightsBefore.withUnsafeBufferPointer { errorWeightsBefore in
                    ranking.balancedSplit(lower, upper, sizeRanks: sizeRanks.baseAddress!, errorWeightsBefore: errorWeightsBefore.baseAddress!)
                }
            }
        }
        for blockStart in [0, 32] {
            for lower in blockStart..<(blockStart + 32) {
                for upper in stride(from: lower + 2, through: blockStart + 32, by: 1) {
                    let split = split(lower, upper)
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
                }
            }
        }
        // Block 1 (positions 32..<64, key indices 31 down to 0) puts its 16 bits of 8-bit
        // regions (indices 24..<32 and 8..<16) first: eight bits of equal weight split in
        // the middle.
        #expect((32..<40).allSatisfy { [24, 8].contains(Int(indices[$0]) / 8 * 8) })
        #expect(split(32, 40) == 36)
    }
}
