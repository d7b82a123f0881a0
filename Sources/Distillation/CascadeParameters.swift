import QKDCore

/// The settings both sides of a Cascade run must share.
///
/// Block sizes (the pass-`i` block size is `blockSize(pass:keyLength:estimatedQBER:)`):
/// - pass 0: `k₁ = 2^⌈log₂(1/QBER) − firstBlockSizeExponentOffset⌉`, in key order,
/// - passes `1...growingPassCount`: the previous size times `blockSizeGrowthFactor`, each in
///   its own uniformly random order (`CascadePermutation`),
/// - every later pass: two blocks, a random half of the key and the rest (`CascadeSplit`),
/// and never more than half the key (rounded up), so every pass has at least two blocks
/// whenever the key has at least two bits.
///
/// The block sizes are those of "Cascade opt. (7)" of J. Martinez-Mateo, C. Pacher, M. Peev,
/// A. Ciurana, V. Martin, "Demystifying the information reconciliation protocol Cascade",
/// Quantum Inf. Comput. 15 (2015) 453, arXiv:1407.3257: power-of-two blocks with
/// `k₁ = 2^⌈log₂(1/QBER)⌉`, `k₂ = 4 k₁`, then `n/2` for the remaining passes (`tuned(forQBER:blockSize:)`
/// moves `k₁` and `k₂` per QBER band). On top of that, as the paper recommends:
/// - block reuse: every parity Alice discloses (blocks and the halves asked during binary
///   searches) is kept, and when a correction makes a block of an earlier pass odd again its
///   search starts from the known sub-block parities (the cascade effect over all passes),
/// - the parity of the last block of every pass after the first follows from the parity of
///   the whole key (the XOR of the first pass's block parities), so it is never asked for.
/// Four choices of ours lower the disclosed bits further (all measured in BENCHMARKS.md,
/// "Cascade"): pass 2's order spreads every first-pass block over distinct pass-2 blocks
/// (`spreadsFirstPassBlocks`), odd blocks are searched smallest pass first
/// (`searchesLowestPassFirst`), so an error is found through the cheapest block that shows it,
/// only a few blocks of a pass after the first are searched at once
/// (`concurrentSearchLimit`), so an error pair split over two of them is searched only once,
/// and pass 2's blocks are searched by error likelihood once the first pass is done
/// (`ranksSecondPassByErrorLikelihood`), so a search costs about the entropy of where the
/// error is rather than `log₂ k₂`.
/// For round trips: the block parities of every pass are asked in the first message (they do
/// not depend on Bob's corrections), and each later message batches the next binary-search
/// level of every block being searched, so a wave of searches costs about `log₂ k` round trips
/// however many blocks it covers (with `concurrentSearchLimit`, however many slots it covers).
public struct CascadeParameters: Sendable, Hashable {
    /// The number of passes, each with its own permutation and block size.
    ///
    /// Default 16. "Cascade opt. (7)" and "(8)" in Martinez-Mateo et al. (2015) use 14, tuned
    /// for 10^4-bit frames. After the first two passes, errors survive only in sets that are
    /// even in every block of both (in 45-73 % of 2^14-bit frames at QBER 1-7 %, measured);
    /// each later pass, two random halves of the key, exposes such a set with probability 1/2
    /// and costs one disclosed parity when it finds nothing (the second half's parity follows
    /// from the whole key's). 14 passes left 1 of 1000 frames wrong at 2 % and 3 of 800 at 1 %
    /// with the larger `k₂ = 8 k₁`; 16 passes none of 4000, so 16, at 2 bits per frame more.
    public var passCount: Int

    /// How far below `log₂(1/QBER)` the exponent of the first block size is placed.
    ///
    /// Default 0, giving `k₁ = 2^⌈log₂(1/QBER)⌉`, the first block size of "Cascade opt. (7)";
    /// Martinez-Mateo et al. (2015) show power-of-two sizes near `1/QBER` beat the original
    /// `0.73/QBER` (Brassard and Salvail 1994) because binary search on a power of two wastes
    /// no parity. "Cascade opt. (8)" uses 0.5.
    public var firstBlockSizeExponentOffset: Double

    /// The factor by which the block size grows from one pass to the next while it grows.
    ///
    /// Default 4: `k₂ = 4 k₁` in "Cascade opt. (7)" of Martinez-Mateo et al. (2015).
    public var blockSizeGrowthFactor: Int

