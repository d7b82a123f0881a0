import Foundation
import QKDCore

/// The order of the second pass (the first permuted one) once the first pass is done: inside
/// every block, its bits ranked by how likely each is to hold an error still, so that binary
/// search can split by expected errors instead of by bit count
/// (`CascadeParameters.ranksSecondPassByErrorLikelihood`).
///
/// Why the ranking is well defined and why it helps, for a binary symmetric channel with error
/// rate `p` (independent errors):
/// - When Bob reaches the second pass, every first-pass block agrees with Alice's parity, and so
///   does every stretch of it whose parity Alice disclosed during its binary search. Those
///   stretches cut the block into regions, the leaves of its search tree, each holding an even
///   number of errors.
/// - Given that, regions are independent, and a region of `s` bits holds `j ~ Binomial(s, p)`
///   errors conditioned on `j` even. Averaging the generating function `(1 − p + p x)^s` and its
///   derivative at `x = ±1` gives `P(j even) = (1 + (1 − 2p)^s) / 2` and
///   `E[j; j even] = s p (1 − (1 − 2p)^(s−1)) / 2`, so each of its bits is in error with
///   probability `d(s) = p (1 − (1 − 2p)^(s−1)) / (1 + (1 − 2p)^s)`
///   (`expectedErrorDensity(regionSize:qber:)`): 0 for `s = 1` (a bit Bob corrected, or its
///   sibling), increasing with `s`. At 7 %: 0.0056, 0.0165, 0.035, 0.058 for 2, 4, 8, 16 bits.
/// - An odd second-pass block then most likely holds one error, at a bit chosen with
///   probability proportional to `d`; a search whose halves carry equal expected errors needs
///   about the entropy of that distribution in parities, fewer than `log₂ k₂` (5.85 instead of
///   6 for `k₂ = 64` at 7 %, in a simulation of the first two passes). That is only possible if
///   the likely bits are next to each other, hence the ranking: larger region first, then
///   position in the pass's order.
///
/// Alice sees every query, so she derives the same regions, and the same ranking, from the
/// first-pass stretches Bob asked about (the split point of each is the end of the asked part);
/// the ranking is a function of the public transcript and discloses nothing. It keeps every
/// block's bits in that block, so the block parities asked in the first message still hold.
/// Only Bob needs the expected errors (they set his splits; Alice answers any stretch).
///
/// Each side ranks a block only when it first searches it or answers about it (`rankBlock`),
/// so a block no search reaches costs nothing; the regions are recorded when the ranking is
/// built (when the second pass is reached), so a block ranked late is ranked as it would have
/// been then.
///
/// Immutable once built; raw tables so the hot loops read them without reference counting
/// (hence `@unchecked Sendable`).
final class CascadeLikelihoodRanking: @unchecked Sendable {
    /// The number of positions.
    let length: Int
    /// The second pass's block size.
    let blockSize: Int
    /// The second pass's order before ranking.
    private let order: CascadePermutationTables
    /// Per key index, the rank of the size of its first-pass region when the ranking was built:
    /// 0 for the largest size a region can have, then by decreasing size.
    private let regionRanks: UnsafeMutablePointer<UInt8>
    /// The number of ranks.
    private let rankCount: Int
    /// Per rank of region size, the probability of error of a bit in such a region
    /// (`expectedErrorDensity(regionSize:qber:)`) in units of 2^-32, rounded: integers, so
    /// that every split is exact arithmetic. All zero without a QBER estimate.
    private let errorWeightOfRank: UnsafeMutablePointer<UInt64>

    /// The scale of the error weights.
    static let errorWeightScale = 0x1_0000_0000 as Double

