import CPackedBits
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
/// Each side ranks the whole pass at once, when it is reached (`rearrange(_:)`): the regions
/// are those known then. A ranked block is described by one bit mask per region size over its
/// positions before ranking and by where each size's run of ranked positions starts: its bits
/// are rearranged by extracting them through the masks (PEXT), a ranked position and the
/// position it came from are found by counting mask bits, and a split is arithmetic on the
/// runs. No table per position is kept; the region rank per key index is.
///
/// Immutable once built; raw tables so the hot loops read them without reference counting
/// (hence `@unchecked Sendable`).
final class CascadeLikelihoodRanking: @unchecked Sendable {
    /// The number of positions.
    let length: Int
    /// The second pass's block size.
    let blockSize: Int
    /// `log₂ blockSize` when the block size is a power of two, else -1 (a shift then finds a
    /// position's block).
    private let blockSizeShift: Int
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
    /// Words per position mask, `⌈length / 64⌉`.
    private let wordCount: Int
    /// `rankCount` masks of `wordCount` words: bit `p` of mask `r` is set when the bit at
    /// position `p` of the pass's order (before ranking) lies in a region of rank `r`.
    private let rankMasks: UnsafeMutablePointer<UInt64>
    /// Per block, `rankCount + 1` entries: where the run of rank `r` starts among its ranked
    /// positions (relative to the block's first position), then the block's size.
    private let runStarts: UnsafeMutablePointer<UInt32>

    /// The scale of the error weights.
    static let errorWeightScale = 0x1_0000_0000 as Double

