import QKDCore

/// What Alice and Bob agree on for one LDPC frame: the code, where the key and the rate-adapting
/// symbols sit in the code word, how many symbols start punctured and how many are revealed per
/// blind round. Alice chooses it (`LDPCRateAdaptation.plan`) and sends it with the syndrome.
///
/// Frame layout (D. Elkouss, J. Martinez-Mateo, D. Lancho, V. Martin, "Rate compatible protocol
/// for information reconciliation: an application to QKD", ITW 2010, arXiv:1006.2660): a code
/// word of `N` symbols holds the `blockSize` key bits and `d = N − blockSize` adapting symbols.
/// The adapting symbols are ordered (`LDPCFrameLayout`); the first `p` are punctured (Alice fills
/// them with fresh secret random bits, Bob knows nothing about them) and the other `d − p` are
/// shortened (value 0, known to both). Blind reconciliation (J. Martinez-Mateo, D. Elkouss,
/// V. Martin, "Blind reconciliation", Quantum Inf. Comput. 12 (2012) 791) reveals symbols
/// `revealStep` at a time in the order of `LDPCFrameLayout.revealOrder`: the punctured ones,
/// last first, which turns them into shortened ones, then key bits in a fixed public order (so
/// that a frame whose errors need more than the whole syndrome can still be decoded), up to
/// `maximumRevealCount` symbols; the frame fails when decoding still fails after that.
public struct LDPCFramePlan: Sendable, Hashable {
    /// The code.
    public let code: LDPCCode.Identifier
    /// The number of key bits in the frame.
    public let blockSize: Int
    /// The number `p₀` of punctured symbols before any is revealed.
    public let initialPuncturedCount: Int
    /// How many symbols one blind round reveals (at least 1).
    public let revealStep: Int
    /// The most symbols the blind rounds may reveal, punctured ones first, then key bits.
    public let maximumRevealCount: Int
    /// The QBER Bob's decoder assumes (Alice's estimate).
    public let qber: Double

    /// Creates a plan. Throws `QKDError.invalidParameter` for an unknown profile, a lifting factor
    /// outside `1...LDPCQuasiCyclicConstruction.maximumLiftingFactor`, or a count out of range for
    /// the code: `blockSize` must be in `1...N`, `p₀` must not exceed the adapting symbols,
    /// `maximumRevealCount` not `p₀` plus the key bits, and `qber` must be in (0, 0.5). (Whether
    /// the code can puncture `p₀` symbols untainted is checked by Alice and Bob against the code.)
    public init(code: LDPCCode.Identifier, blockSize: Int, initialPuncturedCount: Int, revealStep: Int, maximumRevealCount: Int, qber: Double) throws {
        try LDPCQuasiCyclicConstruction.validate(code)
        let length = LDPCDegreeProfile.baseColumnCount * code.liftingFactor
        guard blockSize >= 1 && blockSize <= length else {
            throw QKDError(.invalidParameter, "LDPC block size \(blockSize) is not in 1...\(length) (the code length)")
        }
        guard initialPuncturedCount >= 0 && initialPuncturedCount <= length - blockSize else {
            throw QKDError(.invalidParameter, "LDPC punctured count \(initialPuncturedCount) is not in 0...\(length - blockSize) (the adapting symbols)")
        }
        guard revealStep >= 1 else {
            throw QKDError(.invalidParameter, "LDPC reveal step \(revealStep) is below 1")
        }
        guard maximumRevealCount >= 0 && maximumRevealCount <= initialPuncturedCount + blockSize else {
            throw QKDError(.invalidParameter, "LDPC maximum reveal count \(maximumRevealCount) is not in 0...\(initialPuncturedCount + blockSize) (punctured symbols plus key bits)")
        }
        guard qber > 0 && qber < 0.5 else {
            throw QKDError(.invalidParameter, "LDPC QBER \(qber) is not in (0, 0.5)")
        }
        self.code = code
        self.blockSize = blockSize
        self.initialPuncturedCount = initialPuncturedCount
        self.revealStep = revealStep
        self.maximumRevealCount = maximumRevealCount
        self.qber = qber
    }

    /// The code length `N`.
    public var codeLength: Int { LDPCDegreeProfile.baseColumnCount * code.liftingFactor }

    /// The number `d = N − blockSize` of adapting (punctured or shortened) symbols.
    public var adaptingCount: Int { codeLength - blockSize }

    /// The most blind rounds a frame can take.
    public var maximumRevealRounds: Int { (maximumRevealCount + revealStep - 1) / revealStep }
}
