import QKDCore

/// The three-state time-bin protocol with a weak-coherent-pulse laser and decoy intensities
/// (one decoy: Rusca et al., APL 112, 171104 (2018); two decoys: Lim et al., PRA 89, 022307
/// (2014)). States and Bob's results are as in `ThreeStateProtocol`.
public struct DecoyStateProtocol: Sendable, Equatable, Codable {
    /// Alice's probability of a Z state.
    public var zBasisProbability: Double
    /// Bob's ratio q_Z / q_X (1 for the passive interferometric decoder).
    public var bobBasisRatio: Double
    /// Mean photon numbers, signal first, strictly decreasing: two (one decoy) or three (two
    /// decoys, the last may be 0).
    public var intensities: [Double]
    /// Probability of each intensity; they sum to 1.
    public var intensityProbabilities: [Double]

    /// Creates a protocol description, validating every parameter.
    public init(zBasisProbability: Double, bobBasisRatio: Double, intensities: [Double], intensityProbabilities: [Double]) throws {
        guard zBasisProbability > 0, zBasisProbability < 1 else {
            throw QKDError(.invalidParameter, "Z-basis probability must be in (0, 1), got \(zBasisProbability)")
        }
        guard bobBasisRatio > 0, bobBasisRatio.isFinite else {
            throw QKDError(.invalidParameter, "Bob's basis ratio must be positive, got \(bobBasisRatio)")
        }
        guard intensities.count == 2 || intensities.count == 3 else {
            throw QKDError(.invalidParameter, "decoy protocols need 2 or 3 intensities (signal first), got \(intensities.count)")
        }
        guard intensityProbabilities.count == intensities.count else {
            throw QKDError(.invalidParameter, "\(intensities.count) intensities but \(intensityProbabilities.count) intensity probabilities")
        }
        guard zip(intensities, intensities.dropFirst()).allSatisfy({ $0 > $1 }), intensities.last! >= 0, intensities[0].isFinite else {
            throw QKDError(.invalidParameter, "intensities must be finite, non-negative and strictly decreasing, got \(intensities)")
        }
        if intensities.count == 3, intensities[0] <= intensities[1] + intensities[2] {
            throw QKDError(.invalidParameter, "two-decoy bounds need mu1 > mu2 + mu3, got \(intensities)")
        }
        guard intensityProbabilities.allSatisfy({ $0 > 0 }), abs(intensityProbabilities.reduce(0, +) - 1) < 1e-9 else {
            throw QKDError(.invalidParameter, "intensity probabilities must be positive and sum to 1, got \(intensityProbabilities)")
        }
        self.zBasisProbability = zBasisProbability
        self.bobBasisRatio = bobBasisRatio
        self.intensities = intensities
        self.intensityProbabilities = intensityProbabilities
    }

    /// `τ_n = Σ_k p_k e^{-μ_k} μ_k^n / n!`: the probability that a pulse holds n photons
    /// (Lim et al. 2014, below Eq. 2).
    public func photonNumberProbability(_ n: Int) -> Double {
        var factorial = 1.0
        for i in stride(from: 2, through: n, by: 1) { factorial *= Double(i) }
        return zip(intensities, intensityProbabilities).reduce(0) { total, pair in
            total + pair.1 * QKDMath.exponential(-pair.0) * QKDMath.exponential(Double(n) * QKDMath.naturalLog(max(pair.0, .leastNonzeroMagnitude))) / factorial
        }
    }

    /// Alice's probability of preparing state index `state` (0 early, 1 late, 2 plus).
    public func stateProbability(_ state: Int) -> Double {
        state < 2 ? zBasisProbability / 2 : 1 - zBasisProbability
    }
}
