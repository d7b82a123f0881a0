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
/// - punctures `p₀ = M − ⌈f₀ · m h⌉` symbols (clamped to what can be punctured), so the first
///   attempt discloses `f₀ · m h` bits, `f₀` the `initialEfficiency` or, by default, the
///   `automaticInitialEfficiency` for this QBER and block size;
/// - reveals `revealStep = ⌈max(efficiencyStep, t · σ / 10) · m h⌉` symbols per blind round
///   (`t` the typical efficiency at this QBER, `σ` the `thresholdSpread`), punctured ones
///   first, then key bits, until `⌈failureEfficiency · m h⌉` bits are disclosed.
///
/// Mean efficiency is set by where each frame first decodes, rounded up to the step grid, not by
/// where the blind rounds start: a start below a frame's threshold costs round trips and decoder
/// time (cut short by `stallIterations`), not disclosed bits, while a start above it discloses
/// bits the frame did not need. So the default start sits just below the spread of the
/// thresholds around where frames at this QBER typically decode (`automaticInitialEfficiency`,
/// `measuredTypicalEfficiency`), which lets the step be fine: a frame overshoots its threshold
/// by half a step on average.
public struct LDPCRateAdaptation: Sendable, Hashable {
    /// The efficiency of the first decoding attempt; nil (the default) starts at
    /// `automaticInitialEfficiency(blockSize:qber:)`.
    public var initialEfficiency: Double?
    /// The smallest efficiency added by a blind round; the step is `max(efficiencyStep,
    /// t · σ / 10)`, `t = typicalEfficiency(atQBER:)`, `σ = thresholdSpread(blockSize:qber:)`,
    /// so that short blocks, whose thresholds scatter widely, do not take dozens of rounds.
    /// Default 0.0025 (each frame overshoots its threshold by half a step on average: 0.005 cost
    /// about 0.002 in mean efficiency at QBER 2 %, n = 10^5, 0.01 about 0.006; BENCHMARKS.md).
    public var efficiencyStep: Double
    /// The efficiency around which frames decode, the centre of the automatic start's spread;
    /// nil (the default) takes `measuredTypicalEfficiency(qber:)`, which depends on the QBER.
    public var typicalEfficiency: Double?
    /// How many standard deviations of the frame-to-frame spread of the decoding threshold the
    /// automatic start lies below the typical efficiency. Default 2.
    public var startDeviations: Double
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
    /// Default 100 (50 cost about 0.002 in mean efficiency at QBER 2 %, n = 10^5, with the
    /// 0.0025 step: attempts just above a frame's threshold converge slowly; BENCHMARKS.md).
    public var blindRoundIterations: Int
    /// A decoding attempt gives up once this many iterations in a row brought no new low in the
    /// number of unmet checks (0: never; it then runs its full iteration budget). A frame below
    /// its threshold stalls within a few iterations while one that converges keeps lowering the
    /// count, so this cuts the cost of the failed attempts of blind reconciliation. Default 30
    /// (15 cut short attempts that would have converged; BENCHMARKS.md).
    public var stallIterations: Int

    /// Creates the settings; see each property for its default.
    public init(initialEfficiency: Double? = nil, efficiencyStep: Double = 0.0025, typicalEfficiency: Double? = nil, startDeviations: Double = 2,
                maximumEfficiency: Double = 1.16, failureEfficiency: Double = 1.3, minimumAdaptingFraction: Double = 0.03, maximumAdaptingFraction: Double = 0.12,
                codeSeed: UInt64 = 1, maximumIterations: Int = 100, blindRoundIterations: Int = 100, stallIterations: Int = 30) {
        self.initialEfficiency = initialEfficiency
        self.efficiencyStep = efficiencyStep
        self.typicalEfficiency = typicalEfficiency
        self.startDeviations = startDeviations
        self.maximumEfficiency = maximumEfficiency
        self.failureEfficiency = failureEfficiency
        self.minimumAdaptingFraction = minimumAdaptingFraction
        self.maximumAdaptingFraction = maximumAdaptingFraction
        self.codeSeed = codeSeed
        self.maximumIterations = maximumIterations
        self.blindRoundIterations = blindRoundIterations
        self.stallIterations = stallIterations
    }

