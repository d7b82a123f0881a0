import Photonics

/// The reference link's parameters (those of the `paper-120km` preset) at a chosen distance,
/// built in code so that Photonics tests do not depend on the preset loader.
func referenceLink(distanceKm: Double = 120, visibility: Double = 0.871, darkCountRate: Double = 100) throws -> LinkConfiguration {
    try LinkConfiguration(
        source: .quantumDot(QuantumDotSource(repetitionRate: 75.947e6, meanPhotonNumber: 0.0065, g2: 0.0085, radiativeLifetime: 1018e-12)),
        encoder: TimeBinEncoder(zBasisProbability: 0.5, timeBinSeparation: 3.5e-9),
        fiber: Fiber(lengthKm: distanceKm, attenuationDbPerKm: 0.1956),
        decoder: TimeBinDecoder(insertionLossDb: 1.5, visibility: visibility),
        detector: SinglePhotonDetector(efficiency: 0.74, darkCountRate: darkCountRate, timingJitter: 30e-12),
        tagger: TimeTagger(gateWidth: 2.0e-9, gateOffset: 0))
}

/// A one-decoy laser link on the same fibre as the reference link: 625 MHz, 400 ps bins,
/// Gaussian 10 ps pulses, the given encoder alphabet, preparation error and detector dead time.
func laserLink(
    distanceKm: Double, alphabet: EncodingAlphabet = .threeState, statePreparationError: Double = 0,
    deadTime: Double = 0, afterpulseProbability: Double = 0, darkCountRate: Double = 100
) throws -> LinkConfiguration {
    try LinkConfiguration(
        source: .weakCoherent(WeakCoherentSource(
            repetitionRate: 625e6, intensities: [0.5, 0.15], intensityProbabilities: [0.7, 0.3], pulseDuration: 10e-12)),
        encoder: TimeBinEncoder(
            zBasisProbability: 0.7, timeBinSeparation: 400e-12, alphabet: alphabet, statePreparationError: statePreparationError),
        fiber: Fiber(lengthKm: distanceKm, attenuationDbPerKm: 0.1956),
        decoder: TimeBinDecoder(insertionLossDb: 1.5, visibility: 0.98),
        detector: SinglePhotonDetector(
            efficiency: 0.74, darkCountRate: darkCountRate, timingJitter: 30e-12, deadTime: deadTime,
            afterpulseProbability: afterpulseProbability),
        tagger: TimeTagger(gateWidth: 300e-12, gateOffset: -150e-12))
}
