import QKDCore

/// Chooses the code and the numbers of punctured and shortened symbols for a frame from the
/// estimated QBER and efficiency targets (rate adaptation of Elkouss et al. 2010, started
/// optimistically and completed blind, Martinez-Mateo et al. 2012).
///
/// With `m` key bits, `h = h(QBER)`, a code of `M` checks and `p₀` punctured symbols disclose
/// `M − p₀` bits (`LDPCFrameLayout`), an efficiency `f = (M − p₀)/(m h)`. The plan
/// - takes the highest-rate mother code (rate `R₀`) that reaches `maximumEfficiency` with every
///   punctured symbol revealed, `M = (1 − R₀) N ≥ maximumEfficiency · m h`, on a code word of
///   `N = max(m / (1 − minimumAdaptingFraction), maximumEfficiency · m h / (1 − R₀))` symbols
///   (rounded up to a multiple of 800, the lifting factor `Z = N / 800`) without more than
///   `maximumAdaptingFraction` of them adapting the rate: the least shortening that lets the
///   punctured symbols alone carry the frame to `maximumEfficiency` (revealing key bits beyond
///   that point is several times less effective: a key bit is already known to Bob with
///   probability `1 − QBER`). Without such a code, the lowest-rate one at the largest `N`;
/// - punctures `p₀ = M − ⌈initialEfficiency · m h⌉` symbols (clamped to what can be punctured),
///   so the first attempt discloses `initialEfficiency · m h` bits;
/// - reveals `revealStep = ⌈efficiencyStep · m h⌉` symbols per blind round, punctured ones
///   first, then key bits, until `⌈failureEfficiency · m h⌉` bits are disclosed.
///
/// Mean efficiency is set by where each frame first decodes, not by where the blind rounds
/// start: a start below the codes' threshold costs round trips and decoder time (cut short by
/// `stallIterations`), not disclosed bits.
public struct LDPCRateAdaptation: Sendable, Hashable {
    /// The efficiency of the first decoding attempt. Default 1.04.
    public var initialEfficiency: Double
    /// The efficiency added by each blind round. Default 0.01 (0.015 cost about 0.007 in mean
    /// efficiency at QBER 2 %, n = 10^5; see BENCHMARKS.md).
    public var efficiencyStep: Double
    /// The efficiency the chosen code must reach with every punctured symbol revealed (it
    /// chooses the mother code and the code length). Default 1.16.
    public var maximumEfficiency: Double
    /// The efficiency at which the blind rounds stop and the frame fails. Default 1.3.
    public var failureEfficiency: Double
    /// The smallest fraction of the code word used for rate adaptation. Default 0.03.
    public var minimumAdaptingFraction: Double
    /// The largest fraction of the code word used for rate adaptation. Default 0.12.
    public var maximumAdaptingFraction: Double
    /// The seed of the code construction (both sides must use the same). Default 1.
    public var codeSeed: UInt64
    /// The belief-propagation iterations of the first decoding attempt. Default 100.
    public var maximumIterations: Int
    /// The iterations of each later attempt, which resumes from the previous one's messages.
    /// Default 50.
    public var blindRoundIterations: Int
    /// A decoding attempt gives up once this many iterations in a row brought no new low in the
    /// number of unmet checks (0: never; it then runs its full iteration budget). A frame below
    /// its threshold stalls within a few iterations while one that converges keeps lowering the
    /// count, so this cuts the cost of the failed attempts of blind reconciliation. Default 15.
    public var stallIterations: Int

    /// Creates the settings; see each property for its default.
    public init(initialEfficiency: Double = 1.04, efficiencyStep: Double = 0.01, maximumEfficiency: Double = 1.16,
                failureEfficiency: Double = 1.3, minimumAdaptingFraction: Double = 0.03, maximumAdaptingFraction: Double = 0.12, codeSeed: UInt64 = 1, maximumIterations: Int = 100,
                blindRoundIterations: Int = 50, stallIterations: Int = 15) {
        self.initialEfficiency = initialEfficiency
        self.efficiencyStep = efficiencyStep
        self.maximumEfficiency = maximumEfficiency
        self.failureEfficiency = failureEfficiency
        self.minimumAdaptingFraction = minimumAdaptingFraction
        self.maximumAdaptingFraction = maximumAdaptingFraction
        self.codeSeed = codeSeed
        self.maximumIterations = maximumIterations
        self.blindRoundIterations = blindRoundIterations
        self.stallIterations = stallIterations
    }