    /// The number of passes after the first whose block size is the previous one times
    /// `blockSizeGrowthFactor`; every later pass uses half the key as its block size.
    ///
    /// Default 1 ("Cascade opt. (7)": only pass 2 grows, then `n/2`).
    public var growingPassCount: Int

    /// Whether the permuted passes spread every first-pass block over distinct blocks of their
    /// own (`CascadeInterleaver`) instead of using a uniformly random permutation
    /// (`CascadePermutation`, the paper's choice).
    ///
    /// Default true: an error pair left in one first-pass block then never hides in one block
    /// of pass 2 as well (when `k₁ k₂ ≤ n`), so fewer errors reach the half-key passes, where
    /// each costs `log₂(n/2)` parities. Both sides derive the order from the key length, the
    /// block sizes of passes 1 and 2 and `permutationSeed`.
    public var spreadsFirstPassBlocks: Bool

    /// Whether each round only advances the binary searches of the lowest pass that has any
    /// (later passes' odd blocks wait), instead of every odd block of every pass at once.
    ///
    /// Default true. Blocks of one pass are disjoint, so searching them together never wastes
    /// a parity; across passes it does: when a pass-2 search finds an error whose partner sits
    /// in an odd first-pass block, searching both finds the partner at `log₂ k₂` parities
    /// instead of `log₂ k₁`, or makes a half-searched pass-2 block even again. Waiting lowered
    /// f by 0.006-0.009 at 2^14 bits (QBER 1-7 %) and costs 1.5-2 times the round trips; false
    /// suits links where round trips dominate.
    public var searchesLowestPassFirst: Bool

    /// With `searchesLowestPassFirst`, the largest number of blocks of a pass after the first
    /// whose binary searches advance in the same round; the other odd blocks of that pass wait
    /// (those of lower index go first) and are searched once a slot frees up, if still odd.
    ///
    /// Default `Int.max` (every odd block of the lowest pass at once). After the first pass
    /// nearly every error left is one of a pair inside a first-pass block, and the spread pass 2
    /// puts the two into different blocks, both odd. Searched together, each costs `log₂ k₂`
    /// parities; searched one after the other, the first correction makes the pair's first-pass
    /// block odd, its search (lowest pass first, `log₂ k₁` parities) finds the partner, and the
    /// partner's pass-2 block turns even and is never searched. A limit of 1 lowered f by
    /// 0.012-0.023 at 2^14 bits (BENCHMARKS.md) at 4-7.5 times the round trips. Ignored when
    /// `searchesLowestPassFirst` is false.
    public var concurrentSearchLimit: Int

    /// Whether, once the first pass is done, the bits inside every block of the second pass
    /// (when it is a permuted pass) are ranked by how likely each is to hold an error still, and
    /// its binary searches split stretches by expected errors rather than in halves
    /// (`CascadeLikelihoodRanking`, which derives the likelihoods and why both sides agree on
    /// them). Alice and Bob must use the same value.
    ///
    /// Default false (the paper's plain binary search); `tuned(forQBER:blockSize:)` sets it from
    /// QBER 6 %. With the tuned block sizes it lowered f at 10^5 bits from 1.0247 / 1.0297 /
    /// 1.0347 / 1.0433 to 1.0209 / 1.0263 / 1.0287 / 1.0351 at QBER 1 / 2 / 5 / 7 %, and at 2^14
    /// bits by 0.003-0.008 (1000 blocks each, BENCHMARKS.md, "Cascade with a ranked second
    /// pass"), at the price of about 10^-4 more frames left wrong at 2^14 bits (8 of 60 000
    /// instead of 1 at 2, 5 and 7 %; caught by verification) and of ranking the pass on both
    /// sides and splitting by weight: about 1.7 times the CPU time of the whole reconciliation
    /// at QBER 2 %, where the key gained is small (0.06 % of the secret key at 2 %, 0.4 % at
    /// 5 %), 1.4 times at 5 and 7 %, where it is 1.2 % (BENCHMARKS.md, "Cascade's ranking
    /// without per-position tables", measured again in "Cascade at 7 % past 10x cascade-cpp").
    public var ranksSecondPassByErrorLikelihood: Bool