    /// The ranking of the second pass (`order`, blocks of `blockSize` positions) from the first
    /// pass's blocks of `firstBlockSize` bits in key order, each stretch split in the middle,
    /// where bit `m` of `knownFirstPassSplits` (one word per 64 positions) tells whether the
    /// parity of the left part of the stretch split at position `m` was disclosed. With
    /// `estimatedQBER` (Bob's side), the ranks carry error weights for `balancedSplit`.
    init(
        order: CascadePermutationTables, blockSize: Int, firstBlockSize: Int,
        knownFirstPassSplits: UnsafeBufferPointer<UInt64>, estimatedQBER: Double?
    ) {
        let length = order.length
        precondition(blockSize >= 1 && firstBlockSize >= 1, "Cascade block sizes must be positive")
        let wordCount = (length + 63) >> 6
        precondition(knownFirstPassSplits.count >= wordCount, "one known-split bit per position")
        self.length = length
        self.blockSize = blockSize
        self.order = order
        // The sizes a region can have: the stretch lengths of a full first-pass block's tree and
        // of the last block's (at most two per level).
        let fullBlock = max(1, min(firstBlockSize, length))
        var sizes = Self.stretchLengths(of: fullBlock)
        if length % fullBlock != 0 { sizes.formUnion(Self.stretchLengths(of: length % fullBlock)) }
        let sizesByRank = sizes.sorted(by: >)
        precondition(sizesByRank.count <= Int(UInt8.max) + 1, "more distinct region sizes than first-pass search trees can have")
        rankCount = sizesByRank.count
        var rankOfSize = [UInt8](repeating: 0, count: fullBlock + 1)
        errorWeightOfRank = .allocate(capacity: sizesByRank.count)
        for (rank, size) in sizesByRank.enumerated() {
            rankOfSize[size] = UInt8(rank)
            let density = estimatedQBER.map { Self.expectedErrorDensity(regionSize: size, qber: $0) } ?? 0
            errorWeightOfRank[rank] = UInt64((density * Self.errorWeightScale).rounded())
        }
        regionRanks = CascadeScratchPool.take(UInt8.self, count: length)
        Self.recordRegionRanks(
            into: regionRanks, length: length, blockSize: fullBlock, knownSplits: knownFirstPassSplits, rankOfSize: rankOfSize)
    }

