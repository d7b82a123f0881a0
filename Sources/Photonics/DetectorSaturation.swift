import QKDCore

/// The stationary effect of dead time and afterpulsing on Bob's detectors, from the link's mean
/// click rate (a mean-field treatment).
///
/// With `R` the rate of clicks that would reach one detector if it never recovered late
/// (photons, dark counts and afterpulses), a non-paralysable detector of dead time τ registers
/// `R / (1 + R τ)` of them, so it is blind for a fraction `R τ / (1 + R τ)` of the time and every
/// photon or dark count is registered with probability `1 / (1 + R τ)` (Müller, NIM 112, 47
/// (1973)). Afterpulses follow a registered click with probability `p_ap` at delays much longer
/// than a pulse period, so they act as extra dark counts at rate `p_ap R_registered`. The two
/// equations are solved together by fixed-point iteration. Both detectors are given the mean of
/// their two rates. Neglected: the correlation of a blind period with the next pulses' outcomes
/// (exact only when `R τ << 1`, i.e. below about 1 MHz for 100 ns dead time) and the afterpulse
/// delay distribution.
public struct DetectorSaturation: Sendable, Equatable {
    /// Fraction of arriving photons and dark counts a detector registers, `1 / (1 + R τ)`.
    public let registeredFraction: Double
    /// Afterpulse rate of one detector (Hz), which adds to its dark-count rate.
    public let afterpulseRate: Double
    /// Registered clicks per second of one detector.
    public let registeredClickRate: Double

    /// Solves the mean-field equations for a link whose per-photon click probabilities, before
    /// saturation, are `unsaturatedClickProbability[state][slot * 2 + detector]`.
    public init(configuration: LinkConfiguration, unsaturatedClickProbability: [[Double]]) {
        let detector = configuration.detector
        let source = configuration.source
        let gate = configuration.tagger.gateWidth
        func incomingRate(fraction: Double, extraDarkRate: Double) -> Double {
            let dark = (detector.darkCountRate + extraDarkRate) * gate * fraction
            var clicksPerPulse = 0.0
            for state in PreparedState.allCases {
                let prior = configuration.encoder.probability(of: state)
                if prior == 0 { continue }
                for intensity in 0..<source.intensityCount {
                    let weight = prior * source.intensityProbability(intensity)
                    for rho in unsaturatedClickProbability[Int(state.rawValue)] {
                        let photon = source.detectionProbability(perPhotonTransmittance: rho * fraction, intensity: intensity)
                        clicksPerPulse += weight * (1 - (1 - dark) * (1 - photon))
                    }
                }
            }
            return clicksPerPulse / 2 * source.repetitionRate / fraction
        }
        var fraction = 1.0, afterpulses = 0.0
        let iterations = detector.deadTime > 0 || detector.afterpulseProbability > 0 ? 30 : 0
        for _ in 0..<iterations {
            let incoming = incomingRate(fraction: fraction, extraDarkRate: afterpulses)
            fraction = 1 / (1 + incoming * detector.deadTime)
            afterpulses = detector.afterpulseProbability * incoming * fraction
        }
        registeredFraction = fraction
        afterpulseRate = afterpulses
        registeredClickRate = incomingRate(fraction: fraction, extraDarkRate: afterpulses) * fraction
    }
}
