import QKDCore

/// A triggered quantum-dot single-photon source, as seen at the input of the fibre (after
/// Alice's encoder).
///
/// The photon-number distribution is truncated at two photons: `P(2) = g2(0) μ² / 2`,
/// `P(1) = μ - 2 P(2)`, `P(0) = 1 - P(1) - P(2)`. Since `g2(0) = <n(n-1)> / μ²` and
/// `n(n-1) >= 2` for every `n >= 2`, `g2(0) μ² / 2` is an upper bound on `P(n >= 2)` for any
/// distribution with that mean and g2(0) (Waks et al., PRA 66, 042315 (2002), Eq. 4); the
/// emulator puts all multi-photon weight on `n = 2`, where it does the most harm per pulse.
public struct QuantumDotSource: Sendable, Equatable {
    /// Pulses per second (Hz).
    public var repetitionRate: Double
    /// Mean photon number per pulse entering the fibre (includes extraction, coupling and
    /// encoder losses): the source's single-photon efficiency into the fibre.
    public var meanPhotonNumber: Double
    /// Second-order autocorrelation at zero delay (a fraction, 0.0085 for 0.85 %).
    public var g2: Double
    /// Radiative lifetime (s): the photon's exponential emission-time profile.
    public var radiativeLifetime: Double

    /// Creates a source, validating every parameter.
    public init(repetitionRate: Double, meanPhotonNumber: Double, g2: Double, radiativeLifetime: Double) throws {
        guard repetitionRate > 0, repetitionRate.isFinite else {
            throw QKDError(.invalidParameter, "source repetition rate must be positive, got \(repetitionRate) Hz")
        }
        guard meanPhotonNumber > 0, meanPhotonNumber <= 1 else {
            throw QKDError(.invalidParameter, "source mean photon number must be in (0, 1], got \(meanPhotonNumber)")
        }
        guard g2 >= 0, g2 < 1 else {
            throw QKDError(.invalidParameter, "source g2(0) must be in [0, 1), got \(g2)")
        }
        guard radiativeLifetime > 0 else {
            throw QKDError(.invalidParameter, "source radiative lifetime must be positive, got \(radiativeLifetime) s")
        }
        self.repetitionRate = repetitionRate
        self.meanPhotonNumber = meanPhotonNumber
        self.g2 = g2
        self.radiativeLifetime = radiativeLifetime
        guard singlePhotonProbability >= 0 else {
            throw QKDError(.invalidParameter, "source g2(0) \(g2) is too large for mean photon number \(meanPhotonNumber)")
        }
    }

    /// Upper bound on the probability that a pulse holds two or more photons: `g2(0) μ² / 2`.
    public var multiPhotonProbability: Double { g2 * meanPhotonNumber * meanPhotonNumber / 2 }

    /// Probability of exactly one photon.
    public var singlePhotonProbability: Double { meanPhotonNumber - 2 * multiPhotonProbability }

    /// Probability of an empty pulse.
    public var vacuumProbability: Double { 1 - singlePhotonProbability - multiPhotonProbability }

    /// The probability that at least one of the pulse's photons survives a channel of
    /// per-photon transmittance `transmittance`.
    public func detectionProbability(perPhotonTransmittance transmittance: Double) -> Double {
        let miss = 1 - transmittance
        return singlePhotonProbability * transmittance + multiPhotonProbability * (1 - miss * miss)
    }
}
