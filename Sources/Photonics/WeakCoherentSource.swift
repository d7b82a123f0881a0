import QKDCore

/// An attenuated pulsed laser with decoy intensities: every pulse is a phase-randomised coherent
/// state, whose photon number is Poisson distributed with the mean of the intensity Alice chose
/// for that pulse, `P(n | μ_k) = e^{-μ_k} μ_k^n / n!`.
///
/// Phase randomisation (a free-running gain-switched laser, or an active phase randomiser) is
/// assumed, so each pulse is a Poisson mixture of Fock states and the decoy-state method applies
/// (Hwang, PRL 91, 057901 (2003); Lo, Ma, Chen, PRL 94, 230504 (2005)). The intensity choice is
/// independent of the encoded state.
public struct WeakCoherentSource: Sendable, Equatable {
    /// Pulses per second (Hz).
    public var repetitionRate: Double
    /// Mean photon numbers entering the fibre, signal first, strictly decreasing: one decoy
    /// `[μ1, μ2]`, or two `[μ1, μ2, μ3]` where the last may be 0 (vacuum).
    public var intensities: [Double]
    /// Probability with which each intensity is chosen (same order, summing to 1).
    public var intensityProbabilities: [Double]
    /// Gaussian standard deviation of the optical pulse in time (s); it adds in quadrature to
    /// the detector jitter.
    public var pulseDuration: Double

    /// Creates a source, validating every parameter.
    public init(repetitionRate: Double, intensities: [Double], intensityProbabilities: [Double], pulseDuration: Double) throws {
        guard repetitionRate > 0, repetitionRate.isFinite else {
            throw QKDError(.invalidParameter, "laser repetition rate must be positive, got \(repetitionRate) Hz")
        }
        guard (2...3).contains(intensities.count), intensities.count == intensityProbabilities.count else {
            throw QKDError(.invalidParameter, "laser needs 2 or 3 intensities with one probability each, got \(intensities.count) and \(intensityProbabilities.count)")
        }
        guard intensities[0] > 0, intensities[0] <= 10, intensities.allSatisfy({ $0 >= 0 && $0.isFinite }),
              zip(intensities, intensities.dropFirst()).allSatisfy({ $0 > $1 })
        else {
            throw QKDError(.invalidParameter, "laser intensities must be strictly decreasing mean photon numbers in [0, 10], signal first, got \(intensities)")
        }
        guard intensityProbabilities.allSatisfy({ $0 > 0 && $0 < 1 }), abs(intensityProbabilities.reduce(0, +) - 1) < 1e-9 else {
            throw QKDError(.invalidParameter, "laser intensity probabilities must lie in (0, 1) and sum to 1, got \(intensityProbabilities)")
        }
        guard pulseDuration >= 0, pulseDuration.isFinite else {
            throw QKDError(.invalidParameter, "laser pulse duration must be non-negative, got \(pulseDuration) s")
        }
        self.repetitionRate = repetitionRate
        self.intensities = intensities
        self.intensityProbabilities = intensityProbabilities
        self.pulseDuration = pulseDuration
    }

    /// The probability that at least one photon of a pulse of intensity `intensity` survives a
    /// channel of per-photon transmittance `transmittance`: `1 - exp(-μ_k η)` (Poisson thinning).
    public func detectionProbability(perPhotonTransmittance transmittance: Double, intensity: Int) -> Double {
        -QKDMath.exponentialMinusOne(-intensities[intensity] * transmittance)
    }

    /// Draws how many photons of a pulse survive, conditioned on at least one: the surviving
    /// number is Poisson with mean `μ_k η`, so this inverts its distribution truncated at 1.
    public func drawSurvivingPhotons(perPhotonTransmittance transmittance: Double, intensity: Int, using generator: inout SeededGenerator) -> Int {
        let mean = intensities[intensity] * transmittance
        guard mean > 0 else { return 1 }
        let u = generator.nextUnitInterval()
        var photons = 1
        var term = mean * QKDMath.exponential(-mean) / -QKDMath.exponentialMinusOne(-mean)
        var cumulative = term
        while u > cumulative, photons < 64 {
            photons += 1
            term *= mean / Double(photons)
            cumulative += term
        }
        return photons
    }
}
