/// The expected number of phase errors among the key (Z) bits that a block's X-basis results
/// allow, from per-cell bounds on the sums of conditional probabilities Λ(state, result) of the
/// untagged (or single-photon) pulses. States: 0 early, 1 late, 2 plus, 3 minus (BB84 only);
/// results: 2 X-plus, 3 X-minus.
///
/// - Three states: |-> is virtual, `|-><-| = |e><e| + |l><l| - |+><+|` on the single-photon
///   subspace, and click probabilities are linear in the state (Tamaki et al., PRA 90, 052314
///   (2014); Rusca et al., PRA 98, 052336 (2018)), so
///   `Λ_ph = r [ (p_Z / 2p_+) (Λ_+^- - Λ_+^+) + Λ_e^+ + Λ_l^+ ]`.
/// - Four states (BB84): both X states are real; by the basis-independent detection assumption
///   the Z bits' phase errors are the X errors rescaled by the basis choices (Koashi, NJP 11,
///   045018 (2009)): `Λ_ph = r (p_Z / p_X) (Λ_+^- + Λ_-^+)`.
///
/// r = q_Z / q_X is Bob's basis ratio.
enum PhaseErrorEstimate {
    /// `upper(state, result)` and `lower(state, result)` bound Λ of one cell.
    static func expectedPhaseErrors(
        fourStates: Bool, zBasisProbability pZ: Double, bobBasisRatio r: Double,
        upper: (Int, Int) -> Double, lower: (Int, Int) -> Double
    ) -> Double {
        let pX = 1 - pZ
        if fourStates {
            return max(0, r * pZ / pX * (upper(2, 3) + upper(3, 2)))
        }
        return max(0, r * (pZ / (2 * pX) * (upper(2, 3) - lower(2, 2)) + upper(0, 2) + upper(1, 2)))
    }

    /// Alice's probability of preparing `state`.
    static func stateProbability(_ state: Int, fourStates: Bool, zBasisProbability pZ: Double) -> Double {
        if state < 2 { return pZ / 2 }
        return fourStates ? (1 - pZ) / 2 : 1 - pZ
    }
}
