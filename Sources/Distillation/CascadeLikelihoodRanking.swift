import Foundation

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
/// Immutable once built; raw tables so the hot loops read them without reference counting
/// (hence `@unchecked Sendable`).
final class CascadeLikelihoodRanking: @unchecked Sendable {
    /// The number of positions.
    let length: Int
    /// `originalIndices[p]` is the key index at position `p` of the ranked order.
    let originalIndices: UnsafeMutablePointer<UInt32>
    /// When built with a QBER estimate (Bob's side): `rankedPositions[q]` is the ranked
    /// position of the bit at position `q` of the unranked order; else nil.
    let rankedPositions: UnsafeMutablePointer<UInt32>?
    /// When built with a QBER estimate: per ranked position, the rank of its region size
    /// (0 for the largest possible size), an index into `errorWeightOfRank`; else nil.
    private let sizeRanks: UnsafeMutablePointer<UInt8>?
    /// Per rank of region size, the probability of error of a bit in such a region
    /// (`expectedErrorDensity(regionSize:qber:)`) in units of 2^-32, rounded: integers, so
    /// that every split is exact arithmetic. Empty without a QBER estimate.
    private let errorWeightOfRank: UnsafeMutableBufferPointer<UInt64>

    /// The scale of the error weights.
    static let errorWeightScale = 0x1_0000_0000 as Double