    /// The QBER range the family serves: above it no mother code reaches the target efficiencies.
    public static let supportedQBER: ClosedRange<Double> = 0.001...0.13

    /// The plan for `blockSize` key bits at `estimatedQBER`. Throws `QKDError.invalidParameter`
    /// for a block size below 1, a QBER outside `supportedQBER`, or settings out of range.
    public func plan(blockSize: Int, estimatedQBER: Double, cache: LDPCCodeCache = .shared) throws -> LDPCFramePlan {
        guard blockSize >= 1 else {
            throw QKDError(.invalidParameter, "LDPC block size \(blockSize) is below 1")
        }
        guard Self.supportedQBER.contains(estimatedQBER) else {
            throw QKDError(.invalidParameter, "LDPC estimated QBER \(estimatedQBER) is not in \(Self.supportedQBER.lowerBound)...\(Self.supportedQBER.upperBound)")
        }
        guard minimumAdaptingFraction >= 0 && maximumAdaptingFraction >= minimumAdaptingFraction && maximumAdaptingFraction < 1 else {
            throw QKDError(.invalidParameter, "LDPC adapting fractions need 0 <= minimum (\(minimumAdaptingFraction)) <= maximum (\(maximumAdaptingFraction)) < 1")
        }
        guard initialEfficiency >= 1 && maximumEfficiency >= initialEfficiency && failureEfficiency >= initialEfficiency && efficiencyStep > 0 else {
            throw QKDError(.invalidParameter, "LDPC efficiencies need 1 <= initial (\(initialEfficiency)) <= maximum (\(maximumEfficiency)), initial <= failure (\(failureEfficiency)) and a positive step (\(efficiencyStep))")
        }
        guard maximumIterations >= 1 && blindRoundIterations >= 1 && stallIterations >= 0 else {
            throw QKDError(.invalidParameter, "LDPC iterations (\(maximumIterations) first, \(blindRoundIterations) per blind round) must be at least 1 and the stall limit (\(stallIterations)) at least 0")
        }
        let columns = LDPCDegreeProfile.baseColumnCount
        let keyEntropy = Double(blockSize) * QKDMath.binaryEntropy(estimatedQBER)
        let shortestLength = Double(blockSize) / (1 - minimumAdaptingFraction)
        let longestLength = Double(blockSize) / (1 - maximumAdaptingFraction)
        let family = LDPCDegreeProfile.family
        var profileIndex = 0
        var length = longestLength
        for index in family.indices.reversed() {
            let needed = max(shortestLength, maximumEfficiency * keyEntropy / (1 - family[index].rate))
            if needed <= longestLength {
                profileIndex = index
                length = needed
                break
            }
        }
        let lifting = max(1, Int((length / Double(columns)).rounded(.up)))
        let identifier = LDPCCode.Identifier(profileIndex: profileIndex, liftingFactor: lifting, seed: codeSeed)
        let code = try cache.code(identifier)
        let puncturable = min(code.variableCount - blockSize, code.puncturingOrder.count)
        let punctured = min(max(code.checkCount - Int((initialEfficiency * keyEntropy).rounded(.up)), 0), puncturable)
        let step = max(1, Int((efficiencyStep * keyEntropy).rounded(.up)))
        let budget = Int((failureEfficiency * keyEntropy).rounded(.up)) - (code.checkCount - punctured)
        let reveals = min(max(budget, 0), punctured + blockSize)
        return try LDPCFramePlan(code: identifier, blockSize: blockSize, initialPuncturedCount: punctured, revealStep: step,
                                 maximumRevealCount: reveals, qber: estimatedQBER)
    }
}