    /// The relative standard deviation, from frame to frame, of the efficiency at which a frame
    /// of `blockSize` key bits at `qber` first decodes. Two independent parts: the number of
    /// errors is binomial, so the frame's own error rate has standard deviation
    /// `√(q(1 − q)/n)` and its entropy, to first order, `h′(q) √(q(1 − q)/n)` with
    /// `h′(q) = log₂((1 − q)/q)`, relative to `h(q)`; and the code's own finite-length scatter,
    /// modelled as `3 / √n` (a rough fit: at n = 10^5 the measured standard deviation of `f` is
    /// about 0.020 at QBER 2 % and 0.014 at 7 %, 0.019 and 0.013 relative, of which the error
    /// count explains 0.018 and 0.008, leaving 0.006-0.010 for the code; BENCHMARKS.md).
    public static func thresholdSpread(blockSize: Int, qber: Double) -> Double {
        let n = Double(blockSize)
        let errorCount = QKDMath.log2Of((1 - qber) / qber) * (qber * (1 - qber) / n).squareRoot() / QKDMath.binaryEntropy(qber)
        let code = 3 / n.squareRoot()
        return (errorCount * errorCount + code * code).squareRoot()
    }

    /// Where frames of n = 10^5 key bits of this code family (code seed 1, the default
    /// iterations) first decode on average, `(QBER, f)` by QBER: the mean efficiency of blind
    /// reconciliation with a fine step (0.0025 or 0.005) from a start below nearly every frame, less
    /// half a step, over the frames of `qkd bench reconcile --method ldpc --block-size 100000`
    /// (seed 1; BENCHMARKS.md, "QBER-dependent start", 27 Nov 2026; the 2 % and 7 % points, 200
    /// frames each, from "Mother codes of rate 0.85 and 0.60 with more degree-2 symbols"). The
    /// mother code changes with the QBER (`plan`), so the values are not smooth: the rate-0.90
    /// code serving 1 % decodes far above capacity. Longer blocks decode lower (at n = 10^6 the
    /// mean f is 1.0794 at 2 % and 1.0682 at 7 %), so their start, closer to these values,
    /// still lies below.
    public static let measuredTypicalEfficiencies: [(qber: Double, efficiency: Double)] = [
        (0.01, 1.200), (0.02, 1.081), (0.03, 1.069), (0.05, 1.080), (0.07, 1.074), (0.10, 1.083), (0.12, 1.105),
    ]

    /// `measuredTypicalEfficiencies` at `qber`: linear in the QBER between the measured points,
    /// the end value outside them.
    public static func measuredTypicalEfficiency(qber: Double) -> Double {
        let points = measuredTypicalEfficiencies
        guard qber > points[0].qber else { return points[0].efficiency }
        for (lower, upper) in zip(points, points.dropFirst()) where qber <= upper.qber {
            let weight = (qber - lower.qber) / (upper.qber - lower.qber)
            return (1 - weight) * lower.efficiency + weight * upper.efficiency
        }
        return points[points.count - 1].efficiency
    }

    /// The typical efficiency at `qber`: `typicalEfficiency` if set, else
    /// `measuredTypicalEfficiency(qber:)`.
    public func typicalEfficiency(atQBER qber: Double) -> Double {
        typicalEfficiency ?? Self.measuredTypicalEfficiency(qber: qber)
    }

    /// The default start of the blind rounds: `t · (1 − startDeviations · σ)`, `t =
    /// typicalEfficiency(atQBER:)`, `σ = thresholdSpread(blockSize:qber:)`, clamped to
    /// `1...maximumEfficiency`. Few frames decode below it (about 1 in 40 for 2 deviations of a
    /// normal spread), and longer blocks, whose thresholds scatter less, start closer to where
    /// they decode: 1.038 at QBER 2 % and 1.047 at 7 % for n = 10^5, 1.067 and 1.065 for n = 10^6.
    public func automaticInitialEfficiency(blockSize: Int, qber: Double) -> Double {
        let start = typicalEfficiency(atQBER: qber) * (1 - startDeviations * Self.thresholdSpread(blockSize: blockSize, qber: qber))
        return min(max(start, 1), maximumEfficiency)
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
        let typical = typicalEfficiency(atQBER: estimatedQBER)
        guard typical >= 1 && startDeviations >= 0 else {
            throw QKDError(.invalidParameter, "LDPC typical efficiency (\(typical)) must be at least 1 and the start deviations (\(startDeviations)) at least 0")
        }
        let initialEfficiency = self.initialEfficiency ?? automaticInitialEfficiency(blockSize: blockSize, qber: estimatedQBER)
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
        let spreadStep = typical * Self.thresholdSpread(blockSize: blockSize, qber: estimatedQBER) / 10
        let step = max(1, Int((max(efficiencyStep, spreadStep) * keyEntropy).rounded(.up)))
        let budget = Int((failureEfficiency * keyEntropy).rounded(.up)) - (code.checkCount - punctured)
        let reveals = min(max(budget, 0), punctured + blockSize)
        return try LDPCFramePlan(code: identifier, blockSize: blockSize, initialPuncturedCount: punctured, revealStep: step,
                                 maximumRevealCount: reveals, qber: estimatedQBER)
    }
}