    /// The ranking of the second pass (`order`, blocks of `blockSize` positions) from the first
    /// pass's blocks of `firstBlockSize` bits in key order, each stretch split in the middle,
    /// where bit `m` of `knownFirstPassSplits` (one word per 64 positions) tells whether the
    /// parity of the left part of the stretch split at position `m` was disclosed. With
    /// `estimatedQBER` (Bob's side), the ranks carry error weights for `balancedSplit`.
    /// `usingVectorUnit` false makes `cpackedbits_sum_bit_planes` and `cpackedbits_class_masks`
    /// take their portable paths.
    init(
        order: CascadePermutationTables, blockSize: Int, firstBlockSize: Int,
        knownFirstPassSplits: UnsafeBufferPointer<UInt64>, estimatedQBER: Double?, usingVectorUnit: Bool = true
    ) {
        let length = order.length
        precondition(blockSize >= 1 && firstBlockSize >= 1, "Cascade block sizes must be positive")
        let wordCount = (length + 63) >> 6
        precondition(knownFirstPassSplits.count >= wordCount, "one known-split bit per position")
        self.length = length
        self.blockSize = blockSize
        let blockCount = (length + blockSize - 1) / blockSize
        blockSizeShift = blockSize.nonzeroBitCount == 1 ? blockSize.trailingZeroBitCount : -1
        self.order = order
        self.wordCount = wordCount
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
            into: regionRanks, length: length, blockSize: fullBlock, knownSplits: knownFirstPassSplits, rankOfSize: rankOfSize,
            usingVectorUnit: usingVectorUnit)
        rankMasks = .allocate(capacity: max(1, rankCount * wordCount))
        runStarts = .allocate(capacity: blockCount * (rankCount + 1))
        cpackedbits_class_masks(
            order.originalIndices, regionRanks, length, rankCount, rankMasks, wordCount, blockSize, runStarts, usingVectorUnit)
    }

    /// Writes, for every key index, the rank of the size of its first-pass region: the smallest
    /// stretch of its block's search tree that holds it and whose split is not known.
    private static func recordRegionRanks(
        into ranks: UnsafeMutablePointer<UInt8>, length: Int, blockSize: Int,
        knownSplits: UnsafeBufferPointer<UInt64>, rankOfSize: [UInt8], usingVectorUnit: Bool
    ) {
        // Blocks of a power of two up to 64 bits come a word at a time; the walk below does the
        // rest, from the first word that holds part of a block.
        let walkStart = blockSize <= 64 && blockSize.nonzeroBitCount == 1
            ? recordRegionRanksByWord(
                into: ranks, length: length, blockSize: blockSize, knownSplits: knownSplits, rankOfSize: rankOfSize,
                usingVectorUnit: usingVectorUnit)
            : 0
        guard walkStart < length else { return }
        // A block none of whose splits is known (about half of them) is one region: every index
        // gets its whole block's rank first (the last block may be shorter), and only the blocks
        // holding a known split are walked.
        (ranks + walkStart).initialize(repeating: rankOfSize[blockSize], count: length - walkStart)
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
                var knownSplit = firstKnownSplit(from: walkStart)
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

    /// `recordRegionRanks` for the words of positions that hold only whole first-pass blocks of
    /// `blockSize` bits, a power of two up to 64 (so that they tile each word); returns the
    /// number of positions written. A bit's region size is `blockSize >> c`, where `c` counts
    /// the levels of its block's tree, from the root down, whose split on its path is known: a
    /// word at a time, level `j`'s known splits are spread over their stretches (one multiply)
    /// and ANDed into the path so far, `P_j`. The sets are nested, so bit `k` of `c` is the XOR
    /// of `P_j` over `j + 1` a multiple of `2^k`; those three bit planes (`c ≤ 6`) are summed
    /// into bytes (`cpackedbits_sum_bit_planes`).
    private static func recordRegionRanksByWord(
        into ranks: UnsafeMutablePointer<UInt8>, length: Int, blockSize: Int,
        knownSplits: UnsafeBufferPointer<UInt64>, rankOfSize: [UInt8], usingVectorUnit: Bool
    ) -> Int {
        let wordCount = (length / blockSize * blockSize) >> 6
        let levels = blockSize.trailingZeroBitCount
        guard wordCount > 0 && levels > 0 else { return 0 }
        let rankOfCount = (0...levels).map { rankOfSize[blockSize >> $0] }
        let countsAreRanks = rankOfCount == (0...levels).map { UInt8($0) }
        // Per level: a bit at the start of every stretch, and a stretch's bits from its start.
        var stretchStarts: [UInt64] = []
        var stretchFills: [UInt64] = []
        for level in 0..<levels {
            let size = blockSize >> level
            stretchFills.append(size == 64 ? .max : (1 << UInt64(size)) - 1)
            stretchStarts.append(UInt64.max / stretchFills[level])
        }
        // The three planes of every word, plane by plane, then summed into bytes in C.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * wordCount) { planes in
            stretchStarts.withUnsafeBufferPointer { stretchStarts in
                stretchFills.withUnsafeBufferPointer { stretchFills in
                    for word in 0..<wordCount {
                        let known = knownSplits[word]
                        var path = UInt64.max
                        var counts: (UInt64, UInt64, UInt64) = (0, 0, 0)
                        for level in 0..<levels {
                            // The known splits of this level's stretches, each spread over its stretch.
                            let flags = (known &>> UInt64(blockSize &>> (level &+ 1))) & stretchStarts[level]
                            path &= flags &* stretchFills[level]
                            counts.0 ^= path
                            if level & 1 == 1 { counts.1 ^= path }
                            if level == 3 { counts.2 ^= path }
                        }
                        planes[word] = counts.0
                        planes[wordCount &+ word] = counts.1
                        planes[2 &* wordCount &+ word] = counts.2
                    }
                }
            }
            cpackedbits_sum_bit_planes(planes.baseAddress!, wordCount, ranks, usingVectorUnit)
        }
        if !countsAreRanks {
            for index in 0..<wordCount << 6 { ranks[index] = rankOfCount[Int(ranks[index])] }
        }
        return wordCount << 6
    }

    deinit {
        CascadeScratchPool.give(regionRanks, count: length)
        errorWeightOfRank.deallocate()
        rankMasks.deallocate()
        runStarts.deallocate()
    }

    /// The positions of block `block` of the second pass.
    @inline(__always)
    func range(ofBlock block: Int) -> Range<Int> {
        let start = block &* blockSize
        return start..<min(start &+ blockSize, length)
    }

    /// The block holding position `position`.
    @inline(__always)
    private func block(holding position: Int) -> Int {
        blockSizeShift >= 0 ? position &>> blockSizeShift : position / blockSize
    }

    /// Rearranges `words`, a key in the second pass's order (one bit per position), into ranked
    /// order: inside every block, by decreasing size of their first-pass region, ties in the
    /// pass's order (`cpackedbits_partition_by_masks`, the region ranks being the classes;
    /// `usingPEXT` false forces its portable path).
    func rearrange(_ words: UnsafeMutablePointer<UInt64>, usingPEXT: Bool = true) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: blockSize / 64 + 2) { scratch in
            cpackedbits_partition_by_masks(words, length, blockSize, rankMasks, wordCount, rankCount, scratch.baseAddress!, usingPEXT)
        }
    }

    /// The bits of word `word` that lie inside `positions`.
    @inline(__always)
    private static func mask(ofWord word: Int, inside positions: Range<Int>) -> UInt64 {
        var mask = UInt64.max
        if word == positions.lowerBound &>> 6 { mask &= UInt64.max &<< UInt64(positions.lowerBound & 63) }
        let end = positions.upperBound &- word &<< 6
        if end < 64 { mask &= (1 &<< UInt64(end)) &- 1 }
        return mask
    }

    /// The ranked position of the bit at position `position` (before ranking), which is key
    /// index `keyIndex`.
    @inline(__always)
    func rankedPosition(ofPosition position: Int, keyIndex: Int) -> Int {
        let block = block(holding: position)
        let positions = range(ofBlock: block)
        let rank = Int(regionRanks[keyIndex])
        // Its run's start, then the bits of its rank before it in the block.
        var ranked = positions.lowerBound &+ Int(runStarts[block &* (rankCount &+ 1) &+ rank])
        let mask = rankMasks + rank &* wordCount
        var word = positions.lowerBound &>> 6
        while word < position &>> 6 {
            ranked &+= (mask[word] & Self.mask(ofWord: word, inside: positions)).nonzeroBitCount
            word &+= 1
        }
        let below = (1 &<< UInt64(position & 63)) &- 1
        return ranked &+ (mask[word] & Self.mask(ofWord: word, inside: positions) & below).nonzeroBitCount
    }

    /// The key index at ranked position `rankedPosition`.
    func keyIndex(atRankedPosition rankedPosition: Int) -> Int {
        let block = block(holding: rankedPosition)
        let positions = range(ofBlock: block)
        let runs = runStarts + block &* (rankCount &+ 1)
        let offset = rankedPosition &- positions.lowerBound
        var rank = 0
        for next in 1..<rankCount { rank &+= Int(runs[next]) <= offset ? 1 : 0 }
        // The position holding the rank's bit number `remaining` in the block.
        var remaining = offset &- Int(runs[rank])
        let mask = rankMasks + rank &* wordCount
        var word = positions.lowerBound &>> 6
        while true {
            let selected = mask[word] & Self.mask(ofWord: word, inside: positions)
            let count = selected.nonzeroBitCount
            if remaining < count {
                return Int(order.originalIndices[word &<< 6 | PackedBits.select(selected, rank: remaining)])
            }
            remaining &-= count
            word &+= 1
        }
    }

    /// The split of the stretch `lower..<upper` (at least two positions, inside one ranked
    /// block) that best balances the expected errors of its two parts, in exact integer
    /// arithmetic: with `c(m)` the error weight of `lower..<m` and `t` that of the stretch, the
    /// first `m` in `lower + 1 ..< upper` with `2 c(m) ≥ t` (the last one if none), or `m − 1`
    /// if that is strictly closer to half way; the middle when the stretch carries no weight.
    ///
    /// Inside a run of equal ranks `c` grows by the rank's weight per position, so the first
    /// such `m` of a run is a division; only the runs the stretch overlaps are visited. Every
    /// weight is below 2^31 (a density below one half) and a block below 2^32 bits, so twice a
    /// sum fits in 64 bits: wrapping arithmetic only spares the overflow checks.
    func balancedSplit(_ lower: Int, _ upper: Int) -> Int {
        let block = block(holding: lower)
        let start = block &* blockSize
        let runs = runStarts + block &* (rankCount &+ 1)
        let stretchStart = lower &- start
        let stretchEnd = upper &- start
        // The run holding the stretch's first position: the last that starts at or before it
        // (counted without branching on the data, runs[0] being 0).
        var firstRank = 0
        for rank in 1..<rankCount { firstRank &+= Int(runs[rank]) <= stretchStart ? 1 : 0 }
        if Int(runs[firstRank &+ 1]) >= stretchEnd {
            // Inside one run every weight is the same w: 2 c(m) ≥ t from half way up (rounded up),
            // which is never farther from it than m − 1; with w = 0, the middle.
            return lower &+ (upper &- lower &+ (errorWeightOfRank[firstRank] > 0 ? 1 : 0)) &>> 1
        }
        /// The error weight of the stretch's positions before `end` (relative to the block).
        func weight(before end: Int) -> UInt64 {
            var sum: UInt64 = 0
            var rank = firstRank
            while rank < rankCount && Int(runs[rank]) < end {
                let overlap = min(Int(runs[rank &+ 1]), end) &- max(Int(runs[rank]), stretchStart)
                sum &+= UInt64(truncatingIfNeeded: overlap) &* errorWeightOfRank[rank]
                rank &+= 1
            }
            return sum
        }
        let total = weight(before: stretchEnd)
        guard total > 0 else { return lower + (upper - lower) / 2 }
        // c is not decreasing and stays below half way up to each run's start (else an earlier
        // run would have reached it): the first run whose end reaches it holds the first m.
        var before: UInt64 = 0
        var rank = firstRank
        var runStart = stretchStart
        while true {
            let runEnd = min(Int(runs[rank &+ 1]), stretchEnd)
            let weight = errorWeightOfRank[rank]
            let after = before &+ UInt64(truncatingIfNeeded: runEnd &- runStart) &* weight
            if 2 &* after < total {
                before = after
                runStart = runEnd
                rank &+= 1
                continue
            }
            // The fewest steps k ≥ 1 with 2 (c + k w) ≥ t (w > 0, as 2 c < t ≤ 2 c'): a
            // division rounded up (`needed` is at least 1).
            let needed = total &- 2 &* before
            let steps = Int(truncatingIfNeeded: (needed &- 1) / (2 &* weight)) &+ 1
            let split = runStart &+ steps
            guard split < stretchEnd else { break }
            // Distances from half way, doubled: |2 c(m) − t| = 2 c(m) − t against t − 2 c(m − 1),
            // m − 1 in the same run.
            let reached = before &+ weight &* UInt64(truncatingIfNeeded: steps)
            if split > stretchStart &+ 1 && total &- 2 &* (reached &- weight) < 2 &* reached &- total { return start &+ split &- 1 }
            return start &+ split
        }
        // No m inside the stretch reaches half way: the last one, or m − 1 if strictly closer.
        let split = stretchEnd &- 1
        let distance = total &- 2 &* weight(before: split)
        if split > stretchStart &+ 1 && total &- 2 &* weight(before: split &- 1) < distance { return start &+ split &- 1 }
        return start &+ split
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