    /// Writes, for every key index, the rank of the size of its first-pass region: the smallest
    /// stretch of its block's search tree that holds it and whose split is not known.
    private static func recordRegionRanks(
        into ranks: UnsafeMutablePointer<UInt8>, length: Int, blockSize: Int,
        knownSplits: UnsafeBufferPointer<UInt64>, rankOfSize: [UInt8]
    ) {
        // A block none of whose splits is known (about half of them) is one region: every index
        // gets its whole block's rank first (the last block may be shorter), and only the blocks
        // holding a known split are walked.
        ranks.initialize(repeating: rankOfSize[blockSize], count: length)
        let lastBlockStart = (length - 1) / blockSize * blockSize
        (ranks + lastBlockStart).update(repeating: rankOfSize[length - lastBlockStart], count: length - lastBlockStart)
        let wordCount = (length + 63) >> 6
        /// The first position at or after `position` whose split is known, or `length` if none.
        func firstKnownSplit(from position: Int) -> Int {
            guard position < length else { return length }
            var wordIndex = position >> 6
            var word = knownSplits[wordIndex] & (~0 << UInt64(position & 63))
            while word == 0 {
                wordIndex += 1
                guard wordIndex < wordCount else { return length }
                word = knownSplits[wordIndex]
            }
            return min(wordIndex << 6 | word.trailingZeroBitCount, length)
        }
        // Depth-first over each such block's stretches with known splits, left part first; the
        // stack holds the right parts still to visit, (lower, upper) pairs, at most one per level
        // of the tree (fewer than 64). Positions are far below Int's limits: wrapping arithmetic
        // only spares the overflow checks.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * 64) { stack in
            rankOfSize.withUnsafeBufferPointer { rankOfSize in
                var knownSplit = firstKnownSplit(from: 0)
                while knownSplit < length {
                    let blockStart = knownSplit / blockSize * blockSize
                    let blockEnd = min(blockStart &+ blockSize, length)
                    var lower = blockStart
                    var upper = blockEnd
                    var top = 0
                    while true {
                        let split = lower &+ (upper &- lower) >> 1
                        if upper &- lower > 1 && (knownSplits[split >> 6] >> UInt64(split & 63)) & 1 == 1 {
                            stack[top] = split
                            stack[top &+ 1] = upper
                            top &+= 2
                            upper = split
                            continue
                        }
                        if upper &- lower == 1 {
                            // Two of a search path's leaves are lone bits: no fill call for them.
                            ranks[lower] = rankOfSize[1]
                        } else {
                            (ranks + lower).update(repeating: rankOfSize[upper &- lower], count: upper &- lower)
                        }
                        guard top > 0 else { break }
                        top &-= 2
                        lower = stack[top]
                        upper = stack[top &+ 1]
                    }
                    knownSplit = firstKnownSplit(from: blockEnd)
                }
            }
        }
    }

    deinit {
        CascadeScratchPool.give(regionRanks, count: length)
        errorWeightOfRank.deallocate()
    }

    /// The positions of block `block` of the second pass.
    func range(ofBlock block: Int) -> Range<Int> {
        let start = block * blockSize
        return start..<min(start + blockSize, length)
    }

    /// Writes block `block`'s key indices in ranked order to `indices` (one per position of the
    /// block, relative to its first position): by decreasing size of their first-pass region,
    /// ties in the pass's order. Alice's ranking: the order alone.
    func rankBlock(_ block: Int, indices: UnsafeMutablePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: rankCount + 1) { runEnds in
            sort(block, indices: indices, rankedPositions: nil, runEnds: runEnds.baseAddress!)
        }
    }

    /// Bob's ranking of block `block`: writes its key indices in ranked order to `indices`, as
    /// `rankBlock(_:indices:)` does, and what his searches need besides (all relative to the
    /// block's first position): to `rankedPositions`, for every position of the unranked order,
    /// the position in the pass (not relative) that its bit takes; to `sizeRanks`, the rank of
    /// the region size of every ranked position; to `errorWeightsBefore`, the error weight of
    /// the block's ranked positions before each one (`balancedSplit`). Bits of equal rank are
    /// next to each other, so both are written a run of equal ranks at a time.
    func rankBlock(
        _ block: Int, indices: UnsafeMutablePointer<UInt32>, rankedPositions: UnsafeMutablePointer<UInt32>,
        sizeRanks: UnsafeMutablePointer<UInt8>, errorWeightsBefore: UnsafeMutablePointer<UInt64>
    ) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: rankCount + 1) { runEnds in
            let runEnds = runEnds.baseAddress!
            sort(block, indices: indices, rankedPositions: rankedPositions, runEnds: runEnds)
            var runStart = 0
            var weightBefore: UInt64 = 0
            for rank in 0..<rankCount {
                let runEnd = runEnds[rank]
                let weight = errorWeightOfRank[rank]
                for position in runStart..<runEnd {
                    sizeRanks[position] = UInt8(truncatingIfNeeded: rank)
                    errorWeightsBefore[position] = weightBefore
                    weightBefore &+= weight
                }
                runStart = runEnd
            }
        }
    }

    /// The counting sort on the ranks behind both `rankBlock`s, which keeps the pass's order
    /// among equal sizes: writes the ranked key indices to `indices` and, when given, the
    /// ranked positions to `rankedPositions` (as `rankBlock` documents them); leaves in
    /// `runEnds[r]` (`rankCount + 1` entries) the end of rank `r`'s run of ranked positions,
    /// relative to the block's first position. Inlined, so that Alice's copy has no
    /// `rankedPositions` branch. (Counts are below the key length: wrapping arithmetic only
    /// spares the overflow checks.)
    @inline(__always)
    private func sort(
        _ block: Int, indices: UnsafeMutablePointer<UInt32>, rankedPositions: UnsafeMutablePointer<UInt32>?,
        runEnds: UnsafeMutablePointer<Int>
    ) {
        let positions = range(ofBlock: block)
        let unrankedIndices = order.originalIndices + positions.lowerBound
        // Counts per rank, one place up, summed into the start of every rank's run.
        runEnds.initialize(repeating: 0, count: rankCount + 1)
        for offset in 0..<positions.count {
            runEnds[Int(regionRanks[Int(unrankedIndices[offset])]) &+ 1] &+= 1
        }
        for rank in 0..<rankCount { runEnds[rank &+ 1] &+= runEnds[rank] }
        // Each bit goes to its rank's next slot: each start becomes its run's end.
        for offset in 0..<positions.count {
            let index = unrankedIndices[offset]
            let rank = Int(regionRanks[Int(index)])
            let slot = runEnds[rank]
            runEnds[rank] = slot &+ 1
            indices[slot] = index
            rankedPositions?[offset] = UInt32(truncatingIfNeeded: positions.lowerBound &+ slot)
        }
    }

    /// Lays a key (`key`, original order) out over the positions of block `block` in ranked
    /// order, `indices` holding the block's ranked key indices (`rankBlock`): bit `p` of
    /// `words` becomes key bit `indices[p − start]`; the other bits of `words` are kept.
    func layOut(block: Int, indices: UnsafePointer<UInt32>, key: UnsafeBufferPointer<UInt64>, into words: UnsafeMutablePointer<UInt64>) {
        let positions = range(ofBlock: block)
        if positions.lowerBound & 63 == 0 && (positions.count & 63 == 0 || positions.upperBound == length) {
            // Whole words (the last block's tail bits lie past the key): one vector gather.
            PackedBits.gather(
                key, indices: UnsafeBufferPointer(start: indices, count: positions.count),
                into: UnsafeMutableBufferPointer(start: words + (positions.lowerBound >> 6), count: (positions.count + 63) >> 6))
            return
        }
        for position in positions {
            let index = Int(indices[position - positions.lowerBound])
            let bit = (key[index >> 6] >> UInt64(index & 63)) & 1
            let shift = UInt64(position & 63)
            words[position >> 6] = words[position >> 6] & ~(1 << shift) | bit << shift
        }
    }

    /// The split of the stretch `lower..<upper` (at least two positions, inside one ranked
    /// block) that best balances the expected errors of its two parts, in exact integer
    /// arithmetic, from the block's `sizeRanks` and `errorWeightsBefore` (`rankBlock`): with
    /// `c(m)` the error weight of `lower..<m` and `t` that of the stretch, the first `m` in
    /// `lower + 1 ..< upper` with `2 c(m) ≥ t` (the last one if none), or `m − 1` if that is
    /// strictly closer to half way; the middle when the stretch carries no weight.
    func balancedSplit(
        _ lower: Int, _ upper: Int, sizeRanks: UnsafePointer<UInt8>, errorWeightsBefore: UnsafePointer<UInt64>
    ) -> Int {
        // c(m) = errorWeightsBefore[m] − errorWeightsBefore[lower] inside the block; `upper` may
        // be the block's end, so t adds the last position's weight instead. Every weight is below
        // 2^31 (a density below one half) and a block below 2^32 bits, so twice a sum fits in
        // 64 bits: wrapping arithmetic only spares the overflow checks.
        let base = errorWeightsBefore[lower]
        let total = errorWeightsBefore[upper &- 1] &+ errorWeightOfRank[Int(sizeRanks[upper &- 1])] &- base
        guard total > 0 else { return lower + (upper - lower) / 2 }
        // Weights are not negative, so c grows with m: binary search for the first m.
        var split = lower &+ 1
        var last = upper &- 1
        while split < last {
            let middle = (split &+ last) >> 1
            if 2 &* (errorWeightsBefore[middle] &- base) >= total { last = middle } else { split = middle &+ 1 }
        }
        let reached = errorWeightsBefore[split] - base
        // Distances from half way, doubled: |2 c(m) − t| against t − 2 c(m − 1).
        let distance = 2 * reached >= total ? 2 * reached - total : total - 2 * reached
        if split > lower + 1 && total - 2 * (errorWeightsBefore[split - 1] - base) < distance { return split - 1 }
        return split
    }

    /// The probability that a bit is in error in a stretch of `regionSize` bits known to hold an
    /// even number of errors, each bit independently in error with probability `qber`:
    /// `d(s) = p (1 − (1 − 2p)^(s−1)) / (1 + (1 − 2p)^s)` (derived in the type's documentation).
    static func expectedErrorDensity(regionSize: Int, qber: Double) -> Double {
        guard regionSize >= 2 else { return 0 }
        let bias = 1 - 2 * qber
        return qber * (1 - pow(bias, Double(regionSize - 1))) / (1 + pow(bias, Double(regionSize)))
    }

    /// The lengths of the stretches of a search tree over `length` bits split in the middle.
    private static func stretchLengths(of length: Int) -> Set<Int> {
        var lengths: Set<Int> = []
        var pending = [length]
        while let stretch = pending.popLast() {
            guard lengths.insert(stretch).inserted, stretch > 1 else { continue }
            pending.append(stretch / 2)
            pending.append(stretch - stretch / 2)
        }
        return lengths
    }
}
