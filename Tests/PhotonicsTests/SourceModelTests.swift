import Photonics
import QKDCore
import Testing

@Suite struct SourceModelTests {
    @Test func laserParametersAreValidated() {
        #expect(throws: QKDError.self) { try WeakCoherentSource(repetitionRate: 1e9, intensities: [0.2, 0.5], intensityProbabilities: [0.5, 0.5], pulseDuration: 0) }
        #expect(throws: QKDError.self) { try WeakCoherentSource(repetitionRate: 1e9, intensities: [0.5, 0.2], intensityProbabilities: [0.5, 0.4], pulseDuration: 0) }
        #expect(throws: QKDError.self) { try WeakCoherentSource(repetitionRate: 1e9, intensities: [0.5], intensityProbabilities: [1], pulseDuration: 0) }
        #expect(throws: QKDError.self) { try QuantumDotSource(repetitionRate: 1e8, meanPhotonNumber: 0.1, g2: 0.01, radiativeLifetime: 1e-9, brightFraction: 0) }
        #expect(throws: QKDError.self) { try SinglePhotonDetector(efficiency: 0.8, darkCountRate: 10, timingJitter: 0, afterpulseProbability: 1) }
        #expect(throws: QKDError.self) { try TimeBinEncoder(zBasisProbability: 0.5, timeBinSeparation: 1e-9, statePreparationError: 0.5) }
    }

    /// 200 000 conditioned draws at mean 0.8: the sample mean of a distribution with standard
    /// deviation below 1 is known to 0.0023 (1 sigma); tolerance 0.012.
    @Test func survivingLaserPhotonsArePoissonGivenAtLeastOne() throws {
        let source = try WeakCoherentSource(repetitionRate: 1e9, intensities: [1.6, 0.1], intensityProbabilities: [0.5, 0.5], pulseDuration: 0)
        var generator = SeededGenerator(seed: 3)
        let draws = (0..<200_000).map { _ in source.drawSurvivingPhotons(perPhotonTransmittance: 0.5, intensity: 0, using: &generator) }
        let mean = Double(draws.reduce(0, +)) / Double(draws.count)
        let expected = 0.8 / (1 - QKDMath.exponential(-0.8))
        #expect(abs(mean - expected) < 0.012, "mean \(mean), expected \(expected)")
        #expect(draws.allSatisfy { $0 >= 1 })
        #expect(abs(source.detectionProbability(perPhotonTransmittance: 0.5, intensity: 1) - (1 - QKDMath.exponential(-0.05))) < 1e-15)
    }

    @Test func blinkingScalesTheEmissionAndKeepsTheMultiPhotonBound() throws {
        let steady = try QuantumDotSource(repetitionRate: 1e8, meanPhotonNumber: 0.2, g2: 0.02, radiativeLifetime: 1e-9)
        let blinking = try QuantumDotSource(repetitionRate: 1e8, meanPhotonNumber: 0.2, g2: 0.02, radiativeLifetime: 1e-9, brightFraction: 0.6)
        #expect(abs(blinking.detectionProbability(perPhotonTransmittance: 0.1) - 0.6 * steady.detectionProbability(perPhotonTransmittance: 0.1)) < 1e-15)
        #expect(blinking.multiPhotonProbability <= steady.multiPhotonProbability)
        #expect(PhotonSource.quantumDot(blinking).meanPhotonNumber(intensity: 0) == 0.6 * 0.2)
    }

    @Test func bb84AlphabetSplitsTheXBasis() throws {
        let encoder = try TimeBinEncoder(zBasisProbability: 0.6, timeBinSeparation: 1e-9, alphabet: .bb84)
        #expect(encoder.probability(of: .plus) == encoder.probability(of: .minus))
        #expect(abs(PreparedState.allCases.reduce(0) { $0 + encoder.probability(of: $1) } - 1) < 1e-15)
        var generator = SeededGenerator(seed: 9)
        let minus = (0..<10_000).filter { _ in encoder.drawState(using: &generator) == .minus }.count
        #expect(minus > 1800 && minus < 2200, "about 20 % |->: \(minus) of 10 000 (±5 sigma)")
        let threeState = try TimeBinEncoder(zBasisProbability: 0.6, timeBinSeparation: 1e-9)
        #expect(threeState.probability(of: .minus) == 0)
    }

    /// A laser link without dark counts, with perfect visibility and no emission tail: the
    /// only errors are the preparation error, so both QBERs equal it (up to multi-photon
    /// double clicks, below 1e-4 at 100 km).
    @Test func preparationErrorIsTheQBERofAnOtherwisePerfectLink() throws {
        var link = try laserLink(distanceKm: 100, alphabet: .bb84, statePreparationError: 0.02, darkCountRate: 0)
        link.decoder = try TimeBinDecoder(insertionLossDb: 1.5, visibility: 1)
        let model = AnalyticLinkModel(configuration: link)
        #expect(abs(model.qberZ - 0.02) < 1e-4, "Z \(model.qberZ)")
        #expect(abs(model.qberX - 0.02) < 1e-4, "X \(model.qberX)")
        #expect(abs(model.qberZ(intensity: 1) - 0.02) < 1e-4)
    }

    /// Non-paralysable dead time: the registered rate R satisfies R = R_in / (1 + R_in τ), so it
    /// stays below 1/τ, and with a tiny dead time nothing changes.
    @Test func deadTimeSaturatesTheDetectorsAtShortDistance() throws {
        let saturated = DetectionGeometry(configuration: try laserLink(distanceKm: 0, deadTime: 100e-9, afterpulseProbability: 0.01))
        let free = DetectionGeometry(configuration: try laserLink(distanceKm: 0))
        #expect(saturated.saturation.registeredFraction < 0.5)
        #expect(saturated.saturation.registeredClickRate < 1 / 100e-9)
        #expect(saturated.saturation.afterpulseRate > 0)
        #expect(abs(saturated.clickProbability[0][0] / free.clickProbability[0][0] - saturated.saturation.registeredFraction) < 1e-12)
        let far = DetectionGeometry(configuration: try laserLink(distanceKm: 200, deadTime: 50e-9))
        #expect(far.saturation.registeredFraction > 0.999)
    }
}
