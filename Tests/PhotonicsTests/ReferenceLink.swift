import Photonics

/// The reference link's parameters (those of the `paper-120km` preset) at a chosen distance,
/// built in code so that Photonics tests do not depend on the preset loader.
func referenceLink(distanceKm: Double = 120, visibility: Double = 0.871, darkCountRate: Double = 100) throws -> LinkConfiguration {
    try LinkConfiguration(
        source: QuantumDotSource(repetitionRate: 75.947e6, meanPhotonNumber: 0.0065, g2: 0.0085, radiativeLifetime: 1018e-12),
        encoder: TimeBinEncoder(zBasisProbability: 0.5, timeBinSeparation: 3.5e-9),
        fiber: Fiber(lengthKm: distanceKm, attenuationDbPerKm: 0.1956),
        decoder: TimeBinDecoder(insertionLossDb: 1.5, visibility: visibility),
        detector: SinglePhotonDetector(efficiency: 0.74, darkCountRate: darkCountRate, timingJitter: 30e-12),
        tagger: TimeTagger(gateWidth: 2.0e-9, gateOffset: 0))
}
