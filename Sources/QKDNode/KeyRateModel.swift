import Photonics
import QKDCore
import Security

/// The secret length that the security analysis gives for a block's counts, for either source:
/// the three-state single-photon analysis for the quantum dot, the decoy-state analysis for the
/// laser. Used by key-rate studies, where error correction is not run: its leakage is taken as
/// `f n_Z h(QBER_Z)` with `f = 1.06` (what our Cascade measures at these block sizes, see
/// BENCHMARKS.md) plus the 122 verification tag bits.
public struct KeyRateModel: Sendable {
    /// Reconciliation efficiency assumed for the leakage.
    public static let reconciliationEfficiency = 1.06
    /// Bits of the verification tag.
    public static let verificationBits = 122

    private enum Analysis {
        case singlePhoton(ThreeStateFiniteKeyAnalysis)
        case decoyState(DecoyStateFiniteKeyAnalysis)
    }

    private let analysis: Analysis

    /// Creates the model for a configuration; `finiteSize: false` gives the asymptotic limit.
    /// Throws for the BB84 alphabet, whose security analysis QKDKit does not have yet.
    public init(configuration: NodeConfiguration, finiteSize: Bool) throws {
        let link = configuration.link
        guard link.encoder.alphabet == .threeState else {
            throw QKDError(.invalidParameter, "\(configuration.name): no security analysis for the BB84 alphabet yet: key rates need encoder.alphabet three-state")
        }
        let security = configuration.postProcessing.security
        switch link.source {
        case .quantumDot:
            analysis = .singlePhoton(ThreeStateFiniteKeyAnalysis(
                protocolDescription: try configuration.protocolDescription, security: security, finiteSize: finiteSize))
        case .weakCoherent(let laser):
            let description = try DecoyStateProtocol(
                zBasisProbability: link.encoder.zBasisProbability, bobBasisRatio: 1,
                intensities: laser.intensities, intensityProbabilities: laser.intensityProbabilities)
            analysis = .decoyState(DecoyStateFiniteKeyAnalysis(protocolDescription: description, security: security, finiteSize: finiteSize))
        }
    }

    /// The leakage assumed for `siftedZ` bits at Z-basis error rate `qberZ`.
    public static func leakage(siftedZ: UInt64, qberZ: Double) -> Int {
        Int((reconciliationEfficiency * Double(siftedZ) * QKDMath.binaryEntropy(qberZ)).rounded(.up)) + verificationBits
    }

    /// The secret length of a block with counts per intensity (one entry for the quantum dot),
    /// each with the three-state layout (states early, late, plus; results Z-early, Z-late,
    /// X-plus, X-minus).
    public func secretKey(perIntensity counts: [ThreeStateCounts]) throws -> SecretKeyBound {
        let total = counts.reduce(ThreeStateCounts.zero, +)
        let leakage = Self.leakage(siftedZ: total.siftedZ, qberZ: total.qberZ)
        switch analysis {
        case .singlePhoton(let analysis):
            return try analysis.secretKey(counts: total, leakage: leakage)
        case .decoyState(let analysis):
            return try analysis.secretKey(counts: DecoyStateCounts(perIntensity: counts), leakage: leakage)
        }
    }

    /// The expected counts of `pulses` pulses of the analytic model, per intensity, rounded to
    /// whole events.
    public static func expectedCounts(_ model: AnalyticLinkModel, pulses: Double) throws -> [ThreeStateCounts] {
        try (0..<model.configuration.source.intensityCount).map { intensity in
            let sent = pulses * model.configuration.source.intensityProbability(intensity)
            return try ThreeStateCounts(pulses: UInt64(sent.rounded()), counts: [PreparedState.early, .late, .plus].map { state in
                LinkOutcome.allCases.map { UInt64((pulses * model.probability(intensity: intensity, state, $0)).rounded()) }
            })
        }
    }
}
