import QKDCore

/// Composable finite-key secret length of the three-state time-bin protocol with a laser and
/// one or two decoy intensities.
///
/// The argument follows `ThreeStateFiniteKeyAnalysis` with the tagging step replaced by the
/// decoy-state method (Hwang, PRL 91, 057901 (2003); Lo, Ma, Chen, PRL 94, 230504 (2005)):
/// 1. For every class of events (Z key bits, and each X result cell (state, outcome)), the counts
///    at intensity k relate to the photon-number counts s_n through
///    `E[n_k] = Σ_n p_k e^{-μ_k} μ_k^n / (n! τ_n) s_n` (Lim et al., PRA 89, 022307 (2014), Eq. 2),
///    because given the photon number Eve cannot tell the intensity. Each scaled count
///    `n_k^± = (e^{μ_k}/p_k) n_k^{bound}` uses `MartingaleBounds` (Chernoff, Kato or
///    Azuma-Hoeffding over the block's pulses) in place of Hoeffding.
/// 2. Vacuum and single-photon bounds (`DecoyStateBounds`, checked against Lim et al.'s Fig. 1 by
///    `PublishedDecoyKeyRateTests`). Two decoys (μ1 > μ2 + μ3): Lim et al. 2014 Eqs. 2-4:
///    `s_0 >= τ_0 (μ2 n_3^- - μ3 n_2^+)/(μ2 - μ3)`,
///    `s_1 >= μ1 τ_1 [n_2^- - n_3^+ - (μ2² - μ3²)/μ1² (n_1^+ - s_0/τ_0)] / (μ1(μ2 - μ3) - μ2² + μ3²)`,
///    `s_1 <= τ_1 (n_2^+ - n_3^-)/(μ2 - μ3)`. One decoy (μ1 > μ2): Rusca et al., APL 112, 171104
///    (2018), Eqs. 2-4: `s_0 >= τ_0 (μ1 n_2^- - μ2 n_1^+)/(μ1 - μ2)`,
///    `s_1 >= τ_1 μ1 [n_2^- - (μ2²/μ1²) n_1^+ - (μ1² - μ2²)/μ1² s_0^u/τ_0] / (μ2(μ1 - μ2))`,
///    `s_1 <= τ_1 (n_1^+ - n_2^-)/(μ1 - μ2)`, tightened by the decoy alone,
///    `s_1 <= τ_1 (n_2^+ - s_0^l/τ_0)/μ2` (every term of `n_2^+ = Σ μ2^n s_n/(n! τ_n)` is
///    non-negative), with the vacuum upper bound from the Z errors at
///    the decoy (vacuum pulses carry no information on Alice's bit, so half of them are errors):
///    `s_0^u = 2 U(τ_0 m_2^+)`. For an X cell of state s the vacuum events are those of the Z key
///    scaled by Alice's and Bob's basis choices, which vacuum pulses cannot influence:
///    `s_0^u(s, X) = U'(p_s / (r p_Z) s_{Z,0}^u)`, and never more than `τ_0 min_k n_k^+`.
/// 3. Phase errors of the single-photon Z bits from the single-photon X cells through the
///    virtual state |-> (Tamaki et al., PRA 90, 052314 (2014); Rusca et al., PRA 98, 052336
///    (2018)), as in `ThreeStateFiniteKeyAnalysis`: `Λ_ph = r[(p_Z/2p_+)(Λ_+^- - Λ_+^+) + Λ_e^+ + Λ_l^+]`
///    with each Λ bounded from its single-photon count, then `E_ph = U'(Λ_ph)`.
/// 4. `ℓ = ⌊ s_{Z,0} + s_{Z,1} (1 - h(φ)) - λ_EC - 2 log2(1/(2 ε_PA)) ⌋` with `φ = E_ph / s_{Z,1}`
///    (Lim et al. 2014, Eq. 1, in the ε split of `SecurityParameters`).
/// Every concentration bound fails with probability at most ε_PE / 64 (there are at most 37).
public struct DecoyStateFiniteKeyAnalysis: Sendable {
    /// The protocol.
    public let protocolDescription: DecoyStateProtocol
    /// The security targets.
    public let security: SecurityParameters
    /// Whether finite-size deviations are applied.
    public let finiteSize: Bool
    /// The concentration inequality (its rounds are the block's pulses).
    public let inequality: MartingaleBounds.Inequality

