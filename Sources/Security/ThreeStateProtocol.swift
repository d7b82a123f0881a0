import QKDCore

/// The three-state time-bin protocol ("simplified BB84") with a single-photon source, as run by
/// the reference experiment: Alice sends |early>, |late> (Z) or |+> (X); Bob measures passively
/// in Z or X. The key comes from Z; the phase error of the Z events is estimated from X results
/// of all three states.
public struct ThreeStateProtocol: Sendable, Equatable, Codable {
    /// Alice's probability of a Z state (split evenly between early and late).
    public var zBasisProbability: Double
    /// Bob's ratio `q_Z / q_X` of measuring a photon in Z rather than X (1 for the passive
    /// interferometric decoder, whose arms are chosen with probability 1/2 each). The analysis
    /// assumes it is the same for every state and every photon (basis-independent detection).
    public var bobBasisRatio: Double
    /// Mean photon number per pulse leaving Alice (characterised by Alice).
    public var meanPhotonNumber: Double
    /// The source's g2(0).
    public var g2: Double

    /// Creates a protocol description, validating every parameter.
    public init(zBasisProbability: Double, bobBasisRatio: Double, meanPhotonNumber: Double, g2: Double) throws {
        guard zBasisProbability > 0, zBasisProbability < 1 else {
            throw QKDError(.invalidParameter, "Z-basis probability must be in (0, 1), got \(zBasisProbability)")
        }
        guard bobBasisRatio > 0, bobBasisRatio.isFinite else {
            throw QKDError(.invalidParameter, "Bob's basis ratio must be positive, got \(bobBasisRatio)")
        }
        guard meanPhotonNumber > 0, meanPhotonNumber <= 1 else {
            throw QKDError(.invalidParameter, "mean photon number must be in (0, 1], got \(meanPhotonNumber)")
        }
        guard g2 >= 0, g2 < 1 else {
            throw QKDError(.invalidParameter, "g2(0) must be in [0, 1), got \(g2)")
        }
        self.zBasisProbability = zBasisProbability
        self.bobBasisRatio = bobBasisRatio
        self.meanPhotonNumber = meanPhotonNumber
        self.g2 = g2
    }

    /// Upper bound on the probability that a pulse carries two or more photons,
    /// `P(n >= 2) <= g2(0) μ² / 2` (Waks et al., PRA 66, 042315 (2002), Eq. 4: since
    /// `g2(0) μ² = Σ n(n-1) P(n) >= 2 P(n >= 2)`).
    public var multiPhotonProbability: Double { g2 * meanPhotonNumber * meanPhotonNumber / 2 }

    /// Alice's probability of preparing state index `state` (0 early, 1 late, 2 plus, 3 minus
    /// for BB84).
    public func stateProbability(_ state: Int, fourStates: Bool = false) -> Double {
        PhaseErrorEstimate.stateProbability(state, fourStates: fourStates, zBasisProbability: zBasisProbability)
    }
}
