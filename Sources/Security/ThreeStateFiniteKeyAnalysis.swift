import QKDCore

/// Composable finite-key secret length of the three-state time-bin protocol with a
/// single-photon source whose multi-photon emission is bounded through g2(0).
///
/// The argument, each step with its source:
/// 1. Tagging (Gottesman, Lo, Lütkenhaus, Preskill, QIC 4, 325 (2004), "GLLP"): multi-photon
///    pulses are given to Eve; vacuum and single-photon ("untagged") pulses carry the key. The
///    source's photon number is independent of the encoded state, so at most
///    `M_Z <= UpperCount(N p_Z p_multi)` sifted Z events are tagged, with
///    `p_multi <= g2(0) μ² / 2` (Waks et al., PRA 66, 042315 (2002)).
/// 2. Phase errors (Koashi, NJP 11, 045018 (2009)): the secrecy of the untagged Z bits is fixed by
///    the number of phase errors: the errors Bob would see had Alice sent |±> (whose mixture
///    equals that of |early>, |late>) and Bob measured X. The missing state |-> is virtual: on the
///    untagged subspace `|-><-| = |e><e| + |l><l| - |+><+|`, and every click probability is
///    linear in the state, so the yields of |-> follow from those of the three real states
///    (Tamaki et al., PRA 90, 052314 (2014), Eqs. 4-8; applied to this protocol by Rusca et al.,
///    PRA 98, 052336 (2018)). With `Λ_s^o` the sums of conditional probabilities of state s with X
///    result o and Bob's basis ratio r = q_Z/q_X, the expected phase errors are
///    `Λ_ph = r [ (p_Z / 2p_+) (Λ_+^- - Λ_+,u^+) + Λ_e^+ + Λ_l^+ ]`, where
///    `Λ_+,u^+ >= Λ_+^+ - N p_+ p_multi` removes the tagged |+> pulses. With four states (BB84
///    counts, a row for |->) the X errors give the phase errors directly (`PhaseErrorEstimate`).
/// 3. Concentration: each Λ is bounded from its observed count, and the phase-error count from
///    Λ_ph, with `MartingaleBounds` (valid against coherent attacks), each failing with
///    probability `ε_PE / 6`.
/// 4. Key length (Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012), Eq. 2 and Methods;
///    Lim et al., PRA 89, 022307 (2014), Eq. 1): `ℓ = ⌊ s_u (1 - h(φ)) - λ_EC - 2 log2(1/(2ε_PA)) ⌋`
///    with `φ = E_ph / s_u`, λ_EC the bits actually disclosed by error correction plus the
///    verification tag, and `ε_sec = 2 ε_smooth + ε_PA`. Tagged bits contribute no entropy.
public struct ThreeStateFiniteKeyAnalysis: Sendable {
    /// The protocol and source characterisation.
    public let protocolDescription: ThreeStateProtocol
    /// The security targets.
    public let security: SecurityParameters
    /// Whether finite-size deviations are applied.
    public let finiteSize: Bool
    /// The concentration inequality.
    public let inequality: MartingaleBounds.Inequality

    /// Creates an analysis; `finiteSize: false` gives the asymptotic limit of the same formula.
    public init(
        protocolDescription: ThreeStateProtocol, security: SecurityParameters, finiteSize: Bool = true,
        inequality: MartingaleBounds.Inequality = .chernoff
    ) {
        self.protocolDescription = protocolDescription
        self.security = security
        self.finiteSize = finiteSize
        self.inequality = inequality
    }

    /// The secret length of a block with `counts` whose error correction and verification
    /// disclosed `leakage` bits.
    public func secretKey(counts: ThreeStateCounts, leakage: Int) throws -> SecretKeyBound {
        guard leakage >= 0 else {
            throw QKDError(.invalidParameter, "leakage must be non-negative, got \(leakage) bits")
        }
        let p = protocolDescription
        let epsilon = security.epsilonEstimation / 6
        let pulses = Double(counts.pulses)
        let bounds = MartingaleBounds(deviations: finiteSize, inequality: inequality, rounds: pulses)
        func n(_ state: Int, _ result: Int) -> Double { Double(counts.count(state: state, result: result)) }
        func stateProbability(_ state: Int) -> Double {
            PhaseErrorEstimate.stateProbability(state, fourStates: counts.isFourState, zBasisProbability: p.zBasisProbability)
        }

        let siftedZ = Double(counts.siftedZ)
        let taggedZ = min(siftedZ, bounds.upperCount(expectation: pulses * p.zBasisProbability * p.multiPhotonProbability, epsilon: epsilon))
        let untaggedZ = siftedZ - taggedZ

        let expectedPhaseErrors = PhaseErrorEstimate.expectedPhaseErrors(
            fourStates: counts.isFourState, zBasisProbability: p.zBasisProbability, bobBasisRatio: p.bobBasisRatio,
            upper: { bounds.upperExpectation(observed: n($0, $1), epsilon: epsilon) },
            lower: { max(0, bounds.lowerExpectation(observed: n($0, $1), epsilon: epsilon) - pulses * stateProbability($0) * p.multiPhotonProbability) })
        let phaseErrors = bounds.upperCount(expectation: expectedPhaseErrors, epsilon: epsilon)

        let paCost = 2 * QKDMath.log2Of(1 / (2 * security.epsilonPrivacyAmplification))
        var result = SecretKeyBound(
            secretBits: 0, siftedZ: counts.siftedZ, taggedZUpper: taggedZ, untaggedZLower: untaggedZ,
            vacuumZLower: 0, singlePhotonZLower: untaggedZ,
            expectedPhaseErrorsUpper: expectedPhaseErrors, phaseErrorsUpper: phaseErrors, phaseErrorRateUpper: 0.5,
            leakage: leakage, privacyAmplificationCost: paCost, reasonForNoKey: nil)
        guard untaggedZ > 0 else {
            result.reasonForNoKey = "no untagged Z events: the multi-photon bound covers all \(counts.siftedZ) sifted bits"
            return result
        }
        let phaseErrorRate = min(0.5, phaseErrors / untaggedZ)
        result.phaseErrorRateUpper = phaseErrorRate
        if phaseErrorRate >= 0.5 {
            result.reasonForNoKey = "phase error rate bound reached 1/2 (X-basis QBER \(Self.percent(counts.qberX)))"
            return result
        }
        let length = (untaggedZ * (1 - QKDMath.binaryEntropy(phaseErrorRate)) - Double(leakage) - paCost).rounded(.down)
        if length <= 0 {
            result.reasonForNoKey = String(
                "entropy of the untagged bits (\(Int(untaggedZ * (1 - QKDMath.binaryEntropy(phaseErrorRate)))) bits at phase error bound \(Self.percent(phaseErrorRate))) "
                    + "does not cover the \(leakage) bits disclosed by error correction plus \(Int(paCost.rounded(.up))) for privacy amplification")
            return result
        }
        result.secretBits = Int(length)
        return result
    }

    /// A fraction as a percentage with two decimals, for messages.
    static func percent(_ x: Double) -> String {
        let scaled = (x * 10000).rounded() / 100
        return "\(scaled) %"
    }
}
