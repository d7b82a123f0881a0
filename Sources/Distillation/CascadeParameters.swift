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
/// The defaults are "Cascade opt. (7)" of J. Martinez-Mateo, C. Pacher, M. Peev, A. Ciurana,
/// V. Martin, "Demystifying the information reconciliation protocol Cascade", Quantum Inf.
/// Comput. 15 (2015) 453, arXiv:1407.3257: power-of-two blocks with `k₁ = 2^⌈log₂(1/QBER)⌉`,
/// `k₂ = 4 k₁`, then `n/2` for the remaining passes (the paper uses 14 passes in all; the
/// default here is 20, see `passCount`). On top of that, as the paper recommends:
/// - block reuse: every parity Alice discloses (blocks and the halves asked during binary
///   searches) is kept, and when a correction makes a block of an earlier pass odd again its
///   search starts from the known sub-block parities (the cascade effect over all passes),
/// - the parity of the last block of every pass after the first follows from the parity of
///   the whole key (the XOR of the first pass's block parities), so it is never asked for.
/// And for round trips: the block parities of every pass are asked in the first message (they
/// do not depend on Bob's corrections), and each later message batches the next binary-search
/// level of every block being searched, so a block needs about one round trip per search level
/// of each pass that finds errors, never one per error.
public struct CascadeParameters: Sendable, Hashable {
    /// The number of passes, each with its own permutation and block size.
    ///
    /// Default 20. "Cascade opt. (7)" and "(8)" in Martinez-Mateo et al. (2015) use 14, tuned
    /// for 10^4-bit frames; with 14, our release runs left 1 of 20 frames of 10^6 bits (QBER
    /// 1 %) and 1 of 200 frames of 16384 bits (QBER 5 %) with errors, with 20 none of them.
    /// Each pass with half-key blocks costs only one disclosed parity (the second block's
    /// parity follows from the whole key's) and separates any two remaining errors with
    /// probability 1/2, so the extra passes cost about 6 bits per frame.
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

    /// Creates parameters; the defaults are "Cascade opt. (7)" (with 20 passes instead of 14)
    /// and `defaultPermutationSeed`.
    public init(
        passCount: Int = 20,
        firstBlockSizeExponentOffset: Double = 0,
        blockSizeGrowthFactor: Int = 4,
        growingPassCount: Int = 1,
        permutationSeed: UInt64 = Self.defaultPermutationSeed
    ) {
        self.passCount = passCount
        self.firstBlockSizeExponentOffset = firstBlockSizeExponentOffset
        self.blockSizeGrowthFactor = blockSizeGrowthFactor
        self.growingPassCount = growingPassCount
        self.permutationSeed = permutationSeed
    }

    /// The settings this implementation uses for a block whose QBER is estimated at
    /// `estimatedQBER`: the first two block sizes that gave the lowest mean f in our sweep over
    /// 300 blocks of 2^14 bits per point (BENCHMARKS.md, "Cascade"), 20 passes, and `seed`.
    ///
    /// - QBER below 1.5 %: `k₁ = 2^⌈log₂(1/QBER)⌉`, `k₂ = 2 k₁` (at 1 %: 128, 256),
    /// - 1.5 % up to 6 %: `k₁ = 2^⌈log₂(1/QBER) − 1⌉`, `k₂ = 8 k₁` (at 2 %: 32, 256; at 5 %: 16, 128),
    /// - 6 % and above: "Cascade opt. (7)", `k₁ = 2^⌈log₂(1/QBER)⌉`, `k₂ = 4 k₁` (at 7 %: 16, 64).
    ///
    /// Opt. (7) itself measured f = 1.090, 1.070, 1.077 at 1, 2, 5 %; these sizes 1.066, 1.063,
    /// 1.064. Later passes are random halves in every case.
    public static func tuned(forQBER estimatedQBER: Double, permutationSeed seed: UInt64 = defaultPermutationSeed) -> CascadeParameters {
        if estimatedQBER < 0.015 {
            return CascadeParameters(blockSizeGrowthFactor: 2, permutationSeed: seed)
        }
        if estimatedQBER < 0.06 {
            return CascadeParameters(firstBlockSizeExponentOffset: 1, blockSizeGrowthFactor: 8, permutationSeed: seed)
        }
        return CascadeParameters(permutationSeed: seed)
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