    /// Ranks the bits of every block of `blockSize` positions of `order` by decreasing size of
    /// their first-pass region, ties kept in `order`'s order; with `estimatedQBER` (Bob), also
    /// maps the unranked positions to the ranked ones and keeps every ranked bit's error weight.
    ///
    /// The first pass has blocks of `firstBlockSize` bits in key order, each stretch split in
    /// the middle, and bit `m` of `knownFirstPassSplits` (one word per 64 positions) tells
    /// whether the parity of the left part of the stretch split at position `m` was disclosed;
    /// a bit's region is the smallest stretch of its block's search tree that holds it and has
    /// no known split.
    init(
        order: CascadePermutationTables, blockSize: Int, firstBlockSize: Int,
        knownFirstPassSplits: UnsafeBufferPointer<UInt64>, estimatedQBER: Double?
    ) {
        let length = order.length
        precondition(blockSize >= 1 && firstBlockSize >= 1, "Cascade block sizes must be positive")
        precondition(knownFirstPassSplits.count >= (length + 63) >> 6, "one known-split bit per position")
        self.length = length
        // The sizes a region can have: the stretch lengths of a full first-pass block's tree and
        // of the last block's (at most two per level), each with a rank, 0 for the largest. A
        // counting sort per block on the ranks keeps the pass's order among equal sizes.
        let fullBlock = min(firstBlockSize, length)
        var sizeOfRank = Self.stretchLengths(of: fullBlock)
        if length % fullBlock != 0 { sizeOfRank.formUnion(Self.stretchLengths(of: length % fullBlock)) }
        let sizesByRank = sizeOfRank.sorted(by: >)
        precondition(sizesByRank.count <= Int(UInt8.max) + 1, "more distinct region sizes than first-pass search trees can have")
        var rankOfSize = [UInt8](repeating: 0, count: fullBlock + 1)
        for (rank, size) in sizesByRank.enumerated() { rankOfSize[size] = UInt8(rank) }
        let rankCount = sizesByRank.count
        let rankedIndices = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, length))
        let isBob = estimatedQBER != nil
        let rankedSizeRanks: UnsafeMutablePointer<UInt8>? = isBob ? .allocate(capacity: max(1, length)) : nil
        let positions: UnsafeMutablePointer<UInt32>? = isBob ? .allocate(capacity: max(1, length)) : nil
        var blockRanks = [UInt8](repeating: 0, count: min(blockSize, length))
        var nextSlot = [Int](repeating: 0, count: rankCount + 1)
        let regionRanks = Self.firstPassRegionRanks(
            length: length, blockSize: fullBlock, knownSplits: knownFirstPassSplits, rankOfSize: rankOfSize)
        regionRanks.withUnsafeBufferPointer { regionRanks in
            blockRanks.withUnsafeMutableBufferPointer { blockRanks in
                nextSlot.withUnsafeMutableBufferPointer { nextSlot in
                    var start = 0
                    while start < length {
                        let end = min(start + blockSize, length)
                        for rank in 0...rankCount { nextSlot[rank] = 0 }
                        for position in start..<end {
                            let rank = regionRanks[Int(order.originalIndices[position])]
                            blockRanks[position - start] = rank
                            nextSlot[Int(rank) + 1] += 1
                        }
                        nextSlot[0] = start
                        for rank in 0..<rankCount { nextSlot[rank + 1] += nextSlot[rank] }
                        for position in start..<end {
                            let rank = blockRanks[position - start]
                            let slot = nextSlot[Int(rank)]
                            rankedIndices[slot] = order.originalIndices[position]
                            rankedSizeRanks?[slot] = rank
                            positions?[position] = UInt32(truncatingIfNeeded: slot)
                            nextSlot[Int(rank)] = slot + 1
                        }
                        start = end
                    }
                }
            }
        }
        originalIndices = rankedIndices
        sizeRanks = rankedSizeRanks
        rankedPositions = positions
        errorWeightOfRank = .allocate(capacity: isBob ? rankCount : 0)
        if let estimatedQBER {
            for (rank, size) in sizesByRank.enumerated() {
                errorWeightOfRank[rank] = UInt64((Self.expectedErrorDensity(regionSize: size, qber: estimatedQBER) * Self.errorWeightScale).rounded())
            }
        }
    }

    deinit {
        originalIndices.deallocate()
        rankedPositions?.deallocate()
        sizeRanks?.deallocate()
        errorWeightOfRank.deallocate()
    }

    /// The error weight of ranked position `position` (built with a QBER estimate only).
    @inline(__always)
    private func errorWeight(atPosition position: Int) -> UInt64 {
        errorWeightOfRank[Int(sizeRanks.unsafelyUnwrapped[position])]
    }

    /// The split of the stretch `lower..<upper` (at least two positions) that best balances the
    /// expected errors of its two parts, in exact integer arithmetic: with `c(m)` the error
    /// weight of `lower..<m` and `t` that of the stretch, the first `m` in `lower + 1 ..< upper`
    /// with `2 c(m) ≥ t` (the last one if none), or `m − 1` if that is strictly closer to half
    /// way; the middle when the stretch carries no weight (built with a QBER estimate only).
    func balancedSplit(_ lower: Int, _ upper: Int) -> Int {
        var total: UInt64 = 0
        for position in lower..<upper { total &+= errorWeight(atPosition: position) }
        guard total > 0 else { return lower + (upper - lower) / 2 }
        var before: UInt64 = 0
        var weight = errorWeight(atPosition: lower)
        var split = lower + 1
        while split < upper - 1 && 2 * (before + weight) < total {
            before += weight
            weight = errorWeight(atPosition: split)
            split += 1
        }
        let reached = before + weight
        // Distances from half way, doubled: |2 c(m) − t| against t − 2 c(m − 1).
        let distance = 2 * reached >= total ? 2 * reached - total : total - 2 * reached
        if split > lower + 1 && total - 2 * before < distance { return split - 1 }
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

    /// For every key index, the rank of the size of its first-pass region: the smallest stretch
    /// of its block's search tree that holds it and whose split is not known (blocks of
    /// `blockSize` bits in key order, stretches split in the middle, bit `m` of `knownSplits`
    /// set when the left part of the stretch split at `m` has a known parity).
    private static func firstPassRegionRanks(
        length: Int, blockSize: Int, knownSplits: UnsafeBufferPointer<UInt64>, rankOfSize: [UInt8]
    ) -> [UInt8] {
        var stretches: [Range<Int>] = []
        return [UInt8](unsafeUninitializedCapacity: length) { ranks, initialized in
            var blockStart = 0
            while blockStart < length {
                stretches.append(blockStart..<min(blockStart + blockSize, length))
                while let stretch = stretches.popLast() {
                    let split = stretch.lowerBound + stretch.count / 2
                    if stretch.count > 1 && (knownSplits[split >> 6] >> UInt64(split & 63)) & 1 == 1 {
                        stretches.append(stretch.lowerBound..<split)
                        stretches.append(split..<stretch.upperBound)
                    } else {
                        (ranks.baseAddress! + stretch.lowerBound).initialize(repeating: rankOfSize[stretch.count], count: stretch.count)
                    }
                }
                blockStart += blockSize
            }
            initialized = length
        }
    }
}