    /// The seed from which the order of every pass after the first is derived (see
    /// `CascadePermutation` and `CascadeSplit`). Alice and Bob must use the same value.
    ///
    /// It need not be secret (every parity is disclosed anyway) nor fresh per block: the orders
    /// are fixed before the errors happen, so each block's errors are independent of them, as
    /// with the fixed code of an LDPC reconciliation. Reusing one seed lets every block of the
    /// same length reuse the same precomputed orders (`CascadeLayout`). An error pattern that
    /// Cascade fails to correct is caught by verification and costs only that block.
    /// Default `defaultPermutationSeed`.
    public var permutationSeed: UInt64

    /// The permutation seed both endpoints use unless told otherwise.
    public static let defaultPermutationSeed: UInt64 = 0x4361_7363_6164_6521

    /// The largest supported pass count.
    public static let maximumPassCount = 64

    /// The estimated QBER below which the first block size is computed as if it were this
    /// value, so that a zero estimate still gives a finite block size (then capped at half the key).
    public static let minimumQBERForBlockSize = 1e-6

    /// Creates parameters; the defaults are "Cascade opt. (7)" (with 16 passes instead of 14),
    /// spread pass-2 blocks, lowest-pass-first searches and `defaultPermutationSeed`.
    public init(
        passCount: Int = 16,
        firstBlockSizeExponentOffset: Double = 0,
        blockSizeGrowthFactor: Int = 4,
        growingPassCount: Int = 1,
        spreadsFirstPassBlocks: Bool = true,
        searchesLowestPassFirst: Bool = true,
        concurrentSearchLimit: Int = .max,
        ranksSecondPassByErrorLikelihood: Bool = false,
        permutationSeed: UInt64 = Self.defaultPermutationSeed
    ) {
        self.ranksSecondPassByErrorLikelihood = ranksSecondPassByErrorLikelihood
        self.searchesLowestPassFirst = searchesLowestPassFirst
        self.concurrentSearchLimit = concurrentSearchLimit
        self.spreadsFirstPassBlocks = spreadsFirstPassBlocks
        self.passCount = passCount
        self.firstBlockSizeExponentOffset = firstBlockSizeExponentOffset
        self.blockSizeGrowthFactor = blockSizeGrowthFactor
        self.growingPassCount = growingPassCount
        self.permutationSeed = permutationSeed
    }

    /// The key length from which `tuned(forQBER:blockSize:)` switches to its long-key schedule.
    public static let longKeyLength = 1 << 16

