import QKDCore

/// A triggered quantum-dot single-photon source, as seen at the input of the fibre (after
/// Alice's encoder).
///
/// While the dot is bright, the photon-number distribution is truncated at two photons:
/// `P(2) = g2(0) μ² / 2`, `P(1) = μ - 2 P(2)`, `P(0) = 1 - P(1) - P(2)`. Since
/// `g2(0) = <n(n-1)> / μ²` and `n(n-1) >= 2` for every `n >= 2`, `g2(0) μ² / 2` is an upper bound
/// on `P(n >= 2)` for any distribution with that mean and g2(0) (Waks et al., PRA 66, 042315
/// (2002), Eq. 4); the emulator puts all multi-photon weight on `n = 2`, where it does the most
/// harm per pulse. Blinking is modelled by `brightFraction`: the fraction of pulses during which
/// the dot is in its bright state; in the others it emits nothing. Only this per-pulse marginal
/// is modelled, not the correlation between consecutive pulses of a blinking dot.
public struct QuantumDotSource: Sendable, Equatable {
    /// Pulses per second (Hz).
    public var repetitionRate: Double
    /// Mean photon number per pulse entering the fibre while the dot is bright (includes
    /// extraction, coupling and encoder losses): the source's single-photon efficiency into the
    /// fibre.
    public var meanPhotonNumber: Double
    /// Second-order autocorrelation at zero delay (a fraction, 0.0085 for 0.85 %).
    public var g2: Double
    /// Radiative lifetime (s): the photon's exponential emission-time profile.
    public var radiativeLifetime: Double
    /// Fraction of pulses emitted while the dot is bright (0...1]; 1 means no blinking.
    public var brightFraction: Double

    /// Creates a source, validating every parameter.
    public init(repetitionRate: Double, meanPhotonNumber: Double, g2: Double, radiativeLifetime: Double, brightFraction: Double = 1) throws {
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
        guard brightFraction > 0, brightFraction <= 1 else {
            throw QKDError(.invalidParameter, "source bright fraction must be in (0, 1], got \(brightFraction)")
        }
        self.repetitionRate = repetitionRate
        self.meanPhotonNumber = meanPhotonNumber
        self.g2 = g2
        self.radiativeLifetime = radiativeLifetime
        self.brightFraction = brightFraction
        guard singlePhotonProbability >= 0 else {
            throw QKDError(.invalidParameter, "source g2(0) \(g2) is too large for mean photon number \(meanPhotonNumber)")
        }
    }

    /// Probability that a pulse holds two photons: `brightFraction g2(0) μ² / 2`, an upper bound
    /// on `P(n >= 2)`.
    public var multiPhotonProbability: Double { brightFraction * g2 * meanPhotonNumber * meanPhotonNumber / 2 }

    /// Probability of exactly one photon.
    public var singlePhotonProbability: Double { brightFraction * meanPhotonNumber - 2 * multiPhotonProbability }

    /// Probability of an empty pulse.
    public var vacuumProbability: Double { 1 - singlePhotonProbability - multiPhotonProbability }

    /// The probability that at least one of the pulse's photons survives a channel of
    /// per-photon transmittance `transmittance`.
    public func detectionProbability(perPhotonTransmittance transmittance: Double) -> Double {
        let miss = 1 - transmittance
        return singlePhotonProbability * transmittance + multiPhotonProbability * (1 - miss * miss)
    }

    /// Draws how many photons of a pulse survive (1 or 2), conditioned on at least one.
    public func drawSurvivingPhotons(perPhotonTransmittance transmittance: Double, using generator: inout SeededGenerator) -> Int {
        let anySurvives = detectionProbability(perPhotonTransmittance: transmittance)
        let twoSent = multiPhotonProbability * (1 - (1 - transmittance) * (1 - transmittance))
        if generator.nextUnitInterval() * anySurvives < twoSent {
            let bothGivenAny = transmittance * transmittance / (1 - (1 - transmittance) * (1 - transmittance))
            if generator.nextBernoulli(bothGivenAny) { return 2 }
        }
        return 1
    }
}
