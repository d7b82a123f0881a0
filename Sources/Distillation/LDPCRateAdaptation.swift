import QKDCore

/// Chooses the code and the numbers of punctured and shortened symbols for a frame from the
/// estimated QBER and efficiency targets (rate adaptation of Elkouss et al. 2010, started
/// optimistically and completed blind, Martinez-Mateo et al. 2012).
///
/// With `m` key bits, `h = h(QBER)`, a code of `M` checks and `p₀` punctured symbols disclose
/// `M − p₀` bits (`LDPCFrameLayout`), an efficiency `f = (M − p₀)/(m h)`. The plan
/// - lifts the 800-column base graph by `Z = ⌈m / (800 (1 − minimumAdaptingFraction))⌉`, so at
///   least that fraction of the `N = 800 Z` symbols adapt the rate;
/// - takes the highest-rate mother code whose `M` still reaches `maximumEfficiency` with nothing
///   punctured (every punctured symbol revealed), so the blind rounds can go that far;
/// - punctures `p₀ = M − ⌈initialEfficiency · m h⌉` symbols (clamped to what can be punctured),
///   so the first attempt discloses `initialEfficiency · m h` bits;
/// - reveals `revealStep = ⌈efficiencyStep · m h⌉` symbols per blind round.
public struct LDPCRateAdaptation: Sendable, Hashable {
    /// The efficiency of the first decoding attempt. Default 1.02.
    public var initialEfficiency: Double
    /// The efficiency added by each blind round. Default 0.02.
    public var efficiencyStep: Double
    /// The efficiency reached when every punctured symbol is revealed; the frame fails beyond.
    /// Default 1.25.
    public var maximumEfficiency: Double
    /// The smallest fraction of the code word used for rate adaptation. Default 0.1.
    public var minimumAdaptingFraction: Double
    /// The seed of the code construction (both sides must use the same). Default 1.
    public var codeSeed: UInt64
    /// The belief-propagation iterations per decoding attempt. Default 60.
    public var maximumIterations: Int

    /// Creates the settings; see each property for its default.
    public init(initialEfficiency: Double = 1.02, efficiencyStep: Double = 0.02, maximumEfficiency: Double = 1.25,
                minimumAdaptingFraction: Double = 0.1, codeSeed: UInt64 = 1, maximumIterations: Int = 60) {
        self.initialEfficiency = initialEfficiency
        self.efficiencyStep = efficiencyStep
        self.maximumEfficiency = maximumEfficiency
        self.minimumAdaptingFraction = minimumAdaptingFraction
        self.codeSeed = codeSeed
        self.maximumIterations = maximumIterations
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
        guard minimumAdaptingFraction >= 0 && minimumAdaptingFraction < 1 else {
            throw QKDError(.invalidParameter, "LDPC minimum adapting fraction \(minimumAdaptingFraction) is not in [0, 1)")
        }
        guard initialEfficiency >= 1 && maximumEfficiency >= initialEfficiency && efficiencyStep > 0 else {
            throw QKDError(.invalidParameter, "LDPC efficiencies need 1 <= initial (\(initialEfficiency)) <= maximum (\(maximumEfficiency)) and a positive step (\(efficiencyStep))")
        }
        guard maximumIterations >= 1 else {
            throw QKDError(.invalidParameter, "LDPC maximum iterations \(maximumIterations) is below 1")
        }
        let columns = Double(LDPCDegreeProfile.baseColumnCount)
        let lifting = Int((Double(blockSize) / (columns * (1 - minimumAdaptingFraction))).rounded(.up))
        let keyEntropy = Double(blockSize) * QKDMath.binaryEntropy(estimatedQBER)
        let family = LDPCDegreeProfile.family
        let profileIndex = family.indices.last { family[$0].baseCheckCount * lifting >= Int((maximumEfficiency * keyEntropy).rounded(.up)) } ?? 0
        let identifier = LDPCCode.Identifier(profileIndex: profileIndex, liftingFactor: lifting, seed: codeSeed)
        let code = try cache.code(identifier)
        let puncturable = min(code.variableCount - blockSize, code.puncturingOrder.count)
        let punctured = min(max(code.checkCount - Int((initialEfficiency * keyEntropy).rounded(.up)), 0), puncturable)
        let step = max(1, Int((efficiencyStep * keyEntropy).rounded(.up)))
        return try LDPCFramePlan(code: identifier, blockSize: blockSize, initialPuncturedCount: punctured, revealStep: step, qber: estimatedQBER)
    }
}