    /// The settings this implementation uses for a block of `blockSize` bits whose QBER is
    /// estimated at `estimatedQBER`: the first two block sizes from our sweeps (BENCHMARKS.md,
    /// "Cascade" and its subsections), spread pass-2 blocks, lowest pass first with one
    /// search at a time, a pass count by key length, and `seed`. Alice and Bob must call
    /// it with the same arguments (the pass-2 order depends on the block sizes).
    ///
    /// - QBER below 1.5 %: `k₁ = 2^⌈log₂(1/QBER)⌉`, `k₂ = 2 k₁` (at 1 %: 128, 256),
    /// - 1.5 % up to 6 %: `k₁ = 2^⌈log₂(1/QBER) − 1⌉`, `k₂ = 8 k₁` (at 2 %: 32, 256; at 5 %: 16, 128),
    /// - 6 % and above: "Cascade opt. (7)", `k₁ = 2^⌈log₂(1/QBER)⌉`, `k₂ = 4 k₁` (at 7 %: 16, 64),
    ///   and the second pass ranked by error likelihood (`ranksSecondPassByErrorLikelihood`:
    ///   where it gains the most key, and needed for f ≤ 1.04 at 7 %).
    /// Later passes are random halves in every case. Every size is a power of two: sizes in
    /// between (k₁ = 48 or 40 at 2 %, 24 or 20 at 5 %, 112-144 at 1 %) gave f higher by
    /// 0.004-0.016 at 2^14 bits; larger `k₂` gave f lower by up to 0.005 without a search
    /// limit but multiplied the round trips, also where every pass is searched at once (the
    /// node link, `ReconciliationSelector`), so they are not used.
    ///
    /// One search at a time in passes after the first (`concurrentSearchLimit` 1) at every
    /// length: at 2^14 bits a limit of 2 gave f higher by 0.004-0.01; at 10^5 bits and 7 % the
    /// limits 1 / 2 / 4 / 8 gave f 1.0411 / 1.0419 / 1.0423 / 1.0428 on the same 60 blocks
    /// (BENCHMARKS.md; 1.0433 with a limit of 1 over 1000 blocks). Waiting
    /// blocks cost nothing per round (`CascadeBob` reads them off its odd-block tables), so the
    /// price is only round trips, which an in-process link does not pay for (the node link
    /// searches every pass at once, `ReconciliationSelector`). Keys of `longKeyLength` bits and
    /// more get 24 passes instead of 16, since more frames reach the half-key passes with an
    /// error pair left at this length (16 passes left 1 of 300 frames wrong with `k₂ = 32 k₁`
    /// at 5 %), while a pass costs one disclosed bit, about 10^-4 of f at 10^5 bits.
    public static func tuned(forQBER estimatedQBER: Double, blockSize: Int, permutationSeed seed: UInt64 = defaultPermutationSeed) -> CascadeParameters {
        let isLong = blockSize >= longKeyLength
        var parameters: CascadeParameters
        if estimatedQBER < 0.015 {
            parameters = CascadeParameters(blockSizeGrowthFactor: 2, permutationSeed: seed)
        } else if estimatedQBER < 0.06 {
            parameters = CascadeParameters(firstBlockSizeExponentOffset: 1, blockSizeGrowthFactor: 8, permutationSeed: seed)
        } else {
            parameters = CascadeParameters(permutationSeed: seed)
        }
        parameters.passCount = isLong ? 24 : 16
        parameters.concurrentSearchLimit = 1
        parameters.ranksSecondPassByErrorLikelihood = estimatedQBER >= 0.06
        return parameters
    }

    /// Throws `QKDError.invalidParameter` naming the first setting out of range.
    public func validate() throws {
        guard passCount >= 1 && passCount <= Self.maximumPassCount else {
            throw QKDError(.invalidParameter, "Cascade pass count \(passCount) is not in 1...\(Self.maximumPassCount)")
        }
        guard firstBlockSizeExponentOffset.isFinite && firstBlockSizeExponentOffset >= 0 else {
            throw QKDError(.invalidParameter, "Cascade first block size exponent offset \(firstBlockSizeExponentOffset) is not a finite non-negative number")
        }
        guard blockSizeGrowthFactor >= 1 && blockSizeGrowthFactor <= 1 << 20 else {
            throw QKDError(.invalidParameter, "Cascade block size growth factor \(blockSizeGrowthFactor) is not in 1...\(1 << 20)")
        }
        guard concurrentSearchLimit >= 1 else {
            throw QKDError(.invalidParameter, "Cascade concurrent search limit \(concurrentSearchLimit) is not positive")
        }
        guard growingPassCount >= 0 else {
            throw QKDError(.invalidParameter, "Cascade growing pass count \(growingPassCount) is negative")
        }
    }

    /// The first-pass block size for an estimated QBER, before capping at half the key.
    public func firstBlockSize(estimatedQBER: Double) -> Int {
        let qber = max(estimatedQBER, Self.minimumQBERForBlockSize)
        let exponent = (QKDMath.log2Of(1 / qber) - firstBlockSizeExponentOffset).rounded(.up)
        return 1 << Int(min(max(exponent, 1), 40))
    }

    /// The block size of pass `pass` (0-based) for a key of `keyLength` bits.
    public func blockSize(pass: Int, keyLength: Int, estimatedQBER: Double) -> Int {
        let halfKey = max(1, (keyLength + 1) / 2)
        guard pass <= growingPassCount else { return halfKey }
        var size = firstBlockSize(estimatedQBER: estimatedQBER)
        for _ in 0..<pass where size < halfKey { size *= blockSizeGrowthFactor }
        return min(size, halfKey)
    }

    /// Whether pass `pass` (0-based) is one of the growing passes, which use a random
    /// permutation, rather than key order (pass 0) or a random two-block split.
    func usesPermutation(pass: Int) -> Bool { pass >= 1 && pass <= growingPassCount }

    /// The number of passes with a random permutation.
    var permutedPassCount: Int { max(0, min(growingPassCount, passCount - 1)) }
}