    /// Creates an analysis; `finiteSize: false` gives the asymptotic limit of the same formula.
    public init(
        protocolDescription: DecoyStateProtocol, security: SecurityParameters, finiteSize: Bool = true,
        inequality: MartingaleBounds.Inequality = .chernoff
    ) {
        self.protocolDescription = protocolDescription
        self.security = security
        self.finiteSize = finiteSize
        self.inequality = inequality
    }

    /// Vacuum and single-photon bounds of one class of events.
    struct PhotonNumberBounds {
        var vacuumLower: Double
        var vacuumUpper: Double
        var singleLower: Double
        var singleUpper: Double
    }

    private var epsilon: Double { security.epsilonEstimation / 64 }

    /// The decoy bounds (`DecoyStateBounds`) of a class observed `counts[k]` times at intensity k;
    /// `decoyErrors` (the class's errors at the decoy intensity, one-decoy only) tightens the
    /// vacuum upper bound (Rusca et al. 2018, Eq. A16), as does `vacuumUpperBound`. Every vacuum
    /// bound is also at most `τ_0 n_k^+` for each k (the vacuum term of `n_k^+`).
    func photonNumberBounds(_ counts: [Double], bounds: MartingaleBounds, decoyErrors: Double? = nil, vacuumUpperBound: Double? = nil) -> PhotonNumberBounds {
        let mu = protocolDescription.intensities, p = protocolDescription.intensityProbabilities
        let decoy = DecoyStateBounds(protocolDescription)
        let tau0 = decoy.vacuumProbability
        let upper = counts.map { bounds.upperExpectation(observed: $0, epsilon: epsilon) }
        let lower = counts.map { bounds.lowerExpectation(observed: $0, epsilon: epsilon) }
        let total = counts.reduce(0, +)
        var vacuumUpper = min(total, vacuumUpperBound ?? .infinity)
        for k in mu.indices { vacuumUpper = min(vacuumUpper, tau0 * QKDMath.exponential(mu[k]) / p[k] * upper[k]) }
        if mu.count == 2, let decoyErrors {
            let scaledErrors = tau0 * QKDMath.exponential(mu[1]) / p[1] * bounds.upperExpectation(observed: decoyErrors, epsilon: epsilon)
            vacuumUpper = min(vacuumUpper, 2 * bounds.upperExpectation(observed: scaledErrors, epsilon: epsilon))
        }
        let vacuumLower = decoy.vacuumLower(upper: upper, lower: lower)
        let single = decoy.singleLower(upper: upper, lower: lower, vacuum: mu.count == 3 ? vacuumLower : vacuumUpper)
        let singleUpper = decoy.singleUpper(upper: upper, lower: lower, vacuum: vacuumLower)
        return PhotonNumberBounds(
            vacuumLower: min(vacuumLower, total), vacuumUpper: vacuumUpper,
            singleLower: min(single, total), singleUpper: min(singleUpper, total))
    }

    /// The secret length of a block with `counts` whose error correction and verification
    /// disclosed `leakage` bits.
    public func secretKey(counts: DecoyStateCounts, leakage: Int) throws -> SecretKeyBound {
        let p = protocolDescription
        guard counts.perIntensity.count == p.intensities.count else {
            throw QKDError(.invalidParameter, "counts have \(counts.perIntensity.count) intensities, the protocol \(p.intensities.count)")
        }
        guard leakage >= 0 else {
            throw QKDError(.invalidParameter, "leakage must be non-negative, got \(leakage) bits")
        }
        let intensities = 0..<p.intensities.count
        let bounds = MartingaleBounds(deviations: finiteSize, inequality: inequality, rounds: Double(counts.total.pulses))
        let siftedZ = intensities.map { Double(counts.perIntensity[$0].siftedZ) }
        let fourStates = counts.perIntensity[0].isFourState
        guard counts.perIntensity.allSatisfy({ $0.isFourState == fourStates }) else {
            throw QKDError(.invalidParameter, "decoy counts mix three-state and BB84 intensities")
        }
        let zErrors = Double(counts.perIntensity[p.intensities.count == 2 ? 1 : 0].zErrors)
        let key = photonNumberBounds(siftedZ, bounds: bounds, decoyErrors: p.intensities.count == 2 ? zErrors : nil)
        func cell(_ state: Int, _ result: Int) -> PhotonNumberBounds {
            let share = PhaseErrorEstimate.stateProbability(state, fourStates: fourStates, zBasisProbability: p.zBasisProbability)
            let vacuum = bounds.upperCount(expectation: share / (p.bobBasisRatio * p.zBasisProbability) * key.vacuumUpper, epsilon: epsilon)
            return photonNumberBounds(intensities.map { counts.count(intensity: $0, state: state, result: result) }, bounds: bounds, vacuumUpperBound: vacuum)
        }
        let expectedPhaseErrors = PhaseErrorEstimate.expectedPhaseErrors(
            fourStates: fourStates, zBasisProbability: p.zBasisProbability, bobBasisRatio: p.bobBasisRatio,
            upper: { bounds.upperExpectation(observed: cell($0, $1).singleUpper, epsilon: epsilon) },
            lower: { bounds.lowerExpectation(observed: cell($0, $1).singleLower, epsilon: epsilon) })
        let phaseErrors = bounds.upperCount(expectation: expectedPhaseErrors, epsilon: epsilon)
        let totalZ = siftedZ.reduce(0, +)
        let paCost = 2 * QKDMath.log2Of(1 / (2 * security.epsilonPrivacyAmplification))
        var result = SecretKeyBound(
            secretBits: 0, siftedZ: UInt64(totalZ), taggedZUpper: totalZ - key.vacuumLower - key.singleLower,
            untaggedZLower: key.vacuumLower + key.singleLower, vacuumZLower: key.vacuumLower, singlePhotonZLower: key.singleLower,
            expectedPhaseErrorsUpper: expectedPhaseErrors, phaseErrorsUpper: phaseErrors, phaseErrorRateUpper: 0.5,
            leakage: leakage, privacyAmplificationCost: paCost, reasonForNoKey: nil)
        guard key.singleLower > 0 else {
            result.reasonForNoKey = "the decoy bounds leave no single-photon Z events (too few counts or too much loss)"
            return result
        }
        let phaseErrorRate = min(0.5, phaseErrors / key.singleLower)
        result.phaseErrorRateUpper = phaseErrorRate
        if phaseErrorRate >= 0.5 {
            result.reasonForNoKey = "phase error rate bound reached 1/2 (X-basis QBER \(ThreeStateFiniteKeyAnalysis.percent(counts.total.qberX)))"
            return result
        }
        let entropy = key.vacuumLower + key.singleLower * (1 - QKDMath.binaryEntropy(phaseErrorRate))
        let length = (entropy - Double(leakage) - paCost).rounded(.down)
        guard length > 0 else {
            result.reasonForNoKey = "entropy of the vacuum and single-photon bits (\(Int(entropy)) bits at phase error bound \(ThreeStateFiniteKeyAnalysis.percent(phaseErrorRate))) does not cover the \(leakage) bits disclosed plus \(Int(paCost.rounded(.up))) for privacy amplification"
            return result
        }
        result.secretBits = Int(length)
        return result
    }
}
